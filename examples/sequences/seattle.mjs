// npm run example:sequences — tomorrow's Seattle weather from the last 14 days.
//
// windows() turns the daily series into one row per 14-day window; a conv1d trunk
// (causal convolutions, read at the last day) learns three tasks about the next day
// — the weather type, the precipitation and the maximum temperature — on the first
// 80% of the windows in time, and is tested on the last 20%, beside a Transformer
// encoder layer over the days and an MLP over the flattened window. Then the model is saved, loaded by manytask/infer, and asked
// about the day after the series ends.
import { readFile } from 'node:fs/promises';
import * as lib from '../../dist/node.js';
import * as infer from '../../dist/infer-node.js';
import { weatherRun, weatherSeries, architectures } from './weather-windows.mjs';

const DAYS = 14;
await lib.init();
const csv = await readFile(new URL('../data/seattle-weather.csv', import.meta.url), 'utf8');

let best = null;
for (const [name, architecture] of Object.entries(architectures(DAYS))) {
  const run = await weatherRun(lib, csv, { architecture, days: DAYS, seed: 0 });
  const t = run.evaluation.tasks;
  console.log(`${name.padEnd(30)} weather accuracy ${t.weather.accuracy.toFixed(3)}, precipitation MAE ${t.precipitation.mae.toFixed(2)} mm, temp_max MAE ${t.temp_max.mae.toFixed(2)} °C (${run.parameters} weights)`);
  if (best === null) best = run.model; else run.model.dispose();
}

// The day after the series: the last window of the series, without targets.
const recent = lib.windows(weatherSeries(lib, csv), { length: DAYS });
const lastWindow = Object.fromEntries(recent.featureNames.map((f) => [f, recent.column(f).at(-1)]));
await infer.init();
const served = infer.loadModel(best.save());
const p = served.predict([lastWindow]);
console.log(`the day after the series (manytask/infer): ${p.weather.classes[0]}, ${p.precipitation.values[0].toFixed(1)} mm, max ${p.temp_max.values[0].toFixed(1)} °C`);
served.dispose();
best.dispose();
