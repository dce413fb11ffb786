// From the last N days of Seattle weather (examples/data/seattle-weather.csv), three
// tasks about tomorrow: its weather type (multiclass), precipitation and maximum
// temperature (regression). The series is cut into windows by `windows()` (one row
// per N consecutive days, time-major), split in time: the first 80% of windows train,
// the last 20% test (no future leaks into training). Three trunks read the same rows:
// causal 1-D convolutions pooled over time (`conv1d`), a Transformer encoder layer
// over the days (`transformer`), and an MLP over the flattened window (`sharedBottom`). Pure: the library is passed in (the table script and the
// test run it on their own instance).

/** The day of the year as a point on the unit circle (31 December next to 1 January). */
function dayOfYear(date) {
  const d = new Date(`${date}T00:00:00Z`);
  const angle = (2 * Math.PI * (d - Date.UTC(d.getUTCFullYear(), 0, 1))) / 86400000 / 365.25;
  return [Math.sin(angle), Math.cos(angle)];
}

/** The series as a Dataset, one row per day in time order, with the day of the year. */
export function weatherSeries(lib, csv) {
  const { header, rows } = lib.parseCSV(csv);
  const series = rows.map((cells) => {
    const r = Object.fromEntries(header.map((h, i) => [h, cells[i]]));
    const [daySin, dayCos] = dayOfYear(r.date);
    return { ...r, day_sin: daySin, day_cos: dayCos };
  });
  return lib.Dataset.fromRows(series, {
    features: {
      precipitation: 'numeric', temp_max: 'numeric', temp_min: 'numeric', wind: 'numeric', weather: 'categorical', day_sin: 'numeric', day_cos: 'numeric',
    },
  });
}

export const TARGETS = { weather: 'multiclass', precipitation: 'regression', temp_max: 'regression' };

/**
 * The trunks compared: two causal convolutions (3 taps, dilations 1 and 2: each
 * output sees the 7 days up to it) read at the last day or averaged over the
 * window, an MLP over the flattened window, and one Transformer encoder layer
 * (24-wide tokens, two heads, a 48-unit feed-forward), sized to about the
 * convolution's weights, read at the last day or averaged over the window.
 */
export function architectures(days) {
  const conv = { type: 'conv1d', steps: days, filters: [32, 32], kernelSize: 3, dilation: [1, 2], units: [32], towerUnits: [16] };
  const attention = { type: 'transformer', steps: days, dModel: 24, heads: 2, feedForward: 48, towerUnits: [16] };
  return {
    'conv1d, last step': { ...conv, pooling: 'last' },
    'conv1d, mean over time': { ...conv, pooling: 'avg' },
    'MLP over the flattened window': { type: 'sharedBottom', units: [64, 32], towerUnits: [16] },
    'transformer, last step': { ...attention, pooling: 'last' },
    'transformer, mean over time': { ...attention, pooling: 'avg' },
  };
}

/**
 * One seeded run of one trunk: windows of `days` days, chronological 80/20 split,
 * Adam, early stopping on a validation part of the training windows. Returns the
 * test set's evaluation and the sizes.
 */
export async function weatherRun(lib, csv, { architecture, days = 14, seed = 0, epochs = 200 }) {
  const { windows, MultiTaskModel, tasks } = lib;
  const data = windows(weatherSeries(lib, csv), { length: days, targets: TARGETS });
  const cut = Math.floor(data.rows * 0.8);
  const train = data.select(Array.from({ length: cut }, (_, i) => i));
  const test = data.select(Array.from({ length: data.rows - cut }, (_, i) => cut + i));
  const model = new MultiTaskModel({
    input: train, seed, architecture, optimizer: { type: 'adam', learningRate: 0.003 },
    tasks: [tasks.multiclass('weather'), tasks.regression('precipitation'), tasks.regression('temp_max')],
  });
  try {
    await model.fit(train, { epochs, batchSize: 32, validationSplit: 0.15, earlyStopping: { patience: 15 } });
    return { trainRows: train.rows, testRows: test.rows, parameters: model.parameters.size, evaluation: model.evaluate(test), model };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
