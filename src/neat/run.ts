// The evolution driver: evaluate → record → (stop?) → representatives → reproduce → speciate → checkpoint.
// All reproduction randomness comes from one stream (seed → 'neat-reproduce') consumed in the main thread
// in a fixed order; evaluation randomness is derived per (seed, generation, genome index). Together with
// results ordered by index this makes a run independent of the number of workers, and a checkpoint (which
// stores the stream's state) resumes it bit-identically.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { readCheckpoint, writeCheckpoint, type CheckpointBody } from './checkpoint.js';
import type { NeatConfig } from './config.js';
import { makeEvaluator, type Evaluator } from './evaluate-parallel.js';
import { cloneGenome, enabledCount, genomeFromJson, genomeToJson, hiddenCount, startGenome, type Genome } from './genome.js';
import { InnovationRegistry } from './innovations.js';
import { reproduce, updateImprovement, type PopulationCounters } from './population.js';
import { adjustThreshold, bestOf, chooseRepresentatives, speciate, type Species } from './species.js';
import { createTask } from './tasks/index.js';
import type { ChampionCheck, Task, TaskSpec } from './tasks/task.js';
import { fitnessChartSvg, networkSvg } from './svg.js';

export interface GenerationStats {
  generation: number;
  /** Cumulative evaluations. The solving generation counts up to the solver (as a sequential evaluator stopping at the first solution would), except for tasks with a champion check, where the whole generation is evaluated before the champion is chosen. */
  evaluations: number;
  bestFitness: number;
  meanFitness: number;
  speciesCount: number;
  speciesSizes: number[];
  threshold: number;
  bestHidden: number;
  bestEnabled: number;
  meanHidden: number;
  meanEnabled: number;
  solved: boolean;
  /** Tasks with a champion check: the genome checked this generation and what the check found. */
  checked?: { genome: number; info: Record<string, number> };
}

export interface RunOptions {
  task: TaskSpec;
  config: NeatConfig;
  seed: number;
  workers?: number;
  /** Reuse an evaluator across runs (its task/config must match). */
  evaluator?: Evaluator;
  /** Output directory (checkpoints, history, best genome, SVGs); null = keep nothing on disk. */
  outDir?: string | null;
  resume?: boolean;
  /** Stop (as if the process died) after evaluating this many generations in this call — for tests. */
  haltAfter?: number;
  /** After each evaluated generation, with that generation's best genome (do not modify it). */
  onGeneration?: (s: GenerationStats, best: Genome) => void;
}

export interface RunResult {
  task: string;
  seed: number;
  solved: boolean;
  generations: number;
  evaluations: number;
  /** The solving genome, or the best genome seen when unsolved. */
  best: Genome;
  hidden: number;
  enabled: number;
  championCheck: ChampionCheck | null;
  report: Record<string, number>;
  history: GenerationStats[];
  halted: boolean;
  wallSeconds: number;
}

function mean(a: number[]): number { return a.length ? a.reduce((x, y) => x + y, 0) / a.length : 0; }

interface State {
  generation: number;
  population: Genome[];
  species: Species[];
  threshold: number;
  nextSpeciesId: { value: number };
  counters: PopulationCounters;
  innovations: InnovationRegistry;
  rng: Rng;
  evaluations: number;
  history: GenerationStats[];
  best: Genome | null;
}

function freshState(task: Task, cfg: NeatConfig, seed: number): State {
  const root = new Rng(seed);
  const initRng = root.stream('neat-init');
  const population: Genome[] = [];
  for (let i = 0; i < cfg.populationSize; i++) population.push(startGenome(i, task.nIn, task.nOut, cfg.activation, cfg.initialWeightRange, initRng));
  const nextSpeciesId = { value: 0 };
  const threshold = cfg.compatibility.threshold;
  const species = speciate(population, [], threshold, cfg, 0, nextSpeciesId);
  return {
    generation: 0, population, species, threshold, nextSpeciesId,
    counters: { nextGenomeId: cfg.populationSize, bestFitness: -Infinity, lastImproved: 0 },
    innovations: new InnovationRegistry(task.nIn * task.nOut, task.nIn + task.nOut),
    rng: root.stream('neat-reproduce'), evaluations: 0, history: [], best: null,
  };
}

function toCheckpoint(taskName: string, seed: number, cfg: NeatConfig, s: State): CheckpointBody {
  const index = new Map<Genome, number>();
  s.population.forEach((g, i) => index.set(g, i));
  return {
    task: taskName, seed, config: cfg, generation: s.generation, threshold: s.threshold, nextSpeciesId: s.nextSpeciesId.value,
    counters: { nextGenomeId: s.counters.nextGenomeId, bestFitness: Number.isFinite(s.counters.bestFitness) ? s.counters.bestFitness : null, lastImproved: s.counters.lastImproved },
    innovations: s.innovations.getState(),
    rng: s.rng.getState().map((v) => (Number.isNaN(v) ? null : v)),
    evaluations: s.evaluations,
    population: s.population.map(genomeToJson),
    species: s.species.map((sp) => ({
      id: sp.id, created: sp.created, representative: genomeToJson(sp.representative), members: sp.members.map((g) => index.get(g)!),
      bestFitness: Number.isFinite(sp.bestFitness) ? sp.bestFitness : null, lastImproved: sp.lastImproved, checked: sp.checked,
    })),
    history: s.history as unknown as Array<Record<string, unknown>>,
    best: s.best ? genomeToJson(s.best) : null,
  };
}

function fromCheckpoint(b: CheckpointBody): State {
  const population = b.population.map(genomeFromJson);
  const rng = new Rng(b.seed);
  rng.setState(b.rng.map((v) => (v === null ? NaN : v)));
  return {
    generation: b.generation, population, threshold: b.threshold, nextSpeciesId: { value: b.nextSpeciesId },
    species: b.species.map((s) => ({
      id: s.id, created: s.created, representative: genomeFromJson(s.representative), members: s.members.map((i) => population[i]!),
      bestFitness: s.bestFitness ?? -Infinity, lastImproved: s.lastImproved, checked: s.checked,
    })),
    counters: { nextGenomeId: b.counters.nextGenomeId, bestFitness: b.counters.bestFitness ?? -Infinity, lastImproved: b.counters.lastImproved },
    innovations: InnovationRegistry.fromState(b.innovations), rng, evaluations: b.evaluations,
    history: b.history as unknown as GenerationStats[], best: b.best ? genomeFromJson(b.best) : null,
  };
}

/**
 * Index in `pop` of the genome to give the task's champion check this generation (config championCheck),
 * or −1. Call before updateImprovement: a species whose best beats its record becomes unchecked again.
 */
export function championToCheck(species: Species[], pop: Genome[], solved: boolean[], cfg: NeatConfig): number {
  if (cfg.championCheck === 'best-solver') {
    let cand = -1;
    for (let i = 0; i < pop.length; i++) if (solved[i] && (cand < 0 || pop[i]!.fitness > pop[cand]!.fitness)) cand = i;
    return cand;
  }
  const live = species.filter((s) => s.members.length > 0);
  if (live.length === 0) return -1;
  const champs = live.map((s) => bestOf(s.members));
  const order = live.map((_, i) => i).sort((a, b) => champs[b]!.fitness - champs[a]!.fitness || a - b);
  for (const i of order) if (champs[i]!.fitness > live[i]!.bestFitness) live[i]!.checked = false;
  const pick = order.find((i) => !live[i]!.checked) ?? order[0]!;
  live[pick]!.checked = true;
  return pop.indexOf(champs[pick]!);
}

export function checkpointPath(outDir: string): string { return join(outDir, 'checkpoint.json'); }

export async function runNeat(opts: RunOptions): Promise<RunResult> {
  const t0 = Date.now();
  let cfg = opts.config;
  const task = createTask(opts.task, cfg);
  let state: State;
  const outDir = opts.outDir ?? null;
  if (opts.resume && outDir && existsSync(checkpointPath(outDir))) {
    const body = readCheckpoint(checkpointPath(outDir));
    if (body.task !== task.name) throw new UserError(`checkpoint ${checkpointPath(outDir)}: it is for task '${body.task}', not '${task.name}'`);
    if (body.seed !== opts.seed) throw new UserError(`checkpoint ${checkpointPath(outDir)}: it is for seed ${body.seed}, not ${opts.seed}`);
    const g0 = body.population[0];
    if (g0 && (g0.nIn !== task.nIn || g0.nOut !== task.nOut)) {
      throw new UserError(`checkpoint ${checkpointPath(outDir)}: its genomes have ${g0.nIn} inputs and ${g0.nOut} outputs, task ${task.name} needs ${task.nIn} and ${task.nOut}`);
    }
    // The checkpoint's config governs the run; only the generation limit may be raised on resume.
    cfg = { ...body.config, maxGenerations: cfg.maxGenerations };
    state = fromCheckpoint(body);
  } else {
    state = freshState(task, cfg, opts.seed);
  }
  if (outDir) writeJsonAtomic(join(outDir, 'config.json'), { task: task.name, seed: opts.seed, config: cfg });
  const ownEvaluator = !opts.evaluator;
  const evaluator = opts.evaluator ?? makeEvaluator(opts.workers ?? 1, opts.task, cfg);

  let winner: Genome | null = null;
  let championCheck: ChampionCheck | null = null;
  let halted = false;
  let evaluatedThisCall = 0;
  try {
    for (;;) {
      const gen = state.generation;
      const pop = state.population;
      const results = await evaluator.evaluate(pop, opts.seed, gen);
      evaluatedThisCall++;
      for (let i = 0; i < pop.length; i++) pop[i]!.fitness = results[i]!.fitness;

      let solvedIndex = -1;
      let checked: GenerationStats['checked'];
      if (task.checkChampion) {
        const cand = championToCheck(state.species, pop, results.map((r) => r.solved), cfg);
        if (cand >= 0) {
          championCheck = task.checkChampion(pop[cand]!);
          checked = { genome: pop[cand]!.id, info: championCheck.info };
          if (championCheck.solved) solvedIndex = cand;
        }
        // The champion is known only once the whole generation has been evaluated.
        state.evaluations += pop.length;
      } else {
        solvedIndex = results.findIndex((r) => r.solved);
        state.evaluations += solvedIndex >= 0 ? solvedIndex + 1 : pop.length;
      }
      updateImprovement(state.species, state.counters, gen);

      const genBest = bestOf(pop);
      if (!state.best || genBest.fitness > state.best.fitness) state.best = cloneGenome(genBest, genBest.id);
      const hid = pop.map(hiddenCount), en = pop.map(enabledCount);
      const stats: GenerationStats = {
        generation: gen, evaluations: state.evaluations,
        bestFitness: genBest.fitness, meanFitness: mean(pop.map((g) => g.fitness)),
        speciesCount: state.species.length, speciesSizes: state.species.map((s) => s.members.length), threshold: state.threshold,
        bestHidden: hiddenCount(genBest), bestEnabled: enabledCount(genBest), meanHidden: mean(hid), meanEnabled: mean(en),
        solved: solvedIndex >= 0,
        ...(checked ? { checked } : {}),
      };
      state.history.push(stats);
      opts.onGeneration?.(stats, genBest);
      if (solvedIndex >= 0) { winner = cloneGenome(pop[solvedIndex]!, pop[solvedIndex]!.id); break; }
      if (gen + 1 >= cfg.maxGenerations) break;

      chooseRepresentatives(state.species, cfg, state.rng);
      const children = reproduce(state.species, cfg, state.innovations, state.rng, state.counters, gen);
      state.innovations.newGeneration();
      state.threshold = adjustThreshold(state.threshold, state.species.length, cfg);
      state.species = speciate(children, state.species, state.threshold, cfg, gen + 1, state.nextSpeciesId);
      state.population = children;
      state.generation = gen + 1;
      if (outDir && cfg.checkpointEvery > 0 && state.generation % cfg.checkpointEvery === 0) {
        writeCheckpoint(checkpointPath(outDir), toCheckpoint(task.name, opts.seed, cfg, state));
      }
      if (opts.haltAfter !== undefined && evaluatedThisCall >= opts.haltAfter) { halted = true; break; }
    }
  } finally {
    if (ownEvaluator) await evaluator.close();
  }

  const best = winner ?? state.best!;
  const result: RunResult = {
    task: task.name, seed: opts.seed, solved: winner !== null, generations: state.history.length, evaluations: state.evaluations,
    best, hidden: hiddenCount(best), enabled: enabledCount(best), championCheck,
    report: halted || !task.report ? {} : task.report(best), history: state.history, halted,
    wallSeconds: (Date.now() - t0) / 1000,
  };
  if (outDir && !halted) writeOutputs(outDir, result, cfg);
  return result;
}

/** The JSON-able outcome of one run (what summaries, the store and --json report). */
export interface RunSummary {
  task: string;
  seed: number;
  solved: boolean;
  generations: number;
  evaluations: number;
  hidden: number;
  enabled: number;
  fitness: number;
  championCheck: ChampionCheck | null;
  report: Record<string, number>;
  wallSeconds: number;
}

export function resultSummary(r: RunResult): RunSummary {
  return {
    task: r.task, seed: r.seed, solved: r.solved, generations: r.generations, evaluations: r.evaluations,
    hidden: r.hidden, enabled: r.enabled, fitness: r.best.fitness, championCheck: r.championCheck, report: r.report, wallSeconds: r.wallSeconds,
  };
}

export function historyCsv(h: GenerationStats[]): string {
  const cols = ['generation', 'evaluations', 'bestFitness', 'meanFitness', 'speciesCount', 'threshold', 'bestHidden', 'bestEnabled', 'meanHidden', 'meanEnabled', 'solved'] as const;
  return [cols.join(','), ...h.map((s) => cols.map((c) => String(s[c])).join(','))].join('\n') + '\n';
}

function writeOutputs(outDir: string, r: RunResult, cfg: NeatConfig): void {
  writeJsonAtomic(join(outDir, 'best-genome.json'), genomeToJson(r.best));
  writeJsonAtomic(join(outDir, 'generations.json'), r.history);
  writeFileAtomic(join(outDir, 'generations.csv'), historyCsv(r.history));
  writeJsonAtomic(join(outDir, 'result.json'), { ...resultSummary(r), config: cfg });
  writeFileAtomic(join(outDir, 'network.svg'), networkSvg(r.best));
  writeFileAtomic(join(outDir, 'progress.svg'), fitnessChartSvg(r.history, `NEAT ${r.task}, seed ${r.seed}`));
}
