// NEAT genomes: node genes and connection genes (sorted by innovation number).
// Node ids: 0..nIn-1 are the inputs (the last one is the bias input; the task sets its value),
// nIn..nIn+nOut-1 the outputs, larger ids are hidden nodes handed out by the innovation registry.
import type { ActivationName } from './config.js';
import type { Rng } from '../util/rng.js';

export type NodeType = 'input' | 'bias' | 'output' | 'hidden';

export interface NodeGene {
  id: number;
  type: NodeType;
  activation: ActivationName;
  bias: number;
}

export interface ConnGene {
  innovation: number;
  from: number;
  to: number;
  weight: number;
  enabled: boolean;
}

export interface Genome {
  id: number;
  /** Sorted by id. */
  nodes: NodeGene[];
  /** Sorted by innovation number. */
  conns: ConnGene[];
  nIn: number;
  nOut: number;
  /** Set after evaluation. */
  fitness: number;
}

export function cloneGenome(g: Genome, id: number): Genome {
  return {
    id,
    nodes: g.nodes.map((n) => ({ ...n })),
    conns: g.conns.map((c) => ({ ...c })),
    nIn: g.nIn,
    nOut: g.nOut,
    fitness: g.fitness,
  };
}

/**
 * The minimal start genome: every input (including the bias input, the last one) connected to every
 * output, no hidden nodes (C++ xorstartgenes). Initial connections get innovations 0..nIn·nOut−1,
 * the same in every genome; weights uniform in ±range.
 */
export function startGenome(id: number, nIn: number, nOut: number, activation: ActivationName, range: number, rng: Rng): Genome {
  const nodes: NodeGene[] = [];
  for (let i = 0; i < nIn; i++) nodes.push({ id: i, type: i === nIn - 1 ? 'bias' : 'input', activation: 'identity', bias: 0 });
  for (let o = 0; o < nOut; o++) nodes.push({ id: nIn + o, type: 'output', activation, bias: 0 });
  const conns: ConnGene[] = [];
  let innov = 0;
  for (let o = 0; o < nOut; o++) {
    for (let i = 0; i < nIn; i++) conns.push({ innovation: innov++, from: i, to: nIn + o, weight: rng.uniform(-range, range), enabled: true });
  }
  return { id, nodes, conns, nIn, nOut, fitness: 0 };
}

export function hiddenCount(g: Genome): number {
  let n = 0;
  for (const node of g.nodes) if (node.type === 'hidden') n++;
  return n;
}

export function enabledCount(g: Genome): number {
  let n = 0;
  for (const c of g.conns) if (c.enabled) n++;
  return n;
}

export function findNode(g: Genome, id: number): NodeGene | undefined {
  // nodes are sorted by id: binary search
  let lo = 0, hi = g.nodes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = g.nodes[mid]!.id;
    if (v === id) return g.nodes[mid];
    if (v < id) lo = mid + 1; else hi = mid - 1;
  }
  return undefined;
}

export function insertNode(g: Genome, node: NodeGene): void {
  let i = g.nodes.length;
  while (i > 0 && g.nodes[i - 1]!.id > node.id) i--;
  g.nodes.splice(i, 0, node);
}

export function insertConn(g: Genome, conn: ConnGene): void {
  let i = g.conns.length;
  while (i > 0 && g.conns[i - 1]!.innovation > conn.innovation) i--;
  g.conns.splice(i, 0, conn);
}

/** JSON form of a genome (the best-genome file and checkpoints). */
export interface GenomeJson {
  id: number;
  nIn: number;
  nOut: number;
  fitness: number;
  nodes: NodeGene[];
  conns: ConnGene[];
}

export function genomeToJson(g: Genome): GenomeJson {
  return { id: g.id, nIn: g.nIn, nOut: g.nOut, fitness: Number.isFinite(g.fitness) ? g.fitness : 0, nodes: g.nodes, conns: g.conns };
}

export function genomeFromJson(j: GenomeJson): Genome {
  const g: Genome = { id: j.id, nIn: j.nIn, nOut: j.nOut, fitness: j.fitness, nodes: j.nodes.map((n) => ({ ...n })), conns: j.conns.map((c) => ({ ...c })) };
  g.nodes.sort((a, b) => a.id - b.id);
  g.conns.sort((a, b) => a.innovation - b.innovation);
  return g;
}
