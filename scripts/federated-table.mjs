// npm run table:federated [-- --cost] [-- --quick]
//
// The tables of docs/federated.md.
//
// Accuracy (deterministic: the same numbers on every run): eight clients on
// penguins split by island, three without one task's labels
// (examples/federated/penguins.mjs, tests/helpers/federated-penguins.js), 20
// rounds of 5 local epochs, against centralised training on the union of their
// rows for 100 epochs; federated with f32, f16 and int8 updates and with
// FedProx; and the personalised task parts (taskParts 'local') against the
// global ones (taskParts 'average'), by loss on each client's own rows. The
// coordinator is FederatedCoordinator with Durable Objects in memory (the
// aggregation is integer arithmetic: workerd gives the same weights, as
// tests/runtimes/federated.test.js checks for f32).
//
// --cost (timings: run on a quiet machine; --quick for a smoke run): the
// coordinator's CPU time per update for a model of about 100k parameters
// (decode, check, fixed-point accumulation), per round close (server step,
// next version, model file), and the bytes per client per round.
import { parseArgs } from 'node:util';
import { init, MultiTaskModel, tasks } from '../dist/index.js';
import { FederatedCoordinator, routeFederation } from '../dist/federated-coordinator.js';
import { Federation, layoutOfModelFile, encodedLength } from '../dist/internal.js';
import { memoryNamespace } from '../tests/helpers/memory-durable-object.js';
import { deltas, frame } from '../tests/helpers/federated-scenarios.js';
import { penguinsSplit, federate, centralised, metrics, taskLosses } from '../tests/helpers/federated-penguins.js';

const { values: args } = parseArgs({ options: { cost: { type: 'boolean', default: false }, quick: { type: 'boolean', default: false } } });
await init();
const ROUNDS = args.quick ? 3 : 20;
console.log(`node ${process.version}, ${new Date().toISOString().slice(0, 10)}${args.quick ? ', --quick (not the table\'s numbers)' : ''}\n`);

const SECRET = 'the-federated-table-deployment-secret-0123456789';
const namespace = memoryNamespace(FederatedCoordinator, { FEDERATED_SECRET: SECRET });
const env = {
  secret: SECRET,
  fetch: async (url, init) => (await routeFederation(new Request(url, init), namespace)) ?? new Response('not here', { status: 404 }),
  url: (name) => `http://coordinator.test/federations/${name}`,
};

const f3 = (v) => v.toFixed(3);
const split = penguinsSplit();
const central = await centralised(split, { rounds: ROUNDS });
const rows = [['centralised, the union of the rows', metrics(central, split.test), null]];
central.dispose();
const runs = [
  ['federated, f32 updates', { encoding: 'f32' }],
  ['federated, f16 updates', { encoding: 'f16' }],
  ['federated, int8 updates', { encoding: 'int8' }],
  ['federated, f32, FedProx μ = 0.01', { encoding: 'f32', proximal: 0.01 }],
];
let globalRun = null;
for (const [label, o] of runs) {
  const r = await federate(env, `table-${rows.length}`, split, { rounds: ROUNDS, taskParts: 'average', ...o });
  rows.push([label, metrics(r.global, split.test), { upload: r.sent.map((s) => s[0]), download: r.modelBytes }]);
  if (globalRun === null) globalRun = r;
  else for (const m of [r.global, ...r.clients]) m.dispose();
}
console.log(`Test metrics on the ${split.test.rows} held-out rows (${ROUNDS} rounds × ${5} local epochs; centralised: ${ROUNDS * 5} epochs):\n`);
console.log('| run | species accuracy | sex accuracy | body mass R² | body mass MAE (g) | update bytes per client per round |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [label, m, bytes] of rows) {
  const up = bytes === null ? '—' : `${Math.min(...bytes.upload)}–${Math.max(...bytes.upload)}`;
  console.log(`| ${label} | ${f3(m.species)} | ${f3(m.sex)} | ${f3(m.body_mass_r2)} | ${m.body_mass_mae.toFixed(0)} | ${up} |`);
}
console.log(`\n(the global model's file, each client's download per round: ${rows[1][2].download} bytes)\n`);

const local = await federate(env, 'table-local', split, { rounds: ROUNDS, taskParts: 'local' });
console.log('Loss on each client\'s own rows, global task parts (taskParts \'average\') → personalised (taskParts \'local\'):\n');
console.log('| client | island | rows | species | sex | body mass |');
console.log('| --- | --- | ---: | ---: | ---: | ---: |');
let better = 0, compared = 0;
for (const [i, c] of split.clients.entries()) {
  const g = taskLosses(globalRun.clients[i], c.data), p = taskLosses(local.clients[i], c.data);
  const cell = (task) => {
    if (!(task in p)) return 'no labels';
    compared++;
    if (p[task] <= g[task]) better++;
    return `${g[task].toFixed(3)} → ${p[task].toFixed(3)}`;
  };
  console.log(`| ${i} | ${c.island} | ${c.rows.length} | ${cell('species')} | ${cell('sex')} | ${cell('body_mass_g')} |`);
}
console.log(`\npersonalised at least as good in ${better} of ${compared} (client, task) pairs\n`);
for (const m of [globalRun.global, ...globalRun.clients, local.global, ...local.clients]) m.dispose();

if (args.cost) await cost();

/** The coordinator's work for a ~100k-parameter model, timed in this process. */
async function cost() {
  const model = new MultiTaskModel({
    input: { features: 64, classes: { kind: 10 } },
    architecture: { type: 'sharedBottom', units: [256, 256], towerUnits: [32] },
    tasks: [tasks.multiclass('kind'), tasks.binary('flag'), tasks.regression('amount')], seed: 1,
  });
  const bytes = model.save();
  model.dispose();
  const { layout } = layoutOfModelFile(bytes);
  const total = layout.parts.reduce((n, p) => n + p.length, 0);
  const updates = args.quick ? 5 : 40, repeats = args.quick ? 1 : 5;
  console.log(`The coordinator's CPU time for a model of ${total} parameters (shared part ${layout.shared.length}; model file ${bytes.length} bytes), median of ${repeats} × ${updates} updates:\n`);
  console.log('| update | bytes | check + add (ms per update) | close (ms per round) |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const encoding of ['f32', 'f16', 'int8']) {
    for (const taskParts of ['local', 'average']) {
      const perUpdate = [], perClose = [];
      let size = 0;
      for (let rep = -1; rep < repeats; rep++) { // rep −1 warms the JIT up, untimed
        const federation = Federation.start('cost', 'c0ffee', bytes, { minClients: 1, clientsPerRound: updates, taskParts }, Date.now());
        const s = { id: federation.state.id, layout: federation.state.layoutId, round: 1, version: 0 };
        const frames = Array.from({ length: updates }, (_, i) => frame(s, deltas(layout, i, taskParts === 'average' ? ['kind', 'flag', 'amount'] : []).map((p) => ({ ...p, examples: 50 + i })), { encoding }));
        size = frames[0].length;
        const started = performance.now();
        for (const [i, f] of frames.entries()) federation.add(federation.check(f, `client-${i}`));
        const added = performance.now();
        await federation.close('target', Date.now());
        federation.modelFile();
        if (rep < 0) continue;
        perUpdate.push((added - started) / updates);
        perClose.push(performance.now() - added);
      }
      const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
      console.log(`| ${encoding}, ${taskParts === 'local' ? 'shared part' : 'every part'} | ${size} | ${median(perUpdate).toFixed(2)} | ${median(perClose).toFixed(1)} |`);
    }
  }
  const mib = (n) => (n / 2 ** 20).toFixed(2);
  console.log(`\nBytes: the model file ${bytes.length} (f32) per download; an update of every part ${encodedLength(total, 'f32')} (f32), ${encodedLength(total, 'f16')} (f16), ${encodedLength(total, 'int8')} (int8) plus a header of ~200.`);
  console.log(`Memory of the open round: two f64 per parameter for the sums (${mib(16 * total)} MiB), the weights (${mib(4 * total)} MiB), a f64 scratch (${mib(8 * total)} MiB); FedAdam adds ${mib(16 * total)} MiB; updates are not held (stored, then summed).`);
}
