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

/**
 * Weight mutation (config weightMutation).
 * 'paper': per weight, a uniform perturbation in ±power with weightPerturbProb, else a new value in ±replaceRange.
 * 'cpp': Stanley's Genome::mutate_link_weights(power, rate 1.0, GAUSSIAN) from NEAT 1.2.1 genome.cpp. Half the
 * time the call is "severe": each weight is perturbed with chance 0.7, replaced with 0.2, kept with 0.1.
 * Otherwise the newest 20% of genes (genomes of ≥ 10 genes) are perturbed 0.5 / replaced 0.2 / kept 0.3, and the
 * rest are always perturbed (with rate 1.0 the code's per-gene "cold" branch cannot fire, but it still draws a
 * number, as here). Perturbation and replacement values are both uniform in ±power. Weight clamping follows
 * weightClamp (1.2.1 caps at ±8).
 */
export function mutateWeights(g: Genome, cfg: NeatConfig, rng: Rng): void {
  if (cfg.weightMutation === 'cpp') { mutateWeightsCpp(g, cfg, rng); return; }
  for (const c of g.conns) {
    if (rng.next() < cfg.weightPerturbProb) c.weight += rng.uniform(-cfg.weightPerturbPower, cfg.weightPerturbPower);
    else c.weight = rng.uniform(-cfg.weightReplaceRange, cfg.weightReplaceRange);
    c.weight = clampWeight(c.weight, cfg);
  }
}

function mutateWeightsCpp(g: Genome, cfg: NeatConfig, rng: Rng): void {
  const power = cfg.weightPerturbPower;
  const severe = rng.next() > 0.5;
  const total = g.conns.length, endpart = total * 0.8;
  let num = 0;
  for (const c of g.conns) {
    let gausspoint: number, coldgausspoint: number;
    if (severe) { gausspoint = 0.3; coldgausspoint = 0.1; }
    else if (total >= 10 && num > endpart) { gausspoint = 0.5; coldgausspoint = 0.3; }
    else if (rng.next() > 0.5) { gausspoint = 0; coldgausspoint = -0.1; }
    else { gausspoint = 0; coldgausspoint = 0; }
    const value = rng.uniform(-power, power);
    const choice = rng.next();
    if (choice > gausspoint) c.weight += value;
    else if (choice > coldgausspoint) c.weight = value;
    c.weight = clampWeight(c.weight, cfg);
    num++;
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
 * any node, the target any non-input node; the weight is uniform in ±newLinkWeightRange (null: ±weightReplaceRange).
 * addLinkRule 'paper': without allowRecurrent, links that would close a cycle are refused; with it, a link is
 * sought among recurrent ones with recurrentLinkProb, else among feed-forward ones.
 * addLinkRule 'cpp' (NEAT 1.2.1 Genome::mutate_add_link): a link into or out of an output node counts as
 * recurrent ("CONSIDER connections out of outputs recurrent"), so the feed-forward search only links inputs and
 * hidden nodes to hidden nodes; the recurrent search (chance recurrentLinkProb, only with allowRecurrent) tries a
 * self-loop on a random non-input node half the time, else a random pair, and takes the first recurrent one.
 */
export function mutateAddLink(g: Genome, cfg: NeatConfig, inn: InnovationRegistry, rng: Rng): boolean {
  const nodes = g.nodes;
  const targets = nodes.filter((n) => n.type === 'output' || n.type === 'hidden');
  if (targets.length === 0) return false;
  const cpp = cfg.addLinkRule === 'cpp';
  const isOutput = (id: number) => id >= g.nIn && id < g.nIn + g.nOut;
  const wantRecurrent = cfg.allowRecurrent && rng.next() < cfg.recurrentLinkProb;
  const existing = new Set<string>();
  for (const c of g.conns) existing.add(`${c.from}:${c.to}`);
  for (let t = 0; t < cfg.newLinkTries; t++) {
    let from: number, to: number;
    if (cpp && wantRecurrent && rng.next() > 0.5) {
      from = to = targets[rng.int(targets.length)]!.id;
    } else {
      from = nodes[rng.int(nodes.length)]!.id;
      to = targets[rng.int(targets.length)]!.id;
    }
    if (existing.has(`${from}:${to}`)) continue;
    const recurrent = createsCycle(g, from, to) || (cpp && (isOutput(from) || isOutput(to)));
    if (recurrent !== wantRecurrent) continue;
    const range = cfg.newLinkWeightRange ?? cfg.weightReplaceRange;
    const w = rng.uniform(-range, range);
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
