// Which task owns a parameter is declared when the parameter is made, never read
// from its name (issue #12, point 2): task names that are also name segments
// ("0", "1", "shared", "head", "gate", "tower", "experts") change nothing — the
// relatedness regularizer ties only tensors two tasks own in the same role, and a
// divergence names the task that owns the parameter that broke.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { init, MultiTaskModel, tasks, TrainingDivergedError, ArgumentError } from '../../dist/index.js';
import { seededValues } from '../helpers/reference.js';

before(async () => { await init(); });

const ROWS = 24, F = 4;
const x = Array.from({ length: ROWS }, (_, i) => Array.from(seededValues(F, i + 1)));
const y = (t) => Array.from({ length: ROWS }, (_, i) => ((i * 7 + t) % 3 === 0 ? 1 : 0));

function model(names, architecture, relatedness) {
  return new MultiTaskModel({
    input: { features: F }, architecture, seed: 3,
    tasks: names.map((n) => tasks.binary(n)),
    ...(relatedness ? { relatedness } : {}),
    optimizer: { type: 'sgd', learningRate: 0.1 },
  });
}

/** Copies task `from`'s own tensors (towers, gates, task experts, head) onto task `to`'s, so the two tasks are identical. */
function twin(m, from, to) {
  for (const name of m.parameters.names()) {
    const [part, owner, ...rest] = name.split('.');
    if (owner !== to || !['tower', 'gate', 'taskExperts', 'head'].includes(part)) continue;
    m.parameters.set(name, m.parameters.get([part, from, ...rest].join('.')));
  }
}

const ARCHITECTURES = [
  // units [4, 4] on 4 features: shared.0.weight and shared.1.weight have one shape, which a name-based pairing would tie for tasks "0" and "1".
  { type: 'sharedBottom', units: [4, 4], towerUnits: [3] },
  { type: 'mmoe', experts: 2, expertUnits: [4], towerUnits: [3] },
  { type: 'cgc', sharedExperts: 1, taskExperts: 1, expertUnits: [4], towerUnits: [] },
];

for (const names of [['0', '1'], ['shared', 'head'], ['gate', 'tower'], ['experts', 'levels']]) {
  for (const architecture of ARCHITECTURES) {
    test(`relatedness between tasks ${names.join(' and ')} (${architecture.type}): identical task parameters add nothing`, async () => {
      const fits = [];
      for (const strength of [0, 10]) {
        const m = model(names, architecture, { pairs: [[names[0], names[1], 1]], strength });
        twin(m, names[0], names[1]);
        const labels = Object.fromEntries(names.map((n) => [n, y(0)]));
        await m.fit(x, labels, { epochs: 1, batchSize: ROWS, shuffle: false });
        fits.push(Object.fromEntries(m.parameters.names().map((n) => [n, m.parameters.get(n)])));
        m.dispose();
      }
      // The tied tensors were equal, so the penalty's gradient is 0 and a step with strength 10 equals one without it.
      assert.deepEqual(fits[1], fits[0]);
    });
  }
}

test('relatedness ties exactly the tensors two tasks own in the same role', () => {
  const m = model(['0', '1', 'shared'], { type: 'sharedBottom', units: [4, 4], towerUnits: [3, 2] });
  const list = m.parameters.list();
  const roles = (t) => list.filter((p) => p.owner === t).map((p) => p.role);
  assert.deepEqual(roles(0), roles(1));
  assert.deepEqual(roles(0), ['tower.0.weight', 'tower.0.bias', 'tower.1.weight', 'tower.1.bias', 'head.0.weight', 'head.0.bias']);
  assert.deepEqual(list.filter((p) => p.owner === -1).map((p) => p.name), ['shared.0.weight', 'shared.0.bias', 'shared.1.weight', 'shared.1.bias']);
  m.dispose();
});

test('a divergence names the task that owns the broken parameter, whatever the names', async () => {
  for (const names of [['0', '1'], ['head', 'tower']]) {
    const m = model(names, { type: 'sharedBottom', units: [4, 4], towerUnits: [] });
    // Large shared weights make a large representation, so only the second task's head (the one part
    // that trains) gets a gradient whose SGD step overflows float32; the losses stay finite.
    for (const n of ['shared.0.weight', 'shared.1.weight']) m.parameters.set(n, new Float32Array(16).fill(1000));
    const labels = Object.fromEntries(names.map((n) => [n, y(1)]));
    const frozen = m.parameters.names().filter((n) => !n.startsWith(`head.${names[1]}.`));
    await assert.rejects(
      m.fit(x, labels, { epochs: 1, batchSize: ROWS, learningRate: 1e33, freeze: frozen }),
      (e) => e instanceof TrainingDivergedError && e.task === names[1],
    );
    m.dispose();
  }
});

test('a task name with "." is refused: names are parameter name segments', () => {
  assert.throws(() => model(['a.b', 'c'], ARCHITECTURES[0]), (e) => e instanceof ArgumentError && /named "a\.b"/.test(e.message));
});
