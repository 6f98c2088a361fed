// The lottery experiment: IMP levels × branches × replicates (src/lottery/runner.ts) as stored jobs.
// A job's key is its directory, `replicate_R/level_L/BRANCH`, the layout release 0.1 wrote.
import { getBackend } from '../../backend/index.js';
import type { Backend } from '../../backend/backend.js';
import type { Dataset } from '../../data/dataset.js';
import { loadDataset } from '../../data/registry.js';
import { BRANCHES, type Branch, type LotteryHparams } from '../../lottery/hparams.js';
import { plan, trainBranch, type JobResult } from '../../lottery/runner.js';
import { summarize, type LevelSummary } from '../../lottery/summary.js';
import { paperRates } from '../../prune/magnitude.js';
import { jobDir } from '../../store/layout.js';
import { lotteryJobKey } from '../../store/db.js';
import { UserError } from '../../util/errors.js';
import type { Experiment, JobSpec } from '../experiment.js';
import { LOTTERY_PARAMS, PROTOCOLS, validateHparams } from './params.js';
import { writeLotteryReport } from './report.js';
import { levelHeader, levelRow, levelTable } from './table.js';

export interface LotterySpec extends JobSpec { replicate: number; level: number; branch: Branch }
export interface LotteryContext { be: Backend; data: Dataset; h: LotteryHparams }
export interface LotterySummary { dataset: string; levels: LevelSummary[]; results: JobResult[] }

const NUMERIC = ['density', 'earlyStopIteration', 'earlyStopValLoss', 'earlyStopTestAccuracy', 'finalTestAccuracy', 'wallSeconds', 'stepSeconds', 'iterations'] as const;

/** A stored job result (JSON: NaN was written as null) back as a JobResult, or an error naming the field. */
export function lotteryResult(v: unknown, where: string): JobResult {
  const o = v as Record<string, unknown> | null;
  if (o === null || typeof o !== 'object') throw new UserError(`${where}: expected a job result object, found ${JSON.stringify(v)}`);
  const out: Record<string, unknown> = {};
  for (const k of ['replicate', 'level'] as const) {
    if (!Number.isSafeInteger(o[k])) throw new UserError(`${where}: field '${k}' must be an integer, found ${JSON.stringify(o[k])}`);
    out[k] = o[k];
  }
  if (!(BRANCHES as readonly unknown[]).includes(o['branch'])) throw new UserError(`${where}: field 'branch' must be one of ${BRANCHES.join(', ')}, found ${JSON.stringify(o['branch'])}`);
  out['branch'] = o['branch'];
  for (const k of NUMERIC) {
    const x = o[k];
    if (x !== null && typeof x !== 'number') throw new UserError(`${where}: field '${k}' must be a number, found ${JSON.stringify(x)}`);
    out[k] = x === null ? NaN : x;
  }
  const storage = o['storage'] ?? [];
  if (!Array.isArray(storage) || storage.some((s) => typeof s !== 'string')) throw new UserError(`${where}: field 'storage' must be a list of strings`);
  out['storage'] = storage;
  return out as unknown as JobResult;
}

export const lotteryExperiment: Experiment<LotteryHparams, LotterySpec, JobResult, LotteryContext, LotterySummary> = {
  name: 'lottery',
  description: 'find winning tickets: train, prune by magnitude, rewind, retrain — with random-reinit and random-prune controls',
  params: LOTTERY_PARAMS,
  presets: { flag: '--protocol <name>', help: 'pin a published protocol', values: PROTOCOLS },
  // Adding replicates extends the same run.
  outsideIdentity: ['replicates'],
  resolve(h, given) {
    const out = { ...h };
    if (given.has('oneShot') && !given.has('levels')) out.levels = 1;
    // The paper prunes Conv-6's convolutions at 15% per round (Conv-2/4 at 10%).
    if (!given.has('rateConv')) out.rateConv = paperRates(out.model).conv;
    validateHparams(out);
    return out;
  },
  describe: (h) => `${h.model} on ${h.dataset}: ${plan(h).length} trainings, ${h.replicates} replicate(s) × ${h.levels + 1} levels, controls: ${h.controls.join(', ') || 'none'}; rerun the same command to resume`,
  // Every branch of level L reads the level L−1 ticket (its trained weights make mask_L); replicates are independent.
  plan: (h) => plan(h).map((j) => ({
    ...j, key: lotteryJobKey(j.replicate, j.level, j.branch), label: `rep ${j.replicate} level ${j.level} ${j.branch}`,
    ...(j.level > 0 ? { after: [lotteryJobKey(j.replicate, j.level - 1, 'ticket')] } : {}),
  })),
  parallel: true,
  open(h, env) {
    const be = getBackend(env.backend, { warn: (message) => env.emit({ type: 'warning', message }) });
    const data = loadDataset(h.dataset, { dataDir: h.dataDir || undefined, seed: h.seed, validationSize: h.validation < 0 ? undefined : h.validation });
    if (data.train.count < h.batchSize) throw new UserError(`--batch-size ${h.batchSize} exceeds the ${data.train.count} training images of ${data.name}`);
    env.emit({ type: 'log', message: `data ${data.name} (${data.source}), backend ${be.name} (${be.detail})` });
    return { be, data, h };
  },
  runJob(ctx, spec, env) {
    const { result, metrics, warnings } = trainBranch({
      be: ctx.be, data: ctx.data, h: ctx.h, dir: (j) => jobDir(env.root, env.runId, lotteryJobKey(j.replicate, j.level, j.branch)), checkpointSeconds: env.checkpointSeconds,
    }, spec, { onStep: (it, total) => { if (it % 50 === 0 || it === total) env.step(it, total); }, onEval: (row) => env.metric(row) });
    for (const w of warnings) env.emit({ type: 'warning', message: `${spec.label}: ${w}` });
    return { result, metrics };
  },
  checkResult: lotteryResult,
  artifacts: (_h, spec) => ['weights-final.wt', ...(spec.branch === 'ticket' ? [spec.level === 0 ? 'weights-init.wt' : 'mask.wt'] : [])],
  // A level's row prints once all its jobs are done and every level before it has printed.
  afterJob(h, done, _spec, env) {
    const complete = (jobs: ReadonlyArray<{ spec: LotterySpec }>): number => {
      let level = 0;
      while (level <= h.levels && jobs.filter((d) => d.spec.level === level).length === h.replicates * (level === 0 ? 1 : 1 + h.controls.length)) level++;
      return level;
    };
    const from = complete(done.slice(0, -1)), to = complete(done);
    for (let level = from; level < to; level++) {
      const results = done.filter((d) => d.spec.level === level).map((d) => d.result);
      env.emit({ type: 'row', table: 'levels', header: levelHeader(h.controls), cells: levelRow(summarize(results), level, h.controls) });
    }
  },
  summarize(ctx, _h, done) {
    const results = done.map((d) => d.result);
    return { dataset: ctx.data.name, levels: summarize(results), results };
  },
  show: (h, done) => levelTable(summarize(done.map((d) => d.result)), h.controls),
  report: (h, s, env) => writeLotteryReport(env.root, env.runId, h, s.dataset, s.results, env.store),
};
