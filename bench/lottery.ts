// Whole-run benchmark: a winnow lottery run (ticket branch, layer-wise IMP, rewind to init) against
// an open_lth-style PyTorch run of the same protocol (masked dense, bench/pytorch_lottery.py),
// interleaved, on the embedded Fashion-MNIST subset. winnow's time includes process start-up,
// its experiment store (SQLite, checkpoints every epoch, final weights) — everything a user waits for.
// With several threads the peer is given them at its best (see --threads below): torch's OpenMP threads spin at every
// parallel region of a batch-60 step; on a loaded 2-core machine that made 2 intra-op threads 20–30× slower than 1,
// while 1 intra-op + 2 OpenBLAS threads was the fastest.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkArgs, median, pythonWithTorch, ratio } from './util.js';

const USAGE = `Usage: node dist/bench/lottery.js [--levels 15] [--iterations 1000] [--eval-every 100] [--repeats 1] [--json]
         [--controls reinit,random-prune] [--workers 1] [--threads 1] [--peer-config INTRA,BLAS[,passive]]
         [--full] [--validation 2000]
A whole winnow lottery run (LeNet-300-100, layer-wise IMP, rewind to init; the whole process with its
experiment store) against the PyTorch peer (bench/pytorch_lottery.py, masked dense, loop only), interleaved.
  --levels N           pruning levels after the dense one (default 15)
  --iterations N       training iterations per level (default 1000)
  --eval-every N       evaluation interval in iterations (default 100)
  --repeats N          interleaved repeats, medians (default 1)
  --controls LIST      control branches, comma-separated: reinit, random-prune (default none)
  --workers N          winnow's independent jobs on N threads (default 1)
  --threads N          PyTorch's threads; with N > 1 a short calibration (300 steps of the peer, twice,
                       interleaved) times torch intra-op threads, OpenBLAS threads, both, and both with
                       OMP_WAIT_POLICY=PASSIVE, and the run uses the fastest (default 1)
  --peer-config INTRA,BLAS[,passive]
                       the peer's threads as given, skipping the calibration (default: calibrated)
  --full               all of Fashion-MNIST (Debian's copy, /usr/share/datasets/fashion-mnist) instead of
                       the embedded subset (default off)
  --validation N       validation examples held out of the training set (default 2000)
  --json               print the results as JSON (default off)
  -h, --help           print this and exit`;
checkArgs('lottery', USAGE);

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

/** One way of giving the peer its threads: torch intra-op threads, OpenBLAS threads, OpenMP waiting passively. */
interface PeerConfig { intra: number; blas: number; passive: boolean }
const describeConfig = (c: PeerConfig): string => `${c.intra} intra-op, ${c.blas} OpenBLAS${c.passive ? ', OMP_WAIT_POLICY=PASSIVE' : ''}`;

function runPeer(c: PeerConfig, args: { levels: number; iterations: number; evalEvery: number; seed: number; controls: string }): { seconds: number; accuracy: number[] } {
  if (!python.ok) throw new Error('no peer');
  const env: NodeJS.ProcessEnv = { ...python.env, OPENBLAS_NUM_THREADS: String(c.blas), OMP_NUM_THREADS: String(c.intra) };
  if (c.passive) env['OMP_WAIT_POLICY'] = 'PASSIVE';
  else delete env['OMP_WAIT_POLICY'];
  const p = spawnSync(python.exe, [script, '--data', dataDir, '--levels', String(args.levels), '--iterations', String(args.iterations),
    '--eval-every', String(args.evalEvery), '--validation', String(validation), '--seed', String(args.seed), '--controls', args.controls, '--threads', String(c.intra)],
  { encoding: 'utf8', env });
  if (p.status !== 0) throw new Error(`pytorch_lottery.py failed: ${p.stderr || p.stdout}`);
  return JSON.parse(p.stdout.trim().split('\n').pop()!);
}

function peerConfig(): { config: PeerConfig; calibration: Array<{ config: string; seconds: number }> } {
  const given = str('--peer-config', '');
  if (given) {
    const [intra, blas, passive] = given.split(',');
    return { config: { intra: Number(intra), blas: Number(blas), passive: passive === 'passive' }, calibration: [] };
  }
  if (threads <= 1 || !python.ok) return { config: { intra: 1, blas: 1, passive: false }, calibration: [] };
  const candidates: PeerConfig[] = [
    { intra: 1, blas: threads, passive: false }, { intra: threads, blas: 1, passive: false },
    { intra: threads, blas: threads, passive: false }, { intra: threads, blas: threads, passive: true },
  ];
  const steps = Math.min(300, iterations);
  const best = candidates.map(() => Infinity);
  for (let round = 0; round < 2; round++) {
    candidates.forEach((c, i) => { best[i] = Math.min(best[i]!, runPeer(c, { levels: 0, iterations: steps, evalEvery: Math.min(evalEvery, steps), seed: 0, controls: '' }).seconds); });
  }
  const calibration = candidates.map((c, i) => ({ config: describeConfig(c), seconds: best[i]! }));
  const fastest = best.indexOf(Math.min(...best));
  return { config: candidates[fastest]!, calibration };
}

const peer = peerConfig();
if (!json && peer.calibration.length) {
  console.log(`PyTorch peer calibration, ${Math.min(300, iterations)} steps (best of 2): ${peer.calibration.map((c) => `${c.config} ${c.seconds.toFixed(2)} s`).join('; ')}`);
}
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
    const out = runPeer(peer.config, { levels, iterations, evalEvery, seed: rep, controls: controls === 'none' ? '' : controls });
    torch.push(out.seconds);
    torchAcc = out.accuracy;
  }
}
const w = median(winnow), t = torch.length ? median(torch) : NaN;
const result = { benchmark: 'lottery-run', dataset: full ? 'fashion-mnist' : 'fashion-mnist-mini', controls, winnowWorkers: workers, torchThreads: threads, peerConfig: describeConfig(peer.config), peerCalibration: peer.calibration, levels, iterations, evalEvery, repeats, winnowSeconds: w, torchSeconds: t, winnowOverTorch: ratio(w, t), winnowAccuracy: winnowAcc, torchAccuracy: torchAcc };
if (json) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`lottery run: LeNet-300-100 on ${result.dataset}, ${levels + 1} levels × ${iterations} iterations, eval every ${evalEvery}, controls ${controls}; winnow ${workers} worker thread(s), PyTorch ${threads} thread(s) (${describeConfig(peer.config)}); median of ${repeats}`);
  console.log(`winnow ${w.toFixed(1)} s (whole process)   PyTorch masked dense ${t.toFixed(1)} s (loop only)   winnow/PyTorch ${result.winnowOverTorch.toFixed(3)}`);
  console.log(`accuracy at early stop, first/last level: winnow ${(100 * winnowAcc[0]!).toFixed(2)}% / ${(100 * winnowAcc[winnowAcc.length - 1]!).toFixed(2)}%, PyTorch ${torchAcc.length ? `${(100 * torchAcc[0]!).toFixed(2)}% / ${(100 * torchAcc[torchAcc.length - 1]!).toFixed(2)}%` : '—'}`);
}
