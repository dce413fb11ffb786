// npm run anomaly — which days of Seattle weather (2012–2015) are unusual?
//
// Data: examples/data/seattle-weather.csv, a copy of vega-datasets' table of
// 1,461 days: precipitation (mm), daily max and min temperature (°C), wind (m/s)
// and a weather label. Each day is described by those four numbers and its month
// (one-hot), so "unusual" means unusual for the time of year: a hot day in
// March stands out where the same temperature in July does not.
//
// Three detectors, each scoring every day (higher = more anomalous):
//   - KMeans (k = 8): distance to the nearest cluster centre;
//   - GaussianMixture (6 diagonal components): −log p(day) (the one-hot month
//     columns are nearly constant inside a component, so densities exceed 1 and
//     log p is often positive: only the ranking matters);
//   - AutoEncoder (16 → 8 → 3 → 8 → 16): reconstruction error.
// It prints each detector's top days, then a consensus ranking (the mean of the
// three per-detector ranks) and how much the detectors agree.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { init, parseCSV, Dataset, Preprocessor, KMeans, GaussianMixture, AutoEncoder } from '../../dist/node.js';

await init();

const path = fileURLToPath(new URL('../data/seattle-weather.csv', import.meta.url));
const csv = parseCSV(readFileSync(path, 'utf8'));
const col = (name) => csv.header.indexOf(name);
const days = csv.rows.map((r) => ({
  date: r[col('date')],
  month: r[col('date')].slice(5, 7),
  precipitation: r[col('precipitation')],
  temp_max: r[col('temp_max')],
  temp_min: r[col('temp_min')],
  wind: r[col('wind')],
  weather: r[col('weather')],
}));
const data = Dataset.fromRows(days, {
  features: { precipitation: 'numeric', temp_max: 'numeric', temp_min: 'numeric', wind: 'numeric', month: 'categorical' },
});
const prep = Preprocessor.fit(data);
const { features, rows } = prep.transform(data); // standardized numbers + one-hot month
const points = { data: features, rows, cols: prep.featureCount };
const featureNames = prep.featureNames;
console.log(`${rows} days, ${prep.featureCount} features: ${featureNames.slice(0, 5).join(', ')} … ${featureNames.at(-1)}\n`);

const kmeans = new KMeans({ k: 8, seed: 1, nInit: 4 }).fit(points);
const gmm = new GaussianMixture({ nComponents: 6, covarianceType: 'diag', regCovar: 1e-3, nInit: 2, seed: 1 }).fit(points);
const ae = new AutoEncoder({ inputSize: prep.featureCount, encoderUnits: [8, 3], activation: 'tanh', seed: 1 });
const history = ae.fit(points, { epochs: 150, batchSize: 32, learningRate: 3e-3 });

const scores = {
  'k-means distance': kmeans.anomalyScores(points),
  'mixture −log p': gmm.anomalyScores(points),
  'autoencoder error': ae.anomalyScores(points),
};
console.log(`k-means inertia ${kmeans.inertia.toFixed(1)}; mixture mean log-likelihood ${gmm.lowerBound.toFixed(3)} ` +
  `(${gmm.converged ? 'converged' : 'not converged'} in ${gmm.nIter} EM steps); autoencoder loss ` +
  `${history.loss[0].toFixed(3)} → ${history.loss.at(-1).toFixed(3)}\n`);
ae.dispose();

const TOP = 8;
const describe = (i) => {
  const d = days[i];
  return `${d.date}  ${d.weather.padEnd(7)} rain ${d.precipitation.padStart(4)} mm  max ${d.temp_max.padStart(4)} °C  ` +
    `min ${d.temp_min.padStart(4)} °C  wind ${d.wind.padStart(3)} m/s`;
};
const order = (s) => Array.from(s.keys()).sort((a, b) => s[b] - s[a] || a - b);

const ranks = {};
for (const [name, s] of Object.entries(scores)) {
  const o = order(s);
  ranks[name] = new Float64Array(rows);
  o.forEach((day, r) => { ranks[name][day] = r + 1; });
  console.log(`Top ${TOP} by ${name}:`);
  for (const i of o.slice(0, TOP)) console.log(`  ${s[i].toFixed(3).padStart(8)}  ${describe(i)}`);
  console.log();
}

const consensus = Array.from({ length: rows }, (_, i) => Object.values(ranks).reduce((a, r) => a + r[i], 0) / 3);
const byConsensus = Array.from(consensus.keys()).sort((a, b) => consensus[a] - consensus[b] || a - b);
console.log(`Top ${TOP} by consensus (mean rank over the three detectors):`);
for (const i of byConsensus.slice(0, TOP)) {
  const r = Object.values(ranks).map((x) => String(x[i]).padStart(4)).join(' ');
  console.log(`  ranks ${r}  ${describe(i)}`);
}

const topSet = (name, n) => new Set(order(scores[name]).slice(0, n));
const names = Object.keys(scores);
console.log('\nAgreement: days in both detectors\' top 30');
for (let a = 0; a < names.length; a++) {
  for (let b = a + 1; b < names.length; b++) {
    const A = topSet(names[a], 30), B = topSet(names[b], 30);
    const both = [...A].filter((i) => B.has(i)).length;
    console.log(`  ${names[a]} & ${names[b]}: ${both} of 30`);
  }
}
