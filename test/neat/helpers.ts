// Shared test helpers: random genomes (feed-forward or with cycles) built through the real mutation code.
import { resolveConfig, type NeatConfig } from '../../src/neat/config.js';
import { startGenome, type Genome } from '../../src/neat/genome.js';
import { InnovationRegistry } from '../../src/neat/innovations.js';
import { mutateAddLink, mutateAddNode } from '../../src/neat/mutation.js';
import { Rng } from '../../src/util/rng.js';

export function randomGenome(seed: number, opts: { nIn: number; nOut: number; recurrent: boolean; steps: number }): Genome {
  const cfg: NeatConfig = { ...resolveConfig('xor'), allowRecurrent: opts.recurrent, recurrentLinkProb: opts.recurrent ? 0.4 : 0 };
  const rng = new Rng(seed);
  const g = startGenome(0, opts.nIn, opts.nOut, 'steep-sigmoid', 2, rng);
  const inn = new InnovationRegistry(opts.nIn * opts.nOut, opts.nIn + opts.nOut);
  for (let s = 0; s < opts.steps; s++) {
    if (rng.next() < 0.4) mutateAddNode(g, cfg, inn, rng); else mutateAddLink(g, cfg, inn, rng);
    if (rng.next() < 0.1 && g.conns.length) g.conns[rng.int(g.conns.length)]!.enabled = false;
  }
  for (const c of g.conns) c.weight = rng.uniform(-3, 3);
  const acts = ['steep-sigmoid', 'tanh', 'relu', 'identity', 'gauss', 'sin'] as const;
  for (const n of g.nodes) if (n.type === 'hidden') { n.activation = acts[rng.int(acts.length)]!; n.bias = rng.uniform(-1, 1); }
  return g;
}
