// Mutations (paper §3.1, rates §4). As in the C++ release, a mutated genome gets an add-node mutation, or
// else an add-link mutation, or else the non-structural ones (weights with weightMutateProb; optional
// enable toggling, re-enabling, bias and activation changes).
import type { NeatConfig } from './config.js';
import { findNode, insertConn, insertNode, type ConnGene, type Genome } from './genome.js';
import type { InnovationRegistry } from './innovations.js';
import type { Rng } from '../util/rng.js';

/** Does a directed path to→…→from exist over the genome's connections (enabled or not)? */
export function createsCycle(g: Genome, from: number, to: number): boolean {
  if (from === to) return true;
  const adj = new Map<number, number[]>();
  for (const c of g.conns) {
    let l = adj.get(c.from);
    if (!l) adj.set(c.from, (l = []));
    l.push(c.to);
  }
  const seen = new Set<number>([to]);
  const stack = [to];
  while (stack.length) {
    const n = stack.pop()!;
    for (const m of adj.get(n) ?? []) {
      if (m === from) return true;
      if (!seen.has(m)) { seen.add(m); stack.push(m); }
    }
  }
  return false;
}

function clampWeight(w: number, cfg: NeatConfig): number {
  if (cfg.weightClamp === null) return w;
  return w > cfg.weightClamp ? cfg.weightClamp : w < -cfg.weightClamp ? -cfg.weightClamp : w;
}

/** Per weight: uniform perturbation in ±power with weightPerturbProb, else a new value in ±replaceRange. */
export function mutateWeights(g: Genome, cfg: NeatConfig, rng: Rng): void {
  for (const c of g.conns) {
    if (rng.next() < cfg.weightPerturbProb) c.weight += rng.uniform(-cfg.weightPerturbPower, cfg.weightPerturbPower);
    else c.weight = rng.uniform(-cfg.weightReplaceRange, cfg.weightReplaceRange);
    c.weight = clampWeight(c.weight, cfg);
  }
}

/**
 * Which connection add-node splits (config addNodeSelection; sources in config.ts):
 * - 'cpp': Stanley's C++ release with the small-genome rule (genetics.cpp, Genome::mutate_add_node): in a genome
 *   with fewer than 15 genes, skip to the first enabled gene whose source is not the bias input, then move on to
 *   the next gene while randfloat() < 0.3 (or while it comes from the bias input) — so it stops at each gene with
 *   chance 0.7, favouring old genes; the split fails if it runs off the end or lands on a disabled gene.
 *   Otherwise, and always in 'cpp-1.2.1' (NEAT 1.2.1 genome.cpp, where that branch is `if (false)`): up to 20
 *   uniform draws, accepting an enabled gene whose source is not the bias input.
 * - 'uniform': any enabled connection, uniformly.
 */
export function pickSplitConnection(g: Genome, cfg: NeatConfig, rng: Rng): ConnGene | undefined {
  const fromBias = (x: ConnGene) => x.from === g.nIn - 1;
  if (cfg.addNodeSelection === 'uniform') {
    const enabled = g.conns.filter((x) => x.enabled);
    return enabled.length ? enabled[rng.int(enabled.length)] : undefined;
  }
  const n = g.conns.length;
  if (cfg.addNodeSelection === 'cpp' && n < 15) {
    let i = 0;
    while (i < n && (!g.conns[i]!.enabled || fromBias(g.conns[i]!))) i++;
    while (i < n && (rng.next() < 0.3 || fromBias(g.conns[i]!))) i++;
    return i < n && g.conns[i]!.enabled ? g.conns[i] : undefined;
  }
  for (let t = 0; t < 20 && n > 0; t++) {
    const c = g.conns[rng.int(n)]!;
    if (c.enabled && !fromBias(c)) return c;
  }
  return undefined;
}

/** Split a connection a→b chosen by pickSplitConnection: disable it, add a→new (weight 1) and new→b (old weight). */
export function mutateAddNode(g: Genome, cfg: NeatConfig, inn: InnovationRegistry, rng: Rng): boolean {
  const c = pickSplitConnection(g, cfg, rng);
  if (!c) return false;
  const s = inn.split(c.innovation, (id) => findNode(g, id) !== undefined);
  c.enabled = false;
  insertNode(g, { id: s.nodeId, type: 'hidden', activation: cfg.activation, bias: 0 });
  insertConn(g, { innovation: s.inInnovation, from: c.from, to: s.nodeId, weight: 1.0, enabled: true });
  insertConn(g, { innovation: s.outInnovation, from: s.nodeId, to: c.to, weight: c.weight, enabled: true });
  return true;
}

/**
 * Add a connection between two unconnected nodes (up to newLinkTries attempts, C++ style): the source is
 * any node, the target any non-input node. Without allowRecurrent, links that would close a cycle are
 * refused; with it, a link is sought among recurrent ones with recurrentLinkProb, else among feed-forward ones.
 */
export function mutateAddLink(g: Genome, cfg: NeatConfig, inn: InnovationRegistry, rng: Rng): boolean {
  const nodes = g.nodes;
  const targets = nodes.filter((n) => n.type === 'output' || n.type === 'hidden');
  if (targets.length === 0) return false;
  const wantRecurrent = cfg.allowRecurrent && rng.next() < cfg.recurrentLinkProb;
  const existing = new Set<string>();
  for (const c of g.conns) existing.add(`${c.from}:${c.to}`);
  for (let t = 0; t < cfg.newLinkTries; t++) {
    const from = nodes[rng.int(nodes.length)]!.id;
    const to = targets[rng.int(targets.length)]!.id;
    if (existing.has(`${from}:${to}`)) continue;
    const cyc = createsCycle(g, from, to);
    if (cyc !== wantRecurrent) continue;
    const w = rng.uniform(-cfg.weightReplaceRange, cfg.weightReplaceRange);
    insertConn(g, { innovation: inn.link(from, to), from, to, weight: clampWeight(w, cfg), enabled: true });
    return true;
  }
  return false;
}

export function mutateToggleEnable(g: Genome, cfg: NeatConfig, rng: Rng): void {
  if (g.conns.length === 0) return;
  const c = g.conns[rng.int(g.conns.length)]!;
  if (c.enabled) {
    c.enabled = false;
  } else if (cfg.allowRecurrent || !createsCycleEnabled(g, c.from, c.to)) {
    c.enabled = true;
  }
}

function createsCycleEnabled(g: Genome, from: number, to: number): boolean {
  return createsCycle({ ...g, conns: g.conns.filter((c) => c.enabled) }, from, to);
}

export function mutateReenable(g: Genome, rng: Rng): void {
  const dis = g.conns.filter((c) => !c.enabled);
  if (dis.length) dis[rng.int(dis.length)]!.enabled = true;
}

/** One mutation event on an offspring (structural, exclusively, else non-structural). */
export function mutate(g: Genome, cfg: NeatConfig, inn: InnovationRegistry, rng: Rng): void {
  if (rng.next() < cfg.addNodeProb) { mutateAddNode(g, cfg, inn, rng); return; }
  if (rng.next() < cfg.addLinkProb) { mutateAddLink(g, cfg, inn, rng); return; }
  if (rng.next() < cfg.weightMutateProb) mutateWeights(g, cfg, rng);
  if (cfg.toggleEnableProb > 0 && rng.next() < cfg.toggleEnableProb) mutateToggleEnable(g, cfg, rng);
  if (cfg.reenableProb > 0 && rng.next() < cfg.reenableProb) mutateReenable(g, rng);
  if (cfg.nodeBias && cfg.biasMutateProb > 0) {
    for (const n of g.nodes) {
      if ((n.type === 'hidden' || n.type === 'output') && rng.next() < cfg.biasMutateProb) {
        n.bias += rng.uniform(-cfg.biasPerturbPower, cfg.biasPerturbPower);
      }
    }
  }
  if (cfg.activationMutateProb > 0 && rng.next() < cfg.activationMutateProb) {
    const hidden = g.nodes.filter((n) => n.type === 'hidden');
    if (hidden.length) hidden[rng.int(hidden.length)]!.activation = cfg.activationChoices[rng.int(cfg.activationChoices.length)]!;
  }
}
