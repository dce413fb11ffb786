// The clustering models' rounding check (src/cluster/lloyd.ts) with its screen on and
// off, for the tests that hold the screen to the exact check (kmeans, gmm).
import { ArgumentError } from '../../dist/index.js';
import { roundingChecks } from '../../dist/internal.js';

/**
 * Outcomes of `f` with checkRounding's screen on and off (every group, and every new row, then checked
 * exactly, as before the screen): each { ok } or { error: message }, and whether the screen cleared every group.
 */
export function screenOnOff(f) {
  const run = (screen) => {
    roundingChecks.screen = screen;
    let clearedAll = false;
    roundingChecks.cleared = (c) => { clearedAll = c.every((v) => v === 1); };
    try {
      return { ok: f(), clearedAll };
    } catch (e) {
      if (!(e instanceof ArgumentError)) throw e;
      return { error: e.message, clearedAll };
    } finally {
      roundingChecks.screen = true;
      roundingChecks.cleared = null;
    }
  };
  return [run(true), run(false)];
}
