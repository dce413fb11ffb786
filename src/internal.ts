// Internals for manytask's own tests and benchmarks; not part of the public API
// and not listed in package.json "exports".
export { runtime, heapF32, resetRuntime } from './runtime/module.js';
export { Act } from './runtime/abi.js';
export type { Kernels } from './runtime/abi.js';
// Optimizers, clipping and schedules (src/nn/optim.ts, src/nn/schedule.ts);
// src/api.ts decides what becomes public.
export { createOptimizer, gradNorm, clipGradNorm, clipGradValue } from './nn/optim.js';
export type { Optimizer, OptimizerSpec, OptimizerConfig, SgdSpec, AdamSpec, ClipOptions, StepOptions } from './nn/optim.js';
export { createSchedule } from './nn/schedule.js';
export type {
  Schedule, ScheduleSpec, ScheduleUnit, WarmupOptions,
  ConstantScheduleSpec, StepScheduleSpec, ExponentialScheduleSpec, CosineScheduleSpec,
} from './nn/schedule.js';
// Losses (src/nn/loss.ts).
export { createLoss, lossAndGradient, validateLossInputs } from './nn/loss.js';
export type {
  Loss, LossSpec, LossType, ResolvedLossSpec, Reduction, TargetKind, ClassWeighting, LossBuffers, LossOptions,
  LossTargets, LossResult, LossInputs, MaskValue,
} from './nn/loss.js';
