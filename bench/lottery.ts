// Whole-run benchmark: a winnow lottery run (ticket branch, layer-wise IMP, rewind to init) against
// an open_lth-style PyTorch run of the same protocol (masked dense, bench/pytorch_lottery.py),
// interleaved, on the embedded Fashion-MNIST subset. winnow's time includes process start-up,
// its experiment store (SQLite, checkpoints every epoch, final weights) — everything a user waits for.
// Usage: node dist/bench/lottery.js [--levels 15] [--iterations 1000] [--eval-every 100] [--repeats 1] [--json]
//          [--controls reinit,random-prune] [--workers 1] [--threads 1] [--full] [--validation 2000]
// --workers N runs winnow's independent jobs on N threads; --threads N gives PyTorch N intra-op threads
// (and OpenBLAS as many); --full uses all of Fashion-MNIST (Debian's copy) instead of the embedded subset.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, pythonWithTorch, ratio } from './util.js';

const argv = process.argv.slice(2);
const opt = (name: string, def: number): number => { const i = argv.indexOf(name); return i >= 0 ? Number(argv[i + 1]) : def; };
const levels = opt('--levels', 15), iterations = opt('--iterations', 1000), evalEvery = opt('--eval-every', 100), repeats = opt('--repeats', 1);
const json = argv.includes('--json');
const str = (name: string, def: string): string => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1]! : def; };
const controls = str('--controls', 'none'), workers = opt('--workers', 1), threads = opt('--threads', 1), validation = opt('--validation', 2000);
const full = argv.includes('--full');
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const script = fileURLToPath(new URL('../../bench/pytorch_lottery.py', import.meta.url));
const dataDir = full ? '/usr/share/datasets/fashion-mnist' : fileURLToPath(new URL('../../data/embedded/fashion-mnist-mini', import.meta.url));
const python = pythonWithTorch();
if (!python.ok) console.error(`PyTorch peer unavailable: ${python.reason}`);

const winnow: number[] = [], torch: number[] = [];
let winnowAcc: number[] = [], torchAcc: number[] = [];
for (let rep = 0; rep < repeats; rep++) {
  const store = mkdtempSync(join(tmpdir(), 'winnow-bench-lottery-'));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, 'lottery', '--dataset', full ? 'fashion-mnist' : 'fashion-mnist-mini', '--validation', String(validation), '--levels', String(levels),
    '--iterations', String(iterations), '--eval-every', String(evalEvery), '--controls', controls, '--seed', String(rep), '--store', store, '--no-report', '--json',
    '--workers', String(workers), '--progress', 'none'], { encoding: 'utf8' });
  winnow.push((performance.now() - t0) / 1000);
  rmSync(store, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`winnow lottery failed: ${r.stderr}`);
  winnowAcc = JSON.parse(r.stdout).summary.filter((s: { branch: string }) => s.branch === 'ticket').map((s: { earlyStopTestAccuracy: { mean: number } }) => s.earlyStopTestAccuracy.mean);
  if (python.ok) {
    const p = spawnSync(python.exe, [script, '--data', dataDir, '--levels', String(levels), '--iterations', String(iterations),
      '--eval-every', String(evalEvery), '--validation', String(validation), '--seed', String(rep), '--controls', controls === 'none' ? '' : controls, '--threads', String(threads)],
    { encoding: 'utf8', env: { ...python.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) } });
    if (p.status !== 0) throw new Error(`pytorch_lottery.py failed: ${p.stderr || p.stdout}`);
    const out = JSON.parse(p.stdout.trim().split('\n').pop()!);
    torch.push(out.seconds);
    torchAcc = out.accuracy;
  }
}
const w = median(winnow), t = torch.length ? median(torch) : NaN;
const result = { benchmark: 'lottery-run', dataset: full ? 'fashion-mnist' : 'fashion-mnist-mini', controls, winnowWorkers: workers, torchThreads: threads, levels, iterations, evalEvery, repeats, winnowSeconds: w, torchSeconds: t, winnowOverTorch: ratio(w, t), winnowAccuracy: winnowAcc, torchAccuracy: torchAcc };
if (json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`lottery run: LeNet-300-100 on ${result.dataset}, ${levels + 1} levels × ${iterations} iterations, eval every ${evalEvery}, controls ${controls}; winnow ${workers} worker thread(s), PyTorch ${threads} thread(s); median of ${repeats}`);
  console.log(`winnow ${w.toFixed(1)} s (whole process)   PyTorch masked dense ${t.toFixed(1)} s (loop only)   winnow/PyTorch ${result.winnowOverTorch.toFixed(3)}`);
  console.log(`accuracy at early stop, first/last level: winnow ${(100 * winnowAcc[0]!).toFixed(2)}% / ${(100 * winnowAcc[winnowAcc.length - 1]!).toFixed(2)}%, PyTorch ${torchAcc.length ? `${(100 * torchAcc[0]!).toFixed(2)}% / ${(100 * torchAcc[torchAcc.length - 1]!).toFixed(2)}%` : '—'}`);
}
