// RigL on LeNet-300-100 at 2% (ERK), batch 60, Adam: winnow on its sparse kernels against bench/pytorch_rigl.py,
// RigL with dense masks as the public code runs it. Both count training steps with the mask updates included
// (winnow's dense gradients at update steps too) and the assembly of each mini-batch from the training set (the
// peer indexes a training set of as many random images); winnow's evaluation is excluded (one at the start and the end).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getBackend } from '../src/backend/index.js';
import { loadDataset } from '../src/data/registry.js';
import { runSparseTraining } from '../src/sparsetrain/run.js';
import { checkArgs, median, pythonWithTorch, ratio } from './util.js';

const USAGE = `Usage: node dist/bench/rigl.js [--density 0.02] [--steps 1000] [--repeats 3]
RigL training time of LeNet-300-100 (ERK, batch 60, Adam) on winnow's sparse kernels against the PyTorch peer
(bench/pytorch_rigl.py, dense masks), mask updates and batch assembly included; medians of interleaved repeats.
  --density D    weight density (default 0.02)
  --steps N      training steps (default 1000)
  --repeats N    interleaved repeats (default 3)
  -h, --help     print this and exit`;
checkArgs('rigl', USAGE);

const arg = (name: string, dflt: number): number => { const i = process.argv.indexOf(name); return i >= 0 ? Number(process.argv[i + 1]) : dflt; };
const density = arg('--density', 0.02), steps = arg('--steps', 1000), repeats = arg('--repeats', 3);
const script = fileURLToPath(new URL('../../bench/pytorch_rigl.py', import.meta.url));
const python = pythonWithTorch();
if (!python.ok) console.error(`PyTorch peer unavailable: ${python.reason}`);
const be = getBackend('native');
const data = loadDataset('fashion-mnist-mini', { seed: 0 });
const ours: number[] = [], theirs: number[] = [];
let updates = 0;
for (let rep = 0; rep < repeats; rep++) {
  const r = runSparseTraining(be, data, {
    model: 'lenet300', method: 'rigl', density, distribution: 'erk', ablation: 'none', optimizer: { kind: 'adam', lr: 1.2e-3 },
    batchSize: 60, iterations: steps, evalEvery: steps, seed: rep, init: 'glorot-normal', zeta: 0.3, alpha: 0.3, deltaT: 100, endFraction: 0.75, scoreBatch: 100,
  });
  ours.push(r.summary.seconds.steps); updates = r.summary.maskUpdates;
  if (python.ok) {
    const p = spawnSync(python.exe, [script, '--density', String(density), '--steps', String(steps), '--seed', String(rep), '--samples', String(data.train.count)], { encoding: 'utf8', env: python.env });
    const line = JSON.parse(p.stdout.trim().split('\n').pop() ?? '{}') as { seconds?: number };
    theirs.push(line.seconds ?? NaN);
  }
}
const w = median(ours), t = python.ok ? median(theirs) : NaN;
console.log(`RigL LeNet-300-100 at ${(100 * density).toFixed(1)}% (ERK), ${steps} steps × batch 60, ${updates} mask updates, ${be.name} (${be.detail})`);
console.log(`winnow ${w.toFixed(3)} s   PyTorch masked-dense ${Number.isFinite(t) ? t.toFixed(3) : '—'} s   winnow / PyTorch ${ratio(w, t).toFixed(3)}   speed-up ${(t / w).toFixed(1)}×   (medians of ${repeats}, interleaved)`);
