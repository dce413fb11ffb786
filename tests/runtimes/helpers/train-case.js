// A short seeded training run that touches every numeric piece of the nn core:
// initializers (uniform and normal draws), dropout masks, LayerNorm, GELU,
// softmax cross-entropy with label smoothing, a sample-weighted MSE head's loss,
// Adam with global-norm clipping and a warm-up + cosine schedule. Every runtime
// runs it with the same build; the weights must agree bit for bit.
// Runtime-neutral on purpose: no Node APIs, no imports (it receives the module).
import { seededValues, f32ToHex } from './gemm-cases.js';

export const TRAIN_STEPS = 12;

export function runTraining(mt) {
  const { Matrix, Network, Dense, Dropout, LayerNorm, lossAndGradient, createOptimizer, createSchedule } = mt;
  const rows = 24, inputs = 6, classes = 3;
  const net = new Network([
    new Dense(16, { activation: 'relu', kernelInitializer: 'heNormal' }),
    new LayerNorm(),
    new Dropout(0.2),
    new Dense(12, { activation: 'gelu', kernelInitializer: 'glorotUniform' }),
    new Dense(classes),
  ], { inputSize: inputs, seed: 1234 });
  const optimizer = createOptimizer({ type: 'adamw', learningRate: 0.01, weightDecay: 0.01, globalClipNorm: 1 }).attach(net.parameters);
  const schedule = createSchedule({ type: 'cosine', learningRate: 0.01, decaySteps: TRAIN_STEPS, warmupSteps: 3 });
  const xs = seededValues(rows * inputs, 7);
  const labels = Array.from({ length: rows }, (_, i) => (xs[i * inputs] + xs[i * inputs + 1] > 0 ? 2 : i % 2));
  const losses = [];
  for (let step = 0; step < TRAIN_STEPS; step++) {
    const x = Matrix.from(xs, rows, inputs);
    const logits = net.forward(x, { training: true });
    const { loss, grad } = lossAndGradient({ type: 'softmaxCrossEntropy', labelSmoothing: 0.1 }, logits, labels);
    net.backward(grad).dispose();
    optimizer.step({ learningRate: schedule(step) });
    losses.push(loss);
    for (const m of [x, logits, grad]) m.dispose();
  }
  const weights = net.parameters.names().map((name) => f32ToHex(net.parameters.get(name))).join('');
  optimizer.dispose();
  net.dispose();
  return { weights, losses };
}
