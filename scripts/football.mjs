// The bundled football results (examples/data/football.json, from vega-datasets:
// 6,508 league matches of five European divisions, 2013–2017, 116 teams) as the
// example, the table script and the tests read them, and one seeded run of each
// model the comparison in docs/embeddings.md makes. Pure: the manytask library is
// passed in, so a test runs it on its own instance.
//
// Every model predicts three things about a match from its two teams: the home
// goals and the away goals (Poisson counts) and the outcome (home win, draw, away
// win). Training rows are the matches before HELD_OUT_FROM; the held-out rows are
// the later ones (the last season), so a team promoted that season is one the
// model has not seen, and takes the table's out-of-vocabulary row.

/** The first date of the held-out matches: the 2016–17 season. */
export const HELD_OUT_FROM = '2016-07-01';

/**
 * The matches as rows: home_team, away_team, home_goals, away_goals, outcome
 * (home, draw, away), date. Four matches have no score: no labels (null), still rows.
 */
export function footballRows(json) {
  return JSON.parse(json).map((m) => ({
    date: m.date, home_team: m.home_team, away_team: m.away_team, home_goals: m.home_score, away_goals: m.away_score,
    outcome: m.home_score === null || m.away_score === null ? null : m.home_score > m.away_score ? 'home' : m.home_score < m.away_score ? 'away' : 'draw',
  }));
}

/** Training and held-out rows, by date. */
export function splitByDate(rows) {
  return [rows.filter((r) => r.date < HELD_OUT_FROM), rows.filter((r) => r.date >= HELD_OUT_FROM)];
}

/**
 * The team columns: one table of `dim` floats per team, shared by the home and
 * the away column; a team in fewer than minCount training matches (home or away;
 * the default 39: one season at most, a promoted team) shares the
 * out-of-vocabulary row with the teams never seen, and so trains it. Or, with
 * dim = 0, one-hot columns (an unseen team: all zeros and a `<column>_other` 1).
 */
export function teamSpec(dim, minCount = 39) {
  const team = dim > 0 ? { type: 'categorical', embed: { dim, table: 'team', minCount } } : { type: 'categorical', unknown: 'other', embed: false };
  return { home_team: team, away_team: team };
}

export const TARGETS = { home_goals: 'regression', away_goals: 'regression', outcome: { type: 'multiclass', classes: ['home', 'draw', 'away'] } };

/** The three task specs, or the one named. */
export function footballTasks(tasks, only) {
  const all = [tasks.poisson('home_goals'), tasks.poisson('away_goals'), tasks.multiclass('outcome')];
  return only ? all.filter((t) => t.name === only) : all;
}

/**
 * One seeded run of one configuration: `dim` 0 (one-hot) or the embedding width,
 * `tasks` the task names the model learns together. Returns the held-out metrics
 * of those tasks: Poisson NLL and MAE of the goals, accuracy and log loss of the
 * outcome. Early stopping on a validation part of the training rows.
 */
export async function footballRun(lib, rows, seed, { dim = 8, only = null, units = [32], epochs = 100, patience = 10 } = {}) {
  const { Dataset, MultiTaskModel, tasks } = lib;
  const [trainRows, testRows] = splitByDate(rows);
  const spec = { features: teamSpec(dim), targets: TARGETS };
  const train = Dataset.fromRows(trainRows, spec), test = Dataset.fromRows(testRows, spec);
  const model = new MultiTaskModel({
    input: train, seed, optimizer: { type: 'adam', learningRate: 0.005 },
    architecture: { type: 'sharedBottom', units, towerUnits: [] },
    tasks: footballTasks(tasks, only),
  });
  try {
    await model.fit(train, { epochs, batchSize: 64, validationSplit: 0.15, earlyStopping: { patience } });
    const e = model.evaluate(test).tasks;
    return { trainRows: train.rows, testRows: test.rows, parameters: model.parameters.size, tasks: e };
  } finally {
    model.dispose();
  }
}
