// Whole-run benchmark: a winnow lottery run (ticket branch, layer-wise IMP, rewind to init) against
// an open_lth-style PyTorch run of the same protocol (masked dense, bench/pytorch_lottery.py),
// interleaved, on the embedded Fashion-MNIST subset. winnow's time includes process start-up,
// its experiment store (SQLite, checkpoints every epoch, final weights) — everything a user waits for.
// Usage: node dist/bench/lottery.js [--levels 15] [--iterations 1000] [--eval-every 100] [--repeats 1] [--json]
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
const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const script = fileURLToPath(new URL('../../bench/pytorch_lottery.py', import.meta.url));
const dataDir = fileURLToPath(new URL('../../data/embedded/fashion-mnist-mini', import.meta.url));
const python = pythonWithTorch();
if (!python.ok) console.error(`PyTorch peer unavailable: ${python.reason}`);

const winnow: number[] = [], torch: number[] = [];
let winnowAcc: number[] = [], torchAcc: number[] = [];
for (let rep = 0; rep < repeats; rep++) {
  const store = mkdtempSync(join(tmpdir(), 'winnow-bench-lottery-'));
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, 'lottery', '--dataset', 'fashion-mnist-mini', '--validation', '2000', '--levels', String(levels),
    '--iterations', String(iterations), '--eval-every', String(evalEvery), '--controls', 'none', '--seed', String(rep), '--store', store, '--no-report', '--json', '--workers', '1'], { encoding: 'utf8' });
  winnow.push((performance.now() - t0) / 1000);
  rmSync(store, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`winnow lottery failed: ${r.stderr}`);
  winnowAcc = JSON.parse(r.stdout).summary.map((s: { earlyStopTestAccuracy: { mean: number } }) => s.earlyStopTestAccuracy.mean);
  if (python.ok) {
    const p = spawnSync(python.exe, [script, '--data', dataDir, '--levels', String(levels), '--iterations', String(iterations),
      '--eval-every', String(evalEvery), '--validation', '2000', '--seed', String(rep)], { encoding: 'utf8', env: python.env });
    if (p.status !== 0) throw new Error(`pytorch_lottery.py failed: ${p.stderr || p.stdout}`);
    const out = JSON.parse(p.stdout.trim().split('\n').pop()!);
    torch.push(out.seconds);
    torchAcc = out.accuracy;
  }
}
const w = median(winnow), t = torch.length ? median(torch) : NaN;
const result = { benchmark: 'lottery-run', levels, iterations, evalEvery, repeats, winnowSeconds: w, torchSeconds: t, winnowOverTorch: ratio(w, t), winnowAccuracy: winnowAcc, torchAccuracy: torchAcc };
if (json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`lottery run: LeNet-300-100 on fashion-mnist-mini, ${levels + 1} levels × ${iterations} iterations, eval every ${evalEvery}, ticket only; median of ${repeats}`);
  console.log(`winnow ${w.toFixed(1)} s (whole process)   PyTorch masked dense ${t.toFixed(1)} s (loop only)   winnow/PyTorch ${result.winnowOverTorch.toFixed(3)}`);
  console.log(`accuracy at early stop, first/last level: winnow ${(100 * winnowAcc[0]!).toFixed(2)}% / ${(100 * winnowAcc[winnowAcc.length - 1]!).toFixed(2)}%, PyTorch ${torchAcc.length ? `${(100 * torchAcc[0]!).toFixed(2)}% / ${(100 * torchAcc[torchAcc.length - 1]!).toFixed(2)}%` : '—'}`);
}
