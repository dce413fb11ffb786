// The JSON form of predictions: predict() gives typed arrays (Float32Array,
// Int32Array), which JSON.stringify writes as {"0": …, "1": …}.

import type { TaskPrediction } from './kinds.js';

/** A prediction with its typed arrays as plain number arrays. */
export type PredictionJSON<P> = { [F in keyof P]: P[F] extends Float32Array | Int32Array ? number[] : P[F] };

/**
 * Predictions as JSON can carry them: every typed array as a plain array of
 * numbers, everything else as it is. `Response.json(predictionsToJSON(model.predict(rows)))`.
 */
export function predictionsToJSON<P extends Readonly<Record<string, TaskPrediction>>>(predictions: P): { [T in keyof P]: PredictionJSON<P[T]> } {
  // A copy through JSON itself, each typed array swapped for an array on the way (JSON has no NaN: a NaN would be null).
  return JSON.parse(JSON.stringify(predictions, (_, v: unknown) => (ArrayBuffer.isView(v) ? [...(v as Float32Array)] : v)));
}
