// One commander command per experiment, derived from its hyperparameter table: every flag with its help,
// default and parser; --store, --json, --progress, --backend; the launch through the one path
// (experiments/launch.ts) with progress rendered for the terminal, a pipe or a machine.
import { Option, type Command } from 'commander';
import { EXPERIMENTS, launch, resolveHparams, type AnyExperiment, type Launched } from '../experiments/index.js';
import { availableParallelism } from 'node:os';
import { choiceFlag, intFlag, numberFlag } from '../util/flags.js';
import { PROGRESS_MODES, progressRenderer, type ProgressMode } from './progress.js';

export interface CommandFlags { store: string; json?: boolean; progress: ProgressMode; backend: 'native' | 'reference'; report: boolean; checkpointSeconds: number; [k: string]: unknown }

export interface ExperimentCommand {
  experiment: AnyExperiment;
  /** the command's name (default: the experiment's) */
  command?: string;
  /** prints the result for people (stdout); --json prints `json(launched)` instead */
  print?(launched: Launched<any, any, any, any>, flags: CommandFlags): void; // eslint-disable-line @typescript-eslint/no-explicit-any
  json?(launched: Launched<any, any, any, any>): unknown; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** more options of this command that are not hyperparameters */
  options?(cmd: Command): void;
  /** handles the command instead of launching, when its flags ask for something else (returns true) */
  instead?(h: any, flags: CommandFlags): boolean | Promise<boolean>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The help's default suffix: none for unset values ('' or null), objects, or help that states its own default. */
function defaultSuffix(v: unknown, help: string): string {
  if (v === '' || v === null || v === undefined || /\(default/.test(help)) return '';
  if (Array.isArray(v)) return ` (default: ${v.join(',') || 'none'})`;
  if (typeof v === 'object') return '';
  return ` (default: ${String(v)})`;
}

/** Adds the experiment's hyperparameter flags to a command (no commander defaults: unset flags stay unset). */
export function addParamOptions(cmd: Command, exp: AnyExperiment): Command {
  for (const [key, p] of Object.entries(exp.params) as Array<[string, { flag: string; help: string; parse?: (v: string) => unknown; default: unknown }]>) {
    const o = new Option(p.flag, `${p.help}${defaultSuffix(p.default, p.help)}`);
    if (p.parse) o.argParser(p.parse);
    o.attributeName = () => key;
    cmd.addOption(o);
  }
  if (exp.presets) {
    cmd.option(exp.presets.flag, `${exp.presets.help}: ${Object.entries(exp.presets.values).map(([k, v]) => `${k} (${v.summary})`).join('; ')}`);
  }
  return cmd;
}

/** The values the user gave on the command line (not commander's implied defaults, e.g. of --no-x flags). */
export function givenParams(cmd: Command, exp: AnyExperiment): Record<string, unknown> {
  const given: Record<string, unknown> = {};
  for (const key of Object.keys(exp.params)) {
    if (cmd.getOptionValueSource(key) === 'cli' || cmd.getOptionValueSource(key) === 'env') given[key] = cmd.getOptionValue(key);
  }
  return given;
}

/** The experiments that have a command, per program. */
const registered = new WeakMap<Command, Set<AnyExperiment>>();

/**
 * A command for every registered experiment that has no command file of its own: named after the
 * experiment (`my_study` → `winnow my-study`), printing its `show` table (or its summary as JSON).
 */
export function registerRemaining(program: Command): void {
  for (const exp of Object.values(EXPERIMENTS)) {
    if (registered.get(program)?.has(exp)) continue;
    registerExperiment(program, {
      experiment: exp, command: exp.name.replace(/_/g, '-'),
      print: (l) => console.log(exp.show ? exp.show(l.hparams, l.jobs) : JSON.stringify(l.summary, null, 2)),
    });
  }
}

export function registerExperiment(program: Command, spec: ExperimentCommand): Command {
  const exp = spec.experiment;
  if (!registered.has(program)) registered.set(program, new Set());
  registered.get(program)!.add(exp);
  const cmd = program.command(spec.command ?? exp.name).description(exp.description);
  addParamOptions(cmd, exp)
    .option('--store <dir>', 'experiment store directory (SQLite index + run directories)', 'runs')
    .option('--json', 'print the result as one JSON document on stdout')
    .option('--progress <mode>', `progress on stderr: ${PROGRESS_MODES.join(' | ')} (auto: a bar on a terminal, plain lines otherwise)`, choiceFlag('--progress', PROGRESS_MODES), 'auto')
    .option('--backend <name>', 'kernel backend: native (C++, falls back to reference with a warning) or reference (plain TypeScript)', choiceFlag('--backend', ['native', 'reference'] as const), 'native')
    .option('--checkpoint-seconds <s>', 'save a resumable checkpoint at the first epoch end after this many seconds (0: every epoch)', numberFlag('--checkpoint-seconds', 0, 86400), 10);
  if (exp.report) cmd.option('--no-report', 'skip writing the report');
  if (exp.parallel) {
    cmd.option('--workers <n>', 'run independent jobs on this many worker threads (results do not depend on it)', intFlag('--workers', 1, 64), availableParallelism());
  }
  spec.options?.(cmd);
  cmd.action(async (flags: CommandFlags) => {
    const presetKey = exp.presets ? exp.presets.flag.slice(2).split(' ')[0]!.replace(/-([a-z])/g, (_m: string, c: string) => c.toUpperCase()) : undefined;
    const h = resolveHparams(exp, givenParams(cmd, exp), presetKey ? flags[presetKey] as string | undefined : undefined);
    if (spec.instead && await spec.instead(h, flags)) return;
    const renderer = progressRenderer(flags.progress, { rowsToStdout: !flags.json, label: exp.name });
    let launched;
    try {
      launched = await launch(exp, h, {
        root: flags.store, emit: (e) => renderer.emit(e), backend: flags.backend, noReport: flags.report === false, checkpointSeconds: flags.checkpointSeconds,
        ...(exp.parallel ? { workers: flags['workers'] as number } : {}),
      });
    } finally {
      renderer.stop();
    }
    if (flags.json) {
      process.stdout.write(JSON.stringify(spec.json ? spec.json(launched) : { runId: launched.runId, hparams: launched.hparams, summary: launched.summary }, null, 2) + '\n');
    } else {
      spec.print?.(launched, flags);
    }
    if (launched.reportFiles.length) {
      const html = launched.reportFiles.find((p) => p.endsWith('.html'));
      (flags.json ? process.stderr : process.stdout).write(`report: ${html ?? launched.reportFiles[0]} (${launched.reportFiles.length} files)\n`);
    }
  });
  return cmd;
}
