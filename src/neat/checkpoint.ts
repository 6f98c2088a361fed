// Checkpoints: everything needed to continue a run bit-identically — the unevaluated population of the
// next generation, species (representatives, members, improvement clocks), δt, the innovation registry
// (counters and this generation's list), genome/species id counters, the reproduction RNG state, the
// evaluation count, the history and the best genome so far. Written atomically (temp file + rename) with
// a versioned header and a SHA-256 of the body, so a torn or edited file is refused with a clear error.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readUserFile } from '../util/read.js';
import { z } from 'zod';
import { writeJsonAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { ACTIVATIONS, NeatConfigSchema, type NeatConfig } from './config.js';
import type { GenomeJson } from './genome.js';
import type { InnovationState } from './innovations.js';

export const CHECKPOINT_FORMAT = 'winnow-neat-checkpoint';
export const CHECKPOINT_VERSION = 2;

/**
 * Size limits of a genome read from a file (docs/LIMITS.md): they bound what a corrupt or hostile
 * checkpoint or genome file can make winnow allocate. Node ids and innovations index Int32Arrays.
 */
export const GENOME_LIMITS = { maxInputs: 65_536, maxOutputs: 65_536, maxNodes: 1_000_000, maxConns: 10_000_000, maxId: 2 ** 31 - 2 } as const;
/** Largest checkpoint file read: 1 GiB. */
export const MAX_CHECKPOINT_BYTES = 2 ** 30;

const NodeGeneSchema = z.object({
  id: z.number().int().min(0).max(GENOME_LIMITS.maxId),
  type: z.enum(['input', 'bias', 'output', 'hidden']),
  activation: z.enum(ACTIVATIONS),
  bias: z.number(),
});
const ConnGeneSchema = z.object({
  innovation: z.number().int().min(0).max(GENOME_LIMITS.maxId),
  from: z.number().int().min(0).max(GENOME_LIMITS.maxId),
  to: z.number().int().min(0).max(GENOME_LIMITS.maxId),
  weight: z.number(),
  enabled: z.boolean(),
});
export const GenomeJsonSchema = z.object({
  id: z.number().int(),
  nIn: z.number().int().min(1).max(GENOME_LIMITS.maxInputs),
  nOut: z.number().int().min(1).max(GENOME_LIMITS.maxOutputs),
  fitness: z.number(),
  nodes: z.array(NodeGeneSchema).max(GENOME_LIMITS.maxNodes),
  conns: z.array(ConnGeneSchema).max(GENOME_LIMITS.maxConns),
});

/**
 * Structural problems of a schema-valid genome, as "field: why", or null: node ids unique; ids
 * 0..nIn−2 inputs, nIn−1 the bias, then nOut outputs, every other node hidden; connections join
 * existing nodes, never into an input, with unique innovation numbers.
 */
export function genomeProblem(g: z.infer<typeof GenomeJsonSchema>): string | null {
  const byId = new Map<number, string>();
  for (const n of g.nodes) {
    if (byId.has(n.id)) return `nodes: node id ${n.id} repeats`;
    byId.set(n.id, n.type);
  }
  const io = g.nIn + g.nOut;
  for (let i = 0; i < io; i++) {
    const want = i < g.nIn ? (i === g.nIn - 1 ? 'bias' : 'input') : 'output';
    const t = byId.get(i);
    if (t !== want) return `nodes: node ${i} should be an ${want} node, found ${t ?? 'none'}`;
  }
  for (const n of g.nodes) if (n.id >= io && n.type !== 'hidden') return `nodes: node ${n.id} is an ${n.type} node, but only ids below ${io} may be (nIn ${g.nIn} + nOut ${g.nOut})`;
  const innov = new Set<number>();
  for (const c of g.conns) {
    if (!byId.has(c.from) || !byId.has(c.to)) return `conns: connection ${c.innovation} joins ${c.from}→${c.to}, but the genome has no node ${byId.has(c.from) ? c.to : c.from}`;
    const tt = byId.get(c.to);
    if (tt === 'input' || tt === 'bias') return `conns: connection ${c.innovation} leads into ${tt} node ${c.to}`;
    if (innov.has(c.innovation)) return `conns: innovation ${c.innovation} repeats`;
    innov.add(c.innovation);
  }
  return null;
}

const SpeciesJsonSchema = z.object({
  id: z.number().int(),
  created: z.number().int(),
  representative: GenomeJsonSchema,
  members: z.array(z.number().int().min(0)),
  bestFitness: z.number().nullable(),
  lastImproved: z.number().int(),
  checked: z.boolean(),
});

const BodySchema = z.object({
  task: z.string(),
  seed: z.number().int(),
  config: NeatConfigSchema,
  generation: z.number().int().min(0),
  threshold: z.number(),
  nextSpeciesId: z.number().int(),
  counters: z.object({ nextGenomeId: z.number().int(), bestFitness: z.number().nullable(), lastImproved: z.number().int() }),
  innovations: z.object({
    nextInnovation: z.number().int(),
    nextNodeId: z.number().int(),
    links: z.array(z.tuple([z.string(), z.number().int()])),
    splits: z.array(z.tuple([z.number().int(), z.object({ nodeId: z.number().int(), inInnovation: z.number().int(), outInnovation: z.number().int() })])),
  }),
  rng: z.array(z.number().nullable()).length(5),
  evaluations: z.number().int().min(0),
  population: z.array(GenomeJsonSchema).min(1),
  species: z.array(SpeciesJsonSchema),
  history: z.array(z.record(z.string(), z.unknown())),
  best: GenomeJsonSchema.nullable(),
});

export type SpeciesJson = z.infer<typeof SpeciesJsonSchema>;
export interface CheckpointBody {
  task: string;
  seed: number;
  config: NeatConfig;
  generation: number;
  threshold: number;
  nextSpeciesId: number;
  counters: { nextGenomeId: number; bestFitness: number | null; lastImproved: number };
  innovations: InnovationState;
  rng: Array<number | null>;
  evaluations: number;
  population: GenomeJson[];
  species: SpeciesJson[];
  history: Array<Record<string, unknown>>;
  best: GenomeJson | null;
}

function digest(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

export function writeCheckpoint(path: string, body: CheckpointBody): void {
  writeJsonAtomic(path, { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, sha256: digest(body), body });
}

export function readCheckpoint(path: string): CheckpointBody {
  if (!existsSync(path)) throw new UserError(`checkpoint ${path}: not found`);
  return parseCheckpoint(readUserFile(path, `checkpoint ${path}`, { maxBytes: MAX_CHECKPOINT_BYTES }).toString('utf8'), path);
}

/** Parses and fully checks checkpoint text; `path` names it in errors. */
export function parseCheckpoint(text: string, path: string): CheckpointBody {
  let raw: unknown;
  try { raw = JSON.parse(text); } catch (e) {
    throw new UserError(`checkpoint ${path}: corrupt (not valid JSON: ${(e as Error).message.replace(/\s+/g, " ")}); delete it to start over`);
  }
  const head = raw as { format?: unknown; version?: unknown; sha256?: unknown; body?: unknown };
  if (typeof raw !== 'object' || raw === null || head.format !== CHECKPOINT_FORMAT) {
    throw new UserError(`checkpoint ${path}: not a winnow NEAT checkpoint (format field is ${JSON.stringify(head?.format)})`);
  }
  if (head.version !== CHECKPOINT_VERSION) {
    throw new UserError(`checkpoint ${path}: version ${JSON.stringify(head.version)} is not supported (expected ${CHECKPOINT_VERSION})`);
  }
  if (typeof head.sha256 !== 'string' || head.sha256 !== digest(head.body)) {
    throw new UserError(`checkpoint ${path}: corrupt (checksum mismatch); delete it to start over`);
  }
  return checkBody(head.body, path);
}

/** Schema and structure of a checkpoint body (no checksum); `path` names it in errors. */
export function checkBody(rawBody: unknown, path: string): CheckpointBody {
  const corrupt = (why: string): never => { throw new UserError(`checkpoint ${path}: corrupt (${why}); delete it to start over`); };
  const r = BodySchema.safeParse(rawBody);
  if (!r.success) {
    const iss = r.error.issues[0]!;
    corrupt(`field '${iss.path.join('.')}': ${iss.message}`);
  }
  const body = r.data as CheckpointBody;
  const genomes: Array<[string, CheckpointBody['population'][number]]> = [
    ...body.population.map((g, i): [string, typeof g] => [`population.${i}`, g]),
    ...body.species.map((s, i): [string, typeof s.representative] => [`species.${i}.representative`, s.representative]),
    ...(body.best ? [['best', body.best] as [string, typeof body.best]] : []),
  ];
  // The reproduction RNG (xoshiro128**): four int32 words, not all zero (an all-zero state only ever
  // yields 0), and a spare normal deviate or null.
  const words = body.rng.slice(0, 4);
  if (!words.every((w) => w !== null && Number.isInteger(w) && w >= -(2 ** 31) && w < 2 ** 32)) corrupt(`field 'rng': the first four entries must be 32-bit integers, found ${JSON.stringify(words)}`);
  if (words.every((w) => (w! | 0) === 0)) corrupt(`field 'rng': an all-zero generator state`);
  if (body.rng[4] !== null && !Number.isFinite(body.rng[4])) corrupt(`field 'rng.4': expected a finite number or null`);
  const { nIn, nOut } = body.population[0]!;
  for (const [field, g] of genomes) {
    const bad = genomeProblem(g);
    if (bad) corrupt(`field '${field}.${bad.split(':')[0]}': ${bad.slice(bad.indexOf(':') + 2)}`);
    if (g.nIn !== nIn || g.nOut !== nOut) corrupt(`field '${field}': ${g.nIn} inputs and ${g.nOut} outputs, but population.0 has ${nIn} and ${nOut}`);
  }
  // Species partition the population: every genome in exactly one non-empty species.
  if (body.species.length === 0) corrupt(`field 'species': empty, but the population of ${body.population.length} genomes must belong to species`);
  const owner = new Int32Array(body.population.length).fill(-1);
  for (const s of body.species) {
    if (s.members.length === 0) corrupt(`field 'species': species ${s.id} has no members`);
    for (const m of s.members) {
      if (m >= body.population.length) corrupt(`species ${s.id} member index ${m} out of range`);
      if (owner[m] !== -1) corrupt(`field 'species': genome ${m} belongs to two species`);
      owner[m] = s.id;
    }
  }
  const orphan = owner.indexOf(-1);
  if (orphan >= 0) corrupt(`field 'species': genome ${orphan} of the population belongs to no species`);
  return body;
}
