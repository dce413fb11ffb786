// node examples/football/football.mjs — collaborative filtering on football results
// (examples/data/football.json, from vega-datasets: 6,508 matches, 116 teams).
//
// Each team is a row of a learned table (an embedding), one table for the home
// and the away column; one network on [home team's row | away team's row] learns
// the home goals and the away goals (Poisson counts) and the outcome (home, draw,
// away) together. Trained on the seasons up to 2015–16, evaluated on 2016–17,
// where promoted teams are new to the model: they take the out-of-vocabulary row,
// which the teams with one training season at most (promoted ones) trained.
import { readFile } from 'node:fs/promises';
import { init, Dataset, MultiTaskModel, tasks, loadModel } from '../../dist/node.js';
import { footballRows, splitByDate, teamSpec, TARGETS, footballTasks } from '../../scripts/football.mjs';

await init();
const rows = footballRows(await readFile(new URL('../data/football.json', import.meta.url), 'utf8'));
const [trainRows, testRows] = splitByDate(rows);
const spec = { features: teamSpec(8), targets: TARGETS };
const train = Dataset.fromRows(trainRows, spec), test = Dataset.fromRows(testRows, spec);

const model = new MultiTaskModel({
  input: train, seed: 1, optimizer: { type: 'adam', learningRate: 0.005 },
  architecture: { type: 'sharedBottom', units: [32], towerUnits: [] },
  tasks: footballTasks(tasks),
});
await model.fit(train, { epochs: Number(process.env.EPOCHS ?? 100), batchSize: 64, validationSplit: 0.15, earlyStopping: { patience: 10 } });
const { tasks: e } = model.evaluate(test);
console.log(`${train.rows} training matches, ${test.rows} held-out matches (from 2016-07-01)`);
console.log(`home goals: Poisson NLL ${e.home_goals.nll.toFixed(3)}, MAE ${e.home_goals.mae.toFixed(3)}`);
console.log(`away goals: Poisson NLL ${e.away_goals.nll.toFixed(3)}, MAE ${e.away_goals.mae.toFixed(3)}`);
console.log(`outcome:    accuracy ${e.outcome.accuracy.toFixed(3)}, log loss ${e.outcome.logLoss.toFixed(3)}`);

// The saved model predicts with the same floats; a team it never saw takes the out-of-vocabulary row.
const served = loadModel(model.save());
const p = served.predict([{ home_team: 'FC Bayern Munchen', away_team: 'Borussia Dortmund' }, { home_team: 'A New Club', away_team: 'Juventus' }]);
for (const [i, match] of ['FC Bayern Munchen – Borussia Dortmund', 'A New Club – Juventus'].entries()) {
  const [h, d, a] = p.outcome.probabilities[i];
  console.log(`${match}: expected goals ${p.home_goals.mean[i].toFixed(2)}–${p.away_goals.mean[i].toFixed(2)}, ` +
    `P(home) ${h.toFixed(2)}, P(draw) ${d.toFixed(2)}, P(away) ${a.toFixed(2)}`);
}
served.dispose();
model.dispose();
