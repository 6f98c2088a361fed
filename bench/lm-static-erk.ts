// RigL against its own initial mask left fixed (static ERK random sparse) on the GPT, with the LM study's dense
// recipe (`winnow compare --model gpt:… --rigl`: batch 12, lr 1e-3 → 1e-4, warmup 100, AdamW wd 0.1, clip 1,
// seed): same seed, same mask draw, ΔT = 10⁹ for the static run. Prints the whole-validation-split loss of each.
import { loadavg } from 'node:os';
import { getBackend } from '../src/backend/index.js';
import { loadTextDataset } from '../src/data/text.js';
import { LM_RIGL_DEFAULTS, trainLmRigL } from '../src/sparsetrain/lm-rigl.js';
import { checkArgs } from './util.js';

const USAGE = `Usage: node dist/bench/lm-static-erk.js [--model gpt:4-4-128-64] [--iterations 2000] [--sparsities 0.9,0.7] [--seed 0] [--rigl]
Static ERK random sparse training of the GPT on shakespeare-char (RigL's initial mask, never updated), with the
LM study's dense recipe; prints each run's whole-validation-split loss.
  --model SPEC          the GPT (default gpt:4-4-128-64)
  --iterations N        training iterations (default 2000)
  --sparsities S,S,...  sparsities to train at, comma-separated (default 0.9,0.7)
  --seed N              seed of the initialization, mask and batches (default 0)
  --rigl                also train with RigL's mask updates at each sparsity (default off)
  -h, --help            print this and exit`;
checkArgs('lm-static-erk', USAGE);

const argv = process.argv.slice(2);
const opt = (name: string, def: string): string => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1]! : def; };
const be = getBackend('native', { warn: () => {} });
const data = loadTextDataset('shakespeare-char');
const o = { model: opt('--model', 'gpt:4-4-128-64'), batchSize: 12, iterations: Number(opt('--iterations', '2000')), lr: 1e-3, minLr: 1e-4, warmup: 100, weightDecay: 0.1,
  beta1: 0.9, beta2: 0.99, gradClip: 1, evalEvery: 0, evalIters: 20, seed: Number(opt('--seed', '0')), density: 1 };
o.warmup = Math.min(100, o.iterations);
for (const s of opt('--sparsities', '0.9,0.7').split(',').map(Number)) {
  for (const rigl of argv.includes('--rigl') ? [false, true] : [false]) {
    const r = trainLmRigL(be, data, o, { ...LM_RIGL_DEFAULTS, density: 1 - s, ...(rigl ? {} : { deltaT: 1e9 }) });
    console.log(`${rigl ? 'RigL' : 'static ERK'} ${s * 100}%: whole-split validation loss ${r.summary.final.valLoss.toFixed(4)} nats, ${r.updates} mask updates, ${r.summary.stepSeconds.toFixed(0)} s of steps (load ${loadavg()[0]!.toFixed(1)})`);
  }
}
