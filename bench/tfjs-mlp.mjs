// The benchmark MLP in TF.js (tfjs-layers on the WASM backend), written as a
// careful user would for speed: a functional model with three heads, one
// optimizer.minimize per step (no per-step loss read-back), batches built from
// JS arrays, tensors disposed every step.
export function buildTfMlp(tf, tfl, { inputs = 64, hidden = [256, 128], classes = 5, seed = 1 } = {}) {
  const init = (s) => tfl.initializers.glorotUniform({ seed: seed + s });
  const input = tfl.input({ shape: [inputs] });
  let h = input;
  hidden.forEach((units, i) => { h = tfl.layers.dense({ units, activation: 'relu', kernelInitializer: init(i) }).apply(h); });
  const binary = tfl.layers.dense({ units: 1, kernelInitializer: init(10) }).apply(h);
  const multi = tfl.layers.dense({ units: classes, kernelInitializer: init(11) }).apply(h);
  const reg = tfl.layers.dense({ units: 1, kernelInitializer: init(12) }).apply(h);
  const model = tfl.model({ inputs: input, outputs: [binary, multi, reg] });
  const optimizer = tf.train.adam(1e-3);

  /** One training step on a batch given as JS typed arrays. */
  function step(x, yBinary, yClass, yReg, rows) {
    const xt = tf.tensor2d(x, [rows, inputs]);
    const yb = tf.tensor2d(yBinary, [rows, 1]);
    const yc = tf.oneHot(tf.tensor1d(yClass, 'int32'), classes);
    const yr = tf.tensor2d(yReg, [rows, 1]);
    optimizer.minimize(() => {
      const [zb, zc, zr] = model.apply(xt, { training: true });
      const lb = tf.losses.sigmoidCrossEntropy(yb, zb);
      const lc = tf.losses.softmaxCrossEntropy(yc, zc);
      const lr = tf.losses.meanSquaredError(yr, zr);
      return tf.addN([lb, lc, lr]);
    }, false);
    tf.dispose([xt, yb, yc, yr]);
  }

  /** Inference on rows × inputs; returns the three outputs' data (read back, as a server would). */
  function predict(x, rows) {
    return tf.tidy(() => model.predict(tf.tensor2d(x, [rows, inputs]))).map((t) => {
      const d = t.dataSync();
      t.dispose();
      return d;
    });
  }

  return { model, step, predict, dispose: () => { model.dispose(); optimizer.dispose(); } };
}
