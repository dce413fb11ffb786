// Everything public except `init`, which each entry point defines with its own
// way of finding manytask.wasm (see src/entries/).

export { Matrix } from './tensor/matrix.js';
export type { MatrixData } from './tensor/matrix.js';
export { matmul, gemm, add, mul, scale, axpy, dot, sum, sumSquares } from './tensor/ops.js';
export type { MatmulOptions, GemmOptions, GemmActivation } from './tensor/ops.js';
export {
  ManytaskError, InitError, NotInitializedError, ShapeError, ArgumentError, DisposedError,
  OutOfMemoryError, WasmTrapError, NonFinitePredictionError, ThreadError,
} from './runtime/errors.js';
export type { ErrorCode } from './runtime/errors.js';
export type { WasmSource, InitOptions, ThreadInfo } from './runtime/module.js';
export { MAX_THREADS } from './runtime/module.js';
export { threadInfo, shutdown } from './threads/index.js';
export { sweep } from './sweep/index.js';
export type { SweepOptions, SweepRun } from './sweep/index.js';
export { isInitialized } from './runtime/module.js';
export { memory } from './runtime/holdings.js';
export type { MemoryInfo } from './runtime/holdings.js';
export { Network, type NetworkOptions } from './nn/network.js';
export { Layer, Dense, ActivationLayer as Activation, Dropout, LayerNorm, Sequential } from './nn/layers.js';
export type { DenseOptions, Activation as ActivationName } from './nn/layers.js';
export { Parameters, type ParameterInfo } from './nn/params.js';
export { INITIALIZERS, LAYER_INITIALIZERS, type InitializerName, type LayerInitializerName } from './nn/init.js';
export { Rng } from './nn/rng.js';
export { createLoss, lossAndGradient, validateLossInputs } from './nn/loss.js';
export type {
  Loss, LossSpec, LossType, ResolvedLossSpec, Reduction, TargetKind, ClassWeighting, LossBuffers, LossOptions,
  LossTargets, LossResult, LossInputs, MaskValue,
} from './nn/loss.js';
export { createOptimizer, gradNorm, clipGradNorm, clipGradValue } from './nn/optim.js';
export type { Optimizer, OptimizerSpec, OptimizerConfig, SgdSpec, AdamSpec, ClipOptions, StepOptions } from './nn/optim.js';
export { createSchedule } from './nn/schedule.js';
export type {
  Schedule, ScheduleSpec, ScheduleUnit, WarmupOptions,
  ConstantScheduleSpec, StepScheduleSpec, ExponentialScheduleSpec, CosineScheduleSpec,
} from './nn/schedule.js';
export type { ParameterBlock } from './nn/types.js';

// data (src/data/)
export {
  parseCSV, detectDelimiter, inferSchema, DEFAULT_NA_VALUES, Dataset, Preprocessor, CsvError, DataError, UnknownCategoryError, UnknownClassError,
  OutOfRangeError, windows, levelsOf,
} from './data/index.js';
export type {
  CsvOptions, CsvInput, ParsedCsv, InferredSchema, InferredColumn, InferredCell, InferOptions, DatasetTarget, ColumnValues, SplitOptions,
  PreprocessorJSON, PreprocessorColumnState, NumericColumnState, CategoricalColumnState, TransformResult, RawRow,
  DataErrorLocation, FeatureType, TargetType, NumericImputation, UnknownCategory,
  FeatureSpec, NumericFeatureSpec, CategoricalFeatureSpec,
  TargetSpec, BinaryTargetSpec, MulticlassTargetSpec, MultilabelTargetSpec, RegressionTargetSpec,
  DatasetSpec, CsvDatasetSpec, ResolvedFeatureSpec, ResolvedTargetSpec, ResolvedDatasetSpec, WindowsOptions,
} from './data/index.js';
// architectures
export { ARCHITECTURE_TYPES } from './mtl/arch/index.js';
export type { ArchitectureSpec, ArchitectureSpecOf, ArchitectureType } from './mtl/arch/index.js';
export type { SharedBottomSpec } from './mtl/arch/shared-bottom.js';
export type { MmoeSpec } from './mtl/arch/mmoe.js';
export type { OmoeSpec } from './mtl/arch/omoe.js';
export type { CgcSpec } from './mtl/arch/cgc.js';
export type { PleSpec } from './mtl/arch/ple.js';
export type { CrossStitchSpec } from './mtl/arch/cross-stitch.js';
export type { Conv1dSpec } from './mtl/arch/conv1d.js';
// the multi-task model (src/mtl/, src/train/, src/io/)
export { MultiTaskModel, loadModel } from './model/multitask-model.js';
export { encoded } from './tensor/rows.js';
export { predictionsToJSON, type PredictionJSON } from './mtl/predictions-json.js';
export type { MetaLearnOptions, MetaLearnSummary } from './model/reptile.js';
export type {
  MultiTaskModelOptions, ArrayInputSpec, FeatureRows, LabelColumns, TaskPrediction, PredictionOf, Predictions, ValidationData,
} from './model/multitask-model.js';
export type { PredictOptions } from './data/encoding.js';
export type { ModelOptions, InputSchema } from './mtl/core.js';
export { tasks, DEFAULT_QUANTILES } from './mtl/tasks.js';
export { DEFAULT_LEVEL } from './mtl/kinds.js';
export type { TaskSpec, TaskOptions, TaskKind, TaskMakers } from './mtl/tasks.js';
export type { TaskAffinity, AffinityOptions } from './mtl/affinity.js';
export { groupTasks } from './mtl/affinity.js';
export type { RelatednessOptions } from './mtl/relatedness.js';
export type { FitOptions, FitCallbacks, EarlyStoppingOptions, History, EpochLogs, BatchLogs } from './mtl/fit.js';
export type { DivergenceOptions } from './train/divergence.js';
export type { Evaluation, TaskEvaluation, TaskEvaluationByKind, EvaluationOf } from './mtl/evaluate.js';
export type { AttackOptions, AdversarialTrainingOptions, EvaluateOptions } from './mtl/adversarial.js';
export { distill, type DistillOptions, type DistillResult, type DistillSide } from './model/distill.js';
export { Ensemble, loadEnsemble, type EnsembleOptions, type EnsembleTrainOptions, type EnsembleCombine, type RankOptions, type RankMetric, type LabeledData } from './model/ensemble.js';
export { formatEvaluation, formatAffinity } from './model/report.js';
export { ModelFormatError } from './io/format.js';
export type { WeightEncoding } from './io/format.js';
export { TrainingDivergedError } from './runtime/errors.js';
// weighting and metrics
export { createWeighting, WEIGHTING_TYPES } from './mtl/weighting/index.js';
export type {
  WeightingSpec, WeightingType, FixedWeightingSpec, UncertaintyWeightingSpec, DwaWeightingSpec, GradNormWeightingSpec,
  RlwWeightingSpec, PcgradWeightingSpec, MgdaWeightingSpec, CagradWeightingSpec, CagradRescale, MgdaNormalization,
  GradientSource, WeightOptimizer, GlsWeightingSpec, ImtlWeightingSpec, NashMtlWeightingSpec, AlignedMtlWeightingSpec,
  AlignedMtlScale, GradVacWeightingSpec, GradDropWeightingSpec, MocoWeightingSpec, DbMtlWeightingSpec, StchWeightingSpec,
  ExcessMtlWeightingSpec, FairGradWeightingSpec, FamoWeightingSpec, ModoWeightingSpec, SdmGradWeightingSpec,
  UpgradWeightingSpec, DualProjWeightingSpec, ConfigWeightingSpec, TrimmedMeanWeightingSpec, KrumWeightingSpec,
} from './mtl/weighting/index.js';
export type {
  WeightingStrategy, WeightingNeeds, WeightingContext, WeightingStepInput, WeightingStepOutput, WeightingVectors,
} from './mtl/weighting/types.js';
export {
  binaryAccuracy, binaryAuc, binaryF1, binaryLogLoss, multiclassAccuracy, multiclassF1, multiclassLogLoss,
  multilabelAccuracy, multilabelF1, multilabelLogLoss, meanAbsoluteError, rootMeanSquaredError, r2Score,
  gaussianNll, poissonNll, pinballLoss, intervalCoverage, intervalWidth,
} from './metrics/metrics.js';
export type {
  FloatArray, MetricOptions, ThresholdOptions, LogLossOptions, MultilabelOptions, RegressionOptions, PerClassResult,
} from './metrics/metrics.js';
// clustering, mixtures and the autoencoder (src/cluster/)
export { BaseKMeans, KMeans, MiniBatchKMeans, GaussianMixture, AutoEncoder } from './cluster/index.js';
export type {
  BaseKMeansOptions, KMeansOptions, KMeansInit, MiniBatchKMeansOptions, GaussianMixtureOptions, CovarianceType,
  GaussianMixtureInit, Precisions, GaussianMixtureSample, GaussianMixtureSampleOptions,
  AutoEncoderOptions, AutoEncoderFitOptions, AutoEncoderHistory, AutoEncoderEpochLogs, Points, FlatPoints,
  RowMajorArray, ResultOptions, SampleWeight, SampleWeightOptions,
} from './cluster/index.js';
// warnings (what a fit can stand behind but was probably not meant)
export { ManytaskWarning, ConvergenceWarning, setWarningHandler, captureWarnings } from './runtime/warnings.js';
export type { WarningCode, WarningHandler, WarningAction } from './runtime/warnings.js';
