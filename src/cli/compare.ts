// `winnow compare`: the compression study — dense network in every format, lottery tickets × formats,
// random-pruned controls, NEAT genomes when present — as a table, an accuracy-vs-bytes chart with the
// Pareto frontier, and a markdown/HTML report whose conclusions are derived from the measurements.
import { join } from 'node:path';
import type { Command } from 'commander';
import { STUDY_DEFAULTS, runStudy, studyId, type StudyConfig } from '../compare/study.js';
import { terminalTable, writeStudy } from '../compare/report.js';
import { FORMAT_NAMES, type FormatName } from '../quant/formats.js';
import { UserError } from '../util/errors.js';
import { addBackendOption, backendFrom } from './backend-option.js';
import { intFlag, numberFlag } from './options.js';
import { progressBar, type Progress } from './progress.js';

function intList(flag: string): (v: string) => number[] {
  return (v: string) => {
    const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (items.length === 0) throw new UserError(`${flag}: expected a comma-separated list of integers, got '${v}'`);
    return items.map((s) => intFlag(flag, 0, 200)(s));
  };
}

function formatList(flag: string): (v: string) => FormatName[] {
  return (v: string) => {
    if (v === 'all') return [...FORMAT_NAMES];
    const items = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (items.length === 0) throw new UserError(`${flag}: expected a comma-separated list of formats, got '${v}'`);
    for (const f of items) if (!(FORMAT_NAMES as readonly string[]).includes(f)) throw new UserError(`${flag}: unknown format '${f}' (expected ${FORMAT_NAMES.join(', ')} or all)`);
    return [...new Set(items)] as FormatName[];
  };
}

interface CompareFlags {
  model: string; dataset: string; levels?: number[]; pruneLevels: number; rateFc: number; rateOutput: number; iterations: number; seed: number;
  formats: FormatName[]; denseFormats: FormatName[]; controls: boolean; lotteryRun?: string; store: string; neatDir: string; neat: boolean;
  out?: string; json?: boolean; backend: 'native' | 'reference';
}

export function register(program: Command): void {
  const d = STUDY_DEFAULTS;
  const cmd = program.command('compare')
    .description('the compression study: dense in every format, lottery tickets × formats, random-pruned controls, NEAT genomes; chart + report of accuracy vs bytes')
    .option('--model <spec>', 'model spec (when training the lottery run here)', d.model)
    .option('--dataset <name>', 'dataset (when training the lottery run here)', d.dataset)
    .option('--levels <list>', 'lottery levels to include, e.g. 0,2,4,6 (default: every level of the run)', intList('--levels'))
    .option('--prune-levels <n>', 'pruning levels to train when no --lottery-run is given', intFlag('--prune-levels', 0, 200), d.pruneLevels)
    .option('--rate-fc <r>', 'fraction of remaining fc weights pruned per level', numberFlag('--rate-fc', 0, 0.99), d.rateFc)
    .option('--rate-output <r>', 'fraction of remaining output-layer weights pruned per level', numberFlag('--rate-output', 0, 0.99), d.rateOutput)
    .option('--iterations <n>', 'training steps per lottery level', intFlag('--iterations', 1), d.iterations)
    .option('--seed <n>', 'seed of the lottery run', intFlag('--seed', 0, 2 ** 32 - 1), d.seed)
    .option('--formats <list>', 'formats for tickets and controls (comma-separated, or all)', formatList('--formats'), d.ticketFormats)
    .option('--dense-formats <list>', 'formats for the dense network (default: all)', formatList('--dense-formats'), d.denseFormats)
    .option('--no-controls', 'skip the random-pruned controls')
    .option('--lottery-run <id>', 'use this existing lottery run from the store instead of training one')
    .option('--store <dir>', 'experiment store directory', d.store)
    .option('--neat-dir <dir>', 'where `winnow evolve --task classify` runs live', d.neatDir!)
    .option('--no-neat', 'skip NEAT genomes')
    .option('--out <dir>', 'output directory (default: <store>/compare-<hash of the settings>)')
    .option('--json', 'print the points and conclusions as JSON on stdout');
  addBackendOption(cmd).action((flags: CompareFlags) => {
    const cfg: StudyConfig = {
      model: flags.model, dataset: flags.dataset, levels: flags.levels ?? null, pruneLevels: flags.pruneLevels, rateFc: flags.rateFc,
      rateConv: d.rateConv, rateOutput: flags.rateOutput, iterations: flags.iterations, seed: flags.seed, ticketFormats: flags.formats,
      denseFormats: flags.denseFormats, controls: flags.controls, lotteryRun: flags.lotteryRun ?? null, store: flags.store,
      neatDir: flags.neat ? flags.neatDir : null,
    };
    const be = backendFrom(flags.backend);
    const log = (s: string): void => { (flags.json ? process.stderr : process.stdout).write(s + '\n'); };
    let bar: Progress | null = null;
    const result = runStudy(be, cfg, {
      log,
      onLotteryStep: (done, total) => {
        bar ??= progressBar('lottery', total);
        if (done % 50 === 0 || done === total) bar.update(done);
      },
    });
    (bar as Progress | null)?.stop();
    const out = flags.out ?? join(cfg.store, studyId(cfg).replace('compare_', 'compare-'));
    const paths = writeStudy(out, result);
    if (flags.json) {
      process.stdout.write(JSON.stringify({ id: result.id, out, files: paths, runId: result.runId, points: result.points, conclusions: { ...result.conclusions, frontier: result.conclusions.frontier.map((p) => p.label) } }, null, 2) + '\n');
      return;
    }
    console.log(terminalTable(result));
    const s = result.conclusions.statements;
    for (const [title, items] of [['where sparsity wins', s.sparsity], ['where quantization wins', s.quantization], ['where combining wins', s.combined], ['frontier', s.frontier], ['tickets vs random pruning', s.controls]] as const) {
      if (items.length === 0) continue;
      console.log(`\n${title}:`);
      for (const it of items) console.log(`  - ${it}`);
    }
    console.log(`\n${result.neatNote}`);
    console.log(`wrote ${paths.join(', ')}`);
  });
}
