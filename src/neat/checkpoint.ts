// Checkpoints: everything needed to continue a run bit-identically — the unevaluated population of the
// next generation, species (representatives, members, improvement clocks), δt, the innovation registry
// (counters and this generation's list), genome/species id counters, the reproduction RNG state, the
// evaluation count, the history and the best genome so far. Written atomically (temp file + rename) with
// a versioned header and a SHA-256 of the body, so a torn or edited file is refused with a clear error.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeJsonAtomic } from '../util/atomic.js';
import { UserError } from '../util/errors.js';
import { ACTIVATIONS, NeatConfigSchema, type NeatConfig } from './config.js';
import type { GenomeJson } from './genome.js';
import type { InnovationState } from './innovations.js';

export const CHECKPOINT_FORMAT = 'winnow-neat-checkpoint';
export const CHECKPOINT_VERSION = 2;

const NodeGeneSchema = z.object({
  id: z.number().int().min(0),
  type: z.enum(['input', 'bias', 'output', 'hidden']),
  activation: z.enum(ACTIVATIONS),
  bias: z.number(),
});
const ConnGeneSchema = z.object({
  innovation: z.number().int().min(0),
  from: z.number().int().min(0),
  to: z.number().int().min(0),
  weight: z.number(),
  enabled: z.boolean(),
});
export const GenomeJsonSchema = z.object({
  id: z.number().int(),
  nIn: z.number().int().min(1),
  nOut: z.number().int().min(1),
  fitness: z.number(),
  nodes: z.array(NodeGeneSchema),
  conns: z.array(ConnGeneSchema),
});

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
  let raw: unknown;
  try { raw = JSON.parse(readFileSync(path, 'utf8')); } catch (e) {
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
  const r = BodySchema.safeParse(head.body);
  if (!r.success) {
    const iss = r.error.issues[0]!;
    throw new UserError(`checkpoint ${path}: corrupt (field '${iss.path.join('.')}': ${iss.message})`);
  }
  const body = r.data as CheckpointBody;
  for (const s of body.species) {
    for (const m of s.members) if (m >= body.population.length) throw new UserError(`checkpoint ${path}: corrupt (species ${s.id} member index ${m} out of range)`);
  }
  return body;
}
