// `winnow lottery`: iterative magnitude pruning with rewinding, control branches and replicates.
// Flags are generated from the typed hyperparameters (src/lottery/hparams.ts); the run id hashes
// the non-default ones, so rerunning the same command resumes the same run.
import type { Command } from 'commander';
import { loadDataset } from '../data/registry.js';
import { INIT_KINDS } from '../nn/init.js';
import { OPTIMIZER_KINDS } from '../optim/optimizer.js';
import { BRANCHES, LOTTERY_DEFAULTS, PROTOCOLS, validateHparams, type Branch, type LotteryHparams } from '../lottery/hparams.js';
import { plan, runLottery } from '../lottery/runner.js';
import { summarize } from '../lottery/summary.js';
import { writeLotteryReport } from '../lottery/report.js';
import { openStore } from '../store/db.js';
import { paperRates } from '../prune/magnitude.js';
import { describeRun } from '../store/hash.js';
import { writeHparamsFile } from '../store/layout.js';
import { UserError } from '../util/errors.js';
import { addBackendOption, backendFrom } from './backend-option.js';
import { choiceFlag, intFlag, numberFlag } from './options.js';
import { progressBar } from './progress.js';
import { levelTable } from './lottery-table.js';

type Parser = (v: string) => unknown;
/** One row per hyperparameter: its flag, help and parser (defaults come from LOTTERY_DEFAULTS). */
const FLAGS: Array<{ key: keyof LotteryHparams; flag: string; help: string; parse: Parser }> = [
  { key: 'model', flag: '--model <spec>', help: 'lenet300 | conv2 | conv4 | conv6 | mlp:… | conv:…', parse: String },
  { key: 'dataset', flag: '--dataset <name>', help: 'fashion-mnist-mini (embedded) | fashion-mnist | mnist | synthetic:…', parse: String },
  { key: 'validation', flag: '--validation <n>', help: 'training images held out for validation (-1: dataset default)', parse: intFlag('--validation', -1) },
  { key: 'init', flag: '--init <kind>', help: INIT_KINDS.join(' | '), parse: choiceFlag('--init', INIT_KINDS) },
  { key: 'optimizer', flag: '--optimizer <kind>', help: OPTIMIZER_KINDS.join(' | '), parse: choiceFlag('--optimizer', OPTIMIZER_KINDS) },
  { key: 'lr', flag: '--lr <rate>', help: 'learning rate', parse: numberFlag('--lr', 0, 100, true) },
  { key: 'momentum', flag: '--momentum <mu>', help: 'momentum (optimizer momentum)', parse: numberFlag('--momentum', 0, 1) },
  { key: 'weightDecay', flag: '--weight-decay <wd>', help: 'L2 weight decay', parse: numberFlag('--weight-decay', 0, 1) },
  { key: 'batchSize', flag: '--batch-size <n>', help: 'mini-batch size', parse: intFlag('--batch-size', 1, 65536) },
  { key: 'iterations', flag: '--iterations <n>', help: 'training steps per level', parse: intFlag('--iterations', 1) },
  { key: 'evalEvery', flag: '--eval-every <n>', help: 'evaluate validation and test every n steps', parse: intFlag('--eval-every', 1) },
  { key: 'levels', flag: '--levels <n>', help: 'pruning levels after the dense level 0 (0.8^n of fc weights remain)', parse: intFlag('--levels', 0, 200) },
  { key: 'strategy', flag: '--strategy <s>', help: 'layerwise (LTH LeNet/Conv) | global (one threshold over all layers)', parse: choiceFlag('--strategy', ['layerwise', 'global'] as const) },
  { key: 'rateFc', flag: '--rate-fc <r>', help: 'fraction of remaining fc weights pruned per level', parse: numberFlag('--rate-fc', -Infinity, Infinity) },
  { key: 'rateConv', flag: '--rate-conv <r>', help: 'fraction of remaining conv weights pruned per level', parse: numberFlag('--rate-conv', -Infinity, Infinity) },
  { key: 'rateOutput', flag: '--rate-output <r>', help: 'fraction of remaining output-layer weights pruned per level', parse: numberFlag('--rate-output', -Infinity, Infinity) },
  { key: 'oneShot', flag: '--one-shot <density>', help: 'prune once, straight to this overall density (with --levels 1); 0 = iterative', parse: numberFlag('--one-shot', -Infinity, Infinity) },
  { key: 'rewindIter', flag: '--rewind-iter <k>', help: 'rewind survivors to their values at iteration k (0 = reset to init)', parse: intFlag('--rewind-iter', 0) },
  { key: 'controls', flag: '--controls <list>', help: 'comma-separated control branches: reinit, random-prune, finetune (or none)', parse: parseControls },
  { key: 'replicates', flag: '--replicates <n>', help: 'independent replicates (seeds seed, seed+1, …); summaries are mean ± std', parse: intFlag('--replicates', 1, 1000) },
  { key: 'seed', flag: '--seed <n>', help: 'base seed (init, data order, masks)', parse: intFlag('--seed', 0, 2 ** 32 - 1) },
  { key: 'sparseThreshold', flag: '--sparse-threshold <d>', help: 'layers below this density run on the sparse kernels', parse: numberFlag('--sparse-threshold', 0, 1) },
];

function parseControls(v: string): Branch[] {
  if (v === 'none' || v === '') return [];
  const list = v.split(',').map((s) => s.trim());
  for (const c of list) {
    if (!(BRANCHES as readonly string[]).includes(c) || c === 'ticket') throw new UserError(`--controls: unknown control '${c}' (expected reinit, random-prune, finetune or none)`);
  }
  return [...new Set(list)] as Branch[];
}

function camelToFlagName(key: string): string { return key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()); }

export function register(program: Command): void {
  const cmd = program.command('lottery')
    .description('find winning tickets: train, prune by magnitude, rewind, retrain — with random-reinit and random-prune controls')
    .option('--protocol <name>', `pin a published protocol: ${Object.entries(PROTOCOLS).map(([k, p]) => `${k} (${p.summary})`).join('; ')}`)
    .option('--store <dir>', 'experiment store directory (SQLite index + run directories)', 'runs')
    .option('--no-report', 'skip writing the SVG/markdown/HTML report')
    .option('--checkpoint-seconds <s>', 'save a resumable checkpoint at the first epoch end after this many seconds (0: every epoch)', numberFlag('--checkpoint-seconds', 0, 86400), 10)
    .option('--json', 'print the per-level summary as JSON on stdout');
  for (const f of FLAGS) {
    const def = LOTTERY_DEFAULTS[f.key];
    cmd.option(f.flag, `${f.help} (default: ${Array.isArray(def) ? def.join(',') || 'none' : def})`, f.parse as (v: string) => unknown);
  }
  addBackendOption(cmd).action((flags: Record<string, unknown>) => {
    const protocolName = flags['protocol'] as string | undefined;
    if (protocolName !== undefined && !PROTOCOLS[protocolName]) throw new UserError(`--protocol: unknown protocol '${protocolName}' (expected ${Object.keys(PROTOCOLS).join(', ')})`);
    const protocol = protocolName ? PROTOCOLS[protocolName]!.values : {};
    const h: LotteryHparams = { ...LOTTERY_DEFAULTS, ...protocol };
    for (const f of FLAGS) {
      if (flags[f.key] === undefined) continue;
      const pinned = protocol[f.key];
      if (pinned !== undefined && JSON.stringify(pinned) !== JSON.stringify(flags[f.key])) {
        throw new UserError(`--${camelToFlagName(f.key)} ${String(flags[f.key])} conflicts with --protocol ${protocolName}, which pins it to ${String(pinned)}`);
      }
      (h as unknown as Record<string, unknown>)[f.key] = flags[f.key];
    }
    if (flags['oneShot'] !== undefined && flags['levels'] === undefined) h.levels = 1;
    // The paper prunes Conv-6's convolutions at 15% per round (Conv-2/4 at 10%).
    if (flags['rateConv'] === undefined && protocol.rateConv === undefined) h.rateConv = paperRates(h.model).conv;
    validateHparams(h);
    const be = backendFrom(flags['backend'] as 'native' | 'reference');
    const data = loadDataset(h.dataset, { seed: h.seed, validationSize: h.validation < 0 ? undefined : h.validation });
    if (data.train.count < h.batchSize) throw new UserError(`--batch-size ${h.batchSize} exceeds the ${data.train.count} training images of ${data.name}`);
    const root = flags['store'] as string;
    // The replicate count is not part of the identity: adding replicates extends the same run.
    const { replicates: _r, ...identity } = h;
    const { replicates: _d, ...identityDefaults } = LOTTERY_DEFAULTS;
    const desc = describeRun('lottery', identity, identityDefaults);
    const store = openStore(root);
    try {
      store.upsertRun({ id: desc.id, kind: 'lottery', hparams: { ...h }, canonical: desc.canonical });
      writeHparamsFile(root, { id: desc.id, kind: 'lottery', canonical: desc.canonical, hparams: { ...h } });
      const json = Boolean(flags['json']);
      const log = (s: string): void => { (json ? process.stderr : process.stdout).write(s + '\n'); };
      log(`lottery run ${desc.id} in ${root}/ — ${h.model} on ${data.name} (${data.source}), backend ${be.name} (${be.detail})`);
      log(`${plan(h).length} trainings: ${h.replicates} replicate(s) × ${h.levels + 1} levels, controls: ${h.controls.join(', ') || 'none'}; rerun the same command to resume`);
      const total = plan(h).length * h.iterations;
      const bar = progressBar('lottery', total, '{job}');
      let doneSteps = 0, jobLabel = '';
      const results = runLottery({ be, data, h, runId: desc.id, root, store, checkpointSeconds: flags['checkpointSeconds'] as number }, {
        onJobStart: (j) => { jobLabel = `rep ${j.replicate} level ${j.level} ${j.branch} (${(100 * j.density).toFixed(1)}%)`; },
        onStep: (it) => { if (it % 50 === 0) bar.update(doneSteps + it, { job: jobLabel }); },
        onJobDone: () => { doneSteps += h.iterations; bar.update(doneSteps, { job: jobLabel }); },
      });
      bar.stop();
      store.setRunStatus(desc.id, 'done');
      const summary = summarize(results);
      if (json) process.stdout.write(JSON.stringify({ runId: desc.id, hparams: h, summary, results }, null, 2) + '\n');
      else console.log(levelTable(summary, h.controls));
      if (flags['report'] !== false) {
        const paths = writeLotteryReport(root, desc.id, h, data.name, results, store);
        log(`report: ${paths.find((p) => p.endsWith('.html'))} (and report.md with ${paths.filter((p) => p.endsWith('.svg')).length} SVG charts beside it)`);
      }
    } finally {
      store.close();
    }
  });
}
