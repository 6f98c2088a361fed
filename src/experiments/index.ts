// The experiments layer's public face: the contract, the launch path, and the registry of experiments.
// Adding an experiment: one folder under src/experiments/ exporting an Experiment, and one line in registry.ts.
import { lotteryExperiment } from './lottery/index.js';
import { evolveExperiment } from './evolve/index.js';
import { compareExperiment } from './compare/index.js';
import { neatVsTicketsExperiment } from './neat-vs-tickets/index.js';
import { trainExperiment } from './train/index.js';

export type { AnyExperiment, Experiment, JobSpec, JobOutput, JobEnv, RunEnv, Finished } from './experiment.js';
export type { ProgressEvent } from './progress.js';
export type { Param, Params } from './params.js';
export { defaultsOf, resolveHparams } from './params.js';
export { launch, runIdentity, type Launched, type LaunchOptions } from './launch.js';

export { lotteryExperiment, evolveExperiment, compareExperiment, neatVsTicketsExperiment, trainExperiment };
export { compareText } from './compare/index.js';
export type { NeatVsTicketsSummary } from './neat-vs-tickets/index.js';
export type { TrainSummary } from './train/index.js';
export { sparseStudyExperiment, sparseStudyText, type SparseStudySummary } from './sparse-study/index.js';
export { sparseTrainExperiment, sparseTrainTable, formatAccuracy, type SparseTrainRunSummary } from './sparse-train/index.js';
export type { StudyResult } from '../compare/study.js';
export type { EvolveHparams, EvolveSummary, EvolveResult } from './evolve/index.js';
export { evaluateGenome } from './evolve/evaluate.js';

export { EXPERIMENTS } from './registry.js';
export * from './runs.js';
export { expandSweep, readSweepFile, runSweep, type SweepOptions, type SweepResult, type SweepRun } from './sweep.js';
export type { WorkerOptions } from './distributed.js';

/** `winnow worker` (loads BullMQ only when called). */
export async function runQueueWorker(o: import('./distributed.js').WorkerOptions): Promise<{ close(): Promise<void> }> {
  return (await import('./distributed.js')).runQueueWorker(o);
}

// Commands that run no experiment: model files and datasets.
export * from './tools/compress.js';
export * from './tools/compress-lm.js';
export * from './tools/infer.js';
export * from './tools/data.js';
export { serve, type ServeOptions, type Served } from '../serve/index.js';
export * from './tools/generate.js';
export * from './tools/import-weights.js';
export * from './tools/export.js';
