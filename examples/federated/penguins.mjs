// Penguins split the way data lives on devices: by place. Plain JavaScript (no
// import), so the Node client, the browser page and the tests share it.
//
// From the 342 rows of penguins.csv with measurements: every 4th row of each
// island is held out for testing (84 rows); the other rows are dealt to eight
// clients by island (Biscoe → clients 0–2, Dream → 3–5, Torgersen → 6–7), so each
// client sees one island and its species only; and three clients hold no label of
// one task (client 1: no sex, 4: no species, 6: no body mass) — they train the
// other tasks, and the federation averages each task's part among the clients
// that have its labels.

export const SPEC = {
  features: { bill_length_mm: 'numeric', bill_depth_mm: 'numeric', flipper_length_mm: 'numeric', island: 'categorical' },
  targets: { species: 'multiclass', sex: 'binary', body_mass_g: 'regression' },
};
export const CLIENTS = 8;
const ISLAND_CLIENTS = { Biscoe: [0, 1, 2], Dream: [3, 4, 5], Torgersen: [6, 7] };
/** Client → the task whose labels it does not hold. */
export const MISSING = { 1: 'sex', 4: 'species', 6: 'body_mass_g' };

/** The CSV's rows as objects: numbers as numbers, an empty cell as null (no quoted fields in this file). */
function readRows(csvText) {
  const [head, ...lines] = csvText.trim().split(/\r?\n/);
  const names = head.split(',');
  const numeric = new Set(['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g']);
  return lines.map((line) => Object.fromEntries(line.split(',').map((cell, i) => [names[i], cell === '' ? null : numeric.has(names[i]) ? Number(cell) : cell])))
    .filter((r) => r.bill_length_mm !== null);
}

/**
 * { train, test, clients: [{ id, island, missing, rows, spec }] }: rows as objects
 * for Dataset.fromRows(rows, spec); a client's spec has no target it holds no
 * label of.
 */
export function splitByIsland(csvText) {
  const train = [], test = [];
  const clients = Array.from({ length: CLIENTS }, (_, id) => {
    const missing = MISSING[id] ?? null;
    const targets = Object.fromEntries(Object.entries(SPEC.targets).filter(([t]) => t !== missing));
    return { id, island: null, missing, rows: [], spec: { ...SPEC, targets } };
  });
  for (const [island, ids] of Object.entries(ISLAND_CLIENTS)) {
    let dealt = 0;
    readRows(csvText).filter((r) => r.island === island).forEach((r, i) => {
      if (i % 4 === 3) { test.push(r); return; }
      train.push(r);
      const client = clients[ids[dealt++ % ids.length]];
      client.island = island;
      const { [client.missing]: _, ...kept } = r;
      client.rows.push(client.missing ? kept : r);
    });
  }
  return { train, test, clients };
}
