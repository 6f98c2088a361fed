/**
 * winnow's public API: `import { … } from 'winnow'`.
 *
 * Sparse neural networks, measured: build networks from specs, train them, prune them (magnitude,
 * random, N:M), quantize any tensor to BF16/FP8/MXFP4/NVFP4/INT8/INT4/ternary/binary, encode sparse
 * matrices with exact byte counts, save and load model files, evolve networks with NEAT, and run whole
 * experiments (lottery tickets, the compression study, NEAT) with progress callbacks.
 *
 * Everything here is re-exported from the modules that implement it; the deep paths are not part of
 * the API. Errors caused by bad input are {@link UserError}s with a one-line message.
 *
 * @packageDocumentation
 */
import { getFormat, type FormatName, type QuantizedTensor } from './quant/formats.js';
import { encodeMatrix, inapplicable, maskStats as sparseMaskStats, type EncodedMatrix, type EncodingName } from './sparse/encodings.js';

// ---- errors, randomness ----
export { UserError } from './util/errors.js';
export { Rng } from './util/rng.js';

// ---- backends ----
export { getBackend, type Backend, type BackendName } from './backend/index.js';

// ---- models ----
export { buildModel, modelShapes, modelLimits, NAMED_MODELS, type ModelOptions, type ModelLimits, type LayerShape } from './models/build.js';
export { snapshot, restore, density, type LayerState, type ModelState } from './models/state.js';
export { Sequential } from './nn/sequential.js';
export { WeightLayer, type Activation, type StorageOptions } from './nn/weight-layer.js';
export type { Layer } from './nn/layer.js';
export { INIT_KINDS, type InitKind } from './nn/init.js';
export { OPTIMIZER_KINDS, type OptimizerKind, type OptimizerConfig } from './optim/optimizer.js';

// ---- model files ----
export {
  saveModel, loadModel, serializeModel, planModel, predictRows, argmaxRows,
  type ModelInfo, type SaveOptions, type SavedModel, type LoadModelOptions, type LoadedModel, type TensorChoice, type TensorReport,
} from './io/model-io.js';
export { loadModelFile, parseModelFile, type ModelFile } from './io/modelfile.js';
export { exportOnnx, saveOnnx, quantizedWeightOf, type OnnxExportOptions, type QuantizedWeight } from './io/onnx.js';
export { quantizedSafetensors, serializeQuantizedSafetensors, saveQuantizedSafetensors, parseQuantizedSafetensors, importQuantizedSafetensors } from './io/quantized-safetensors.js';
export { serializeSafetensors, exportSafetensors, importSafetensors, parseSafetensors, serializeRawSafetensors, parseRawSafetensors, type DenseTensor, type SafetensorsFile, type RawTensor, type SafetensorsDtype } from './io/safetensors.js';

// ---- language models (docs/GPT.md) ----
export { Gpt, buildGpt, gptConfig, type GptConfig, type GptBuildOptions } from './models/gpt.js';
export { GptDecoder, pickFormat as pickDecoderFormat, type FormatChoice as DecoderFormatChoice, type MatrixPlan } from './nn/gpt/decode.js';
export { loadLm, saveLm, type LoadedLm, type LmTokenizer } from './io/lm-io.js';
export { importGpt2, type Gpt2Imported, type Gpt2ImportOptions } from './io/gpt2-import.js';
export { BpeTokenizer } from './data/bpe.js';
export { CharTokenizer } from './data/text.js';
export type { Tokenizer } from './data/tokenizer.js';

// ---- datasets ----
export { loadDataset, DATASET_NAMES, SYNTHETIC_NAMES, type LoadOptions as DatasetLoadOptions } from './data/registry.js';
export { features, type Dataset, type Split } from './data/dataset.js';
export { datasetInfo, formatInfo, type DatasetInfo } from './data/info.js';
export { readIdx, parseIdx, encodeIdx, type IdxArray, type IdxKind } from './data/idx.js';
export { fetchDataset } from './data/fetch.js';

// ---- training ----
export { train, evaluateSplit, type TrainConfig, type TrainResult, type TrainHooks, type EvalRecord } from './train/trainer.js';
export { runTraining, trainModel, type TrainRunOptions, type TrainRunSummary } from './train/run.js';

// ---- pruning ----
export { pruneLayerwise, pruneGlobal, pruneToDensity, oneShotDensities, paperRates, type PrunableLayer, type PruneRates } from './prune/magnitude.js';
export { randomMask } from './prune/random.js';
export { pruneNM } from './prune/nm.js';
export { prunableLayers, applyMasks } from './prune/model.js';
export { maskStats as layerMaskStats, maskWarnings, type MaskStats as LayerMaskStats } from './prune/check.js';

// ---- quantization ----
export { FORMATS, FORMAT_NAMES, getFormat, isFormatName, roundTrip, type FormatName, type NumberFormat, type QuantizedTensor } from './quant/formats.js';

/** Quantizes a row-major [rows, cols] tensor to `format` (codes + scales, exactly as stored in model files). */
export function quantize(values: Float32Array, shape: readonly [number, number], format: FormatName): QuantizedTensor {
  return getFormat(format).quantize(values, shape);
}

/** Decodes a quantized tensor back to float32 values. */
export function dequantize(q: QuantizedTensor): Float32Array {
  return getFormat(q.format).dequantize(q);
}

// ---- sparse encodings ----
export {
  ENCODINGS, ENCODING_NAMES, isEncodingName, encodeMatrix, decodeMatrix, validateMatrix, chooseSmallest, predictBytes, encodingReport,
  prune24, maskStats as matrixStats, payloadBytes,
  type Encoding, type EncodingName, type EncodedMatrix, type EncodingReport, type MaskStats as MatrixStats, type TensorLayout, type Choice,
} from './sparse/encodings.js';

/**
 * Encodes a dense row-major [rows, cols] matrix (zeros = pruned) with `encoding` and values in `format`,
 * and returns the encoded matrix with its exact size in bytes (index + codes + scales).
 */
export function encodeSparse(values: Float32Array, shape: readonly [number, number], format: FormatName, encoding: EncodingName): EncodedMatrix & { bytes: number } {
  const m = encodeMatrix(values, shape, format, encoding, sparseMaskStats(values, shape));
  return { ...m, bytes: m.payload.length };
}

/** Why `encoding` cannot store this matrix with values in `format` (e.g. 2:4 on a matrix that is not 2:4 sparse), or null. */
export function inapplicableEncoding(values: Float32Array, shape: readonly [number, number], format: FormatName, encoding: EncodingName): string | null {
  return inapplicable(encoding, sparseMaskStats(values, shape), getFormat(format));
}

// ---- NEAT ----
export { runNeat, resultSummary, historyCsv, type RunOptions as NeatRunOptions, type RunResult as NeatRunResult, type GenerationStats } from './neat/run.js';
export { PAPER as NEAT_PAPER_CONFIG, resolveConfig as resolveNeatConfig, validateConfig as validateNeatConfig, ACTIVATIONS, type NeatConfig, type ActivationName } from './neat/config.js';
export { startGenome, cloneGenome, genomeToJson, genomeFromJson, hiddenCount, enabledCount, type Genome, type GenomeJson, type NodeGene, type ConnGene } from './neat/genome.js';
export { InnovationRegistry } from './neat/innovations.js';
export { mutate, mutateWeights, mutateAddNode, mutateAddLink } from './neat/mutation.js';
export { crossover } from './neat/crossover.js';
export { speciate, compatibility, type Species } from './neat/species.js';
export { reproduce, type PopulationCounters } from './neat/population.js';
export { compile as compileGenome, Stepper, type Program } from './neat/network.js';
export { createTask, TASK_NAMES } from './neat/tasks/index.js';
export type { Task, TaskSpec } from './neat/tasks/task.js';
export { loadGenomeFile } from './neat/genome-file.js';

// ---- experiments (lottery, compare, evolve, …) with progress callbacks ----
export {
  launch, resolveHparams, defaultsOf, runIdentity, EXPERIMENTS,
  lotteryExperiment, compareExperiment, evolveExperiment, trainExperiment, neatVsTicketsExperiment,
  listRuns, readRun, showRun, runMetrics,
  type Launched, type LaunchOptions, type ProgressEvent, type Experiment, type AnyExperiment, type JobSpec, type Param, type Params,
  type EvolveHparams, type EvolveSummary, type TrainSummary, type StudyResult, type NeatVsTicketsSummary,
} from './experiments/index.js';
export type { LotteryHparams, Branch } from './lottery/hparams.js';
export type { LotterySummary } from './experiments/lottery/index.js';
export type { CompareHparams } from './experiments/compare/index.js';
export type { LevelSummary } from './lottery/summary.js';
export type { JobResult as LotteryJobResult } from './lottery/runner.js';

// ---- types referenced by the API above ----
export type { F32, F64, I32, U8, InferenceLayer, InferenceNet, DecoderFormat, DecoderMatrix, DecoderSpec, PreparedDecoder, PreparedMatvec, ValueOrder } from './backend/backend.js';
export type { Storage, WeightMatrix } from './nn/weights.js';
export type { Param as TensorParam, ParamLayout } from './nn/layer.js';
export type { TrainerState } from './train/trainer.js';
export type { MaskedLayer } from './prune/check.js';
export type { EncodedTensor } from './sparse/encodings.js';
export type { ModelMeta, LoadOptions as ModelFileLoadOptions } from './io/modelfile.js';
export type { FetchReport, FetchSource } from './data/fetch.js';
export type { SearchedDir } from './data/locate.js';
export type { MeanStd } from './report/stats.js';
export type { CellValue } from './report/document.js';
export type { RunRecord, JobRecord } from './store/db.js';
export type { RunEnv, JobEnv, JobOutput, Finished } from './experiments/experiment.js';
export type { Presets } from './experiments/params.js';
export type { RunRow } from './experiments/runs.js';
export type { LotterySpec, LotteryContext } from './experiments/lottery/index.js';
export type { EvolveResult, EvolveSpec } from './experiments/evolve/index.js';
export type { RunsSummary } from './experiments/evolve/summary.js';
export type { TrainHparams } from './experiments/train/index.js';
export type { NeatVsTicketsHparams } from './experiments/neat-vs-tickets/index.js';
export type { StudyConfig } from './compare/study.js';
export type { StudyPoint } from './compare/points.js';
export type { Conclusions } from './compare/conclusions.js';
export type { EvalContext, EvalResult, ChampionCheck } from './neat/tasks/task.js';
export type { Evaluator } from './neat/evaluate-parallel.js';
export type { InnovationState, SplitInnovation } from './neat/innovations.js';
export type { NodeType } from './neat/genome.js';
export type { DistanceParts } from './neat/species.js';
export type { RecurrentMode } from './neat/network.js';
export type { RunSummary as NeatRunSummary } from './neat/run.js';
export { BRANCHES } from './lottery/hparams.js';

// One-shot compression of language models (docs/LLM-COMPRESSION.md)
export { oneShot, calibrationWindows, ONESHOT_DEFAULTS, PRUNE_METHODS, QUANT_METHODS } from './llmcompress/oneshot.js';
export type { OneShotOptions, OneShotResult, PruneMethod, QuantMethod, StoredChoice } from './llmcompress/oneshot.js';
export { compressLmModel, lmLoss } from './llmcompress/lm-compress.js';
export { parseNm, checkSparsity, type Pattern } from './llmcompress/pattern.js';
// Trained sparse language models: IMP tickets with rewinding (and controls), RigL (docs/LLM-COMPRESSION.md)
export { trainLmImpBranch, impMasks, applyMasks as applyLmMasks, randomMasksLike, defaultRewindIteration, IMP_STRATEGIES, LM_BRANCHES } from './lottery/lm-imp.js';
export type { ImpStrategy, LmBranch, LmImpLevel, LmMasks } from './lottery/lm-imp.js';
export { trainLmRigL, LM_RIGL_DEFAULTS } from './sparsetrain/lm-rigl.js';
export type { LmRigLOptions } from './sparsetrain/lm-rigl.js';
