// Training benchmark: one epoch of LeNet-300-100 (1000 steps × batch 60, Adam) in winnow — dense and
// at 5% and 2% random density on the sparse kernels — against PyTorch with OpenBLAS running the same
// loop (masked dense for the sparse cases, as pruning libraries do), interleaved in one run.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getBackend } from '../src/backend/index.js';
import { loadDataset } from '../src/data/registry.js';
import { runTraining } from '../src/train/run.js';
import { checkArgs, median, pythonWithTorch, ratio } from './util.js';

const USAGE = `Usage: node dist/bench/train.js [--repeats 5] [--steps 1000] [--json]
One epoch of LeNet-300-100 (batch 60, Adam) in winnow, dense and at 5% and 2% random density on the sparse
kernels, against PyTorch on OpenBLAS (bench/pytorch_lenet.py, masked dense), interleaved; medians of the repeats.
  --repeats N   interleaved repeats (default 5)
  --steps N     training steps (default 1000: one epoch)
  --json        print the results as JSON (default off)
  -h, --help    print this and exit`;
checkArgs('train', USAGE);

const argv = process.argv.slice(2);
const opt = (name: string, def: number): number => { const i = argv.indexOf(name); return i >= 0 ? Number(argv[i + 1]) : def; };
const repeats = opt('--repeats', 5), steps = opt('--steps', 1000);
const json = argv.includes('--json');
const densities = [1, 0.05, 0.02];

const be = getBackend('native', { warn: (m) => console.error(m) });
const data = loadDataset('fashion-mnist-mini', { seed: 0 });
const script = fileURLToPath(new URL('../../bench/pytorch_lenet.py', import.meta.url));
const python = pythonWithTorch();
if (!python.ok) console.error(`PyTorch peer unavailable: ${python.reason}`);

const winnow: Record<number, number[]> = {}, torch: Record<number, number[]> = {};
let torchInfo = '';
for (let rep = 0; rep < repeats; rep++) {
  for (const d of densities) {
    const s = runTraining(be, data, {
      model: 'lenet300', optimizer: { kind: 'adam', lr: 1.2e-3 }, batchSize: 60, iterations: steps, evalEvery: steps, seed: rep, density: d,
    });
    (winnow[d] ??= []).push(s.stepSeconds);
    if (python.ok) {
      const r = spawnSync(python.exe, [script, '--density', String(d), '--steps', String(steps), '--seed', String(rep)], { encoding: 'utf8', env: python.env });
      if (r.status !== 0) throw new Error(`pytorch_lenet.py failed: ${r.stderr || r.stdout}`);
      const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
      (torch[d] ??= []).push(out.seconds);
      torchInfo = `torch ${out.torch}, BLAS ${out.blas}, ${out.threads} thread`;
    }
  }
}

const rows = densities.map((d) => {
  const w = median(winnow[d]!), t = torch[d] ? median(torch[d]!) : NaN;
  return { density: d, winnowSeconds: w, torchSeconds: t, winnowOverTorch: ratio(w, t), speedup: ratio(t, w) };
});
if (json) {
  console.log(JSON.stringify({ benchmark: 'train-lenet300-epoch', steps, batch: 60, repeats, backend: `${be.name} (${be.detail})`, peer: torchInfo || null, rows }, null, 2));
} else {
  console.log(`LeNet-300-100, ${steps} steps × batch 60, Adam; medians of ${repeats} interleaved repeats; winnow ${be.name} (${be.detail}) vs ${torchInfo || 'PyTorch (missing)'}`);
  console.log('density   winnow s   pytorch s   winnow/pytorch   speedup');
  for (const r of rows) {
    console.log(`${(100 * r.density).toFixed(0).padStart(6)}%   ${r.winnowSeconds.toFixed(3).padStart(8)}   ${r.torchSeconds.toFixed(3).padStart(9)}   ${r.winnowOverTorch.toFixed(3).padStart(14)}   ${r.speedup.toFixed(2).padStart(6)}×`);
  }
}
