// The bundled Seattle weather table (examples/data/seattle-weather.csv, from
// vega-datasets) as the scripts and tests read it, and the calibration run of
// the distribution task kinds on it (scripts/probabilistic-table.mjs writes
// docs/probabilistic.md from it; tests/unit/calibration.test.js checks it). Pure:
// the manytask library is passed in, so a test runs it on its own instance.

// Seattle weather: the date becomes its day of the year as a point on the unit
// circle (sin, cos of 2π·day/365.25), so 31 December sits next to 1 January and the
// year itself (2012–2015) is left out; temp_min and wind are the other features.
export function withDayOfYear(csv) {
  const [head, ...lines] = csv.trim().split(/\r?\n/);
  const cols = head.split(',');
  const at = cols.indexOf('date');
  const out = [[...cols.filter((c) => c !== 'date'), 'day_sin', 'day_cos'].join(',')];
  for (const line of lines) {
    const cells = line.split(',');
    const d = new Date(`${cells[at]}T00:00:00Z`);
    const day = (d - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86400000;
    const angle = (2 * Math.PI * day) / 365.25;
    out.push([...cells.filter((_, i) => i !== at), Math.sin(angle).toFixed(6), Math.cos(angle).toFixed(6)].join(','));
  }
  return out.join('\n');
}

/** The 90% central interval the calibration checks. */
export const LEVEL = 0.9;

/**
 * One seeded run: the table with the day of the year and precipitation rounded to
 * whole millimetres (rain_mm, a count), split at random into 75% training rows and
 * 25% held-out rows; a shared-bottom network with three distribution heads —
 * temp_max (°C) as a Gaussian, precipitation (mm) as quantiles 0.05, 0.5, 0.95 and
 * rain_mm as a Poisson count — on temp_min, wind and the day (sin, cos); early
 * stopping on a validation part of the training rows. Returns evaluate() of the
 * held-out rows: coverage of the 90% intervals, NLL, pinball loss, widths.
 */
export async function calibrationRun(lib, csv, seed, { epochs = 200 } = {}) {
  const { Dataset, MultiTaskModel, tasks } = lib;
  const [head, ...lines] = withDayOfYear(csv).trim().split(/\r?\n/);
  const at = head.split(',').indexOf('precipitation');
  const text = [`${head},rain_mm`, ...lines.map((l) => `${l},${Math.round(Number(l.split(',')[at]))}`)].join('\n');
  const data = Dataset.fromCSV(text, {
    features: { temp_min: 'numeric', wind: 'numeric', day_sin: 'numeric', day_cos: 'numeric' },
    targets: { temp_max: 'regression', precipitation: 'regression', rain_mm: 'regression' },
  });
  const [train, test] = data.split(0.75, { seed });
  const model = new MultiTaskModel({
    input: train, seed, optimizer: { type: 'adam', learningRate: 0.01 },
    architecture: { type: 'sharedBottom', units: [32], towerUnits: [16] },
    tasks: [tasks.gaussian('temp_max'), tasks.quantile('precipitation', { quantiles: [0.05, 0.5, 0.95] }), tasks.poisson('rain_mm')],
  });
  try {
    await model.fit(train, { epochs, batchSize: 32, validationSplit: 0.15, earlyStopping: { patience: 20 } });
    return { trainRows: train.rows, testRows: test.rows, evaluation: model.evaluate(test) };
  } finally {
    model.dispose();
  }
}
