// NEAT runs in the experiment store: one run per (task, non-default config), one job per seed, so
// `winnow runs list|show|export` find evolutions beside lottery runs. Generation-by-generation
// histories, genomes and drawings stay in the run's output directory.
import { openStore } from '../store/db.js';
import { describeRun } from '../store/hash.js';
import { deepMerge, resolveConfig, type NeatConfig } from './config.js';
import type { RunSummary } from './run.js';

/**
 * The config run ids are measured against: the preset as it was when NEAT runs were first stored. A run id
 * names what differs from this baseline, so when a default changes, runs under the new default get new ids
 * instead of overwriting the records of runs made under the old one. When a default changes, add its old
 * value here; a new field whose default keeps the old behaviour needs nothing.
 */
export function idBaseline(task: string): NeatConfig {
  const firstDefaults: Record<string, unknown> = { weightClamp: null, championCheck: 'best-solver', elitismBy: 'members' };
  return deepMerge(resolveConfig(task), firstDefaults);
}

/** Records finished runs of one task and config; returns the run id. */
export function recordNeatRuns(storeRoot: string, task: string, config: NeatConfig, results: RunSummary[], outDir: string | null): string {
  // The task has no default, so it is always part of the id; the config counts only where it differs.
  const defaults = { config: idBaseline(task) as unknown as Record<string, unknown> };
  const hparams = { task, config: config as unknown as Record<string, unknown> };
  const desc = describeRun('neat', hparams, defaults);
  const store = openStore(storeRoot);
  try {
    store.upsertRun({ id: desc.id, kind: 'neat', hparams: { ...hparams, model: `neat:${task}`, dataset: task }, canonical: desc.canonical });
    for (const r of results) {
      store.setJobResult({ runId: desc.id, replicate: r.seed, level: 0, branch: 'neat' }, {
        status: 'done', iterations: r.generations, wallSeconds: r.wallSeconds,
        extra: { ...r, outDir },
      });
    }
    store.setRunStatus(desc.id, 'done');
  } finally {
    store.close();
  }
  return desc.id;
}
