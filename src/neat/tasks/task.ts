// The task interface: a fitness function over genomes, run in the main thread or in a worker.
// A task is built from a serializable TaskSpec (so workers can rebuild it) and the run's config.
import type { Genome } from '../genome.js';
import { Rng, hashString } from '../../util/rng.js';

export interface TaskSpec {
  name: string;
  /** Task options; must survive structured cloning (numbers, strings, typed arrays). */
  options?: Record<string, unknown>;
}

export interface EvalContext {
  /** Run seed, generation and index of the genome in the population: the only inputs to derived randomness. */
  seed: number;
  generation: number;
  index: number;
}

export interface EvalResult {
  fitness: number;
  /** The genome meets the task's success criterion (further checks may follow in checkChampion). */
  solved: boolean;
}

export interface ChampionCheck {
  solved: boolean;
  info: Record<string, number>;
}

export interface Task {
  readonly name: string;
  readonly nIn: number;
  readonly nOut: number;
  evaluate(g: Genome, ctx: EvalContext): EvalResult;
  /**
   * Optional: the same results as evaluate() for genomes[i] at index start + i, computed together (e.g. all
   * programs in one native call). Evaluators use it when present.
   */
  evaluateMany?(genomes: Genome[], ctx: { seed: number; generation: number; start: number }): EvalResult[];
  /** Extra main-thread test of a generation's champion (DPNV: 100,000 steps + generalization). */
  checkChampion?(g: Genome): ChampionCheck;
  /** Summary numbers about a final genome for reports (e.g. test accuracy, generalization score). */
  report?(g: Genome): Record<string, number>;
}

/** A random stream for one evaluation, derived only from (seed, generation, index). */
export function evalRng(ctx: EvalContext, name: string): Rng {
  return new Rng((Math.imul(ctx.seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(ctx.generation + 1, 0xc2b2ae35) ^ Math.imul(ctx.index + 1, 0x27d4eb2d) ^ hashString(name)) >>> 0);
}
