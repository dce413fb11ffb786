// Learning to Branch (Guo, Lee & Ulbricht, ICML 2020): the network is a tree of
// dense blocks grown from the input, and which block each block hangs under is
// learned. Layer 0 has branches[0] nodes reading x; every node of a later layer
// picks one parent among the previous layer's nodes; the last layer has one node
// per task. The choice of node c at layer l is a categorical distribution over the
// K parents with logits α_{l,c} (1 × K, starting at 0: every parent alike). While
// training, the node reads a Gumbel-softmax sample of that choice (the paper's
// relaxation; a fresh sample per pass, every row of a batch alike):
//
//   w   = softmax((α_{l,c} + g) / τ),  g_j = −log(−log u_j), u_j ~ U(0, 1)
//   n_{l,c} = act(Σ_j w_j · n_{l−1,j} · W_{l,c} + b_{l,c})
//
// so gradients reach α and every parent. Outside training (predict, evaluate,
// manytask/infer) each node takes the parent of its largest logit: the tree the
// search settled on. τ (temperature, default 1) is fixed; lower it for samples
// closer to one-hot, so that training sees nearly the tree predict will use. The
// paper anneals τ and then retrains the chosen tree; LibMTL anneals τ per epoch.
// Neither is done here (a model's step does not know the epoch).
//
//   Z   = [n_{L−2,0} … n_{L−2,K−1}]      the last shared layer's nodes   rows × (K·units[L−2])
//   R_t = tower_t(n_{L−1,t})             task t's node, choosing among Z's blocks
//
// Parameters: `nodes.<l>.<i>.weight|bias` and `parents.<l>.<i>` (1 × K_{l−1}; l ≥ 1)
// for the shared layers; `parents.<task>` and `nodes.<task>.weight|bias` (the last
// layer, owned by the task) and `tower.<task>.<k>.weight|bias`. The Gumbel noise is
// drawn from the model's dropout stream (src/nn/rng.ts), in WASM (the logarithm).

import { ShapeError } from '../../runtime/errors.js';
import { defineArchitecture, fraction, units, withTowers, ACTIVATION_CODES, SHARED, type CommonSpec } from './common.js';
import type { DescriptionBuilder, Op } from '../../graph/description.js';

export interface LtbSpec extends CommonSpec {
  type: 'ltb';
  /** Width of each layer's nodes (one dense layer each), from the input up; at least two layers. */
  units: number[];
  /** Nodes in each layer but the last, which has one per task (units.length − 1 counts). */
  branches: number[];
  /** The Gumbel-softmax temperature τ of the parent choices while training. Default 1. */
  temperature?: number;
}

/** A node's input: a parent choice over the `count` blocks of `parents` (each `d` wide). Returns the mixed value. */
function chooseParent(b: DescriptionBuilder, parents: number, count: number, d: number, name: string, owner: number, role: string, temperature: number): number {
  const alpha = b.tensor(name, 1, count, 'zeros', owner, role);
  const w = b.value(count);
  b.op({ kind: 'gumbel', alpha, y: w, temperature });
  return b.mix(parents, Array.from({ length: count }, (_, j) => j), w, d);
}

export const ltb = defineArchitecture<LtbSpec>()({
  type: 'ltb',
  options: { units: units(), branches: units(true), temperature: fraction(1, 0.01, 100, true) },
  describe(c, b, taskNames) {
    const L = c.units.length, act = ACTIVATION_CODES[c.activation], tau = c.temperature;
    if (L < 2) throw new ShapeError(`architecture "ltb": units must list at least two layers, got ${L}`);
    if (c.branches.length !== L - 1) throw new ShapeError(`architecture "ltb": branches must have ${L - 1} counts (one per layer but the last), got ${c.branches.length}`);
    const shared: Op[] = [];
    b.into(shared);
    let nodes = b.branches(c.branches[0]!, (i) => b.dense(b.input, c.units[0]!, `nodes.0.${i}`, act, SHARED, c.dropout));
    for (let l = 1; l < L - 1; l++) {
      const parents = b.concat(nodes), count = nodes.length, d = c.units[l - 1]!;
      nodes = b.branches(c.branches[l]!, (i) => {
        const input = chooseParent(b, parents, count, d, `parents.${l}.${i}`, SHARED, '', tau);
        return b.dense(input, c.units[l]!, `nodes.${l}.${i}`, act, SHARED, c.dropout);
      });
    }
    const z = b.concat(nodes), count = nodes.length, d = c.units[L - 2]!;
    const tasks = withTowers(b, c, taskNames, (t) => {
      const name = taskNames[t]!;
      const input = chooseParent(b, z, count, d, `parents.${name}`, t, 'parents', tau);
      return b.dense(input, c.units[L - 1]!, `nodes.${name}`, act, t, c.dropout, 'node');
    });
    return { shared, z, tasks };
  },
});
