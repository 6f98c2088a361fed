// GPT training speed: time per iteration (forward, backward, clipping, AdamW) of winnow dense, winnow
// with every weight matrix masked to a density (sparse storage), and the PyTorch peer
// (bench/pytorch_gpt.py bench: one torch thread, one OpenBLAS thread), same configuration, interleaved
// repeats in one run; medians, and the ratios winnow/PyTorch and dense/sparse. Wall time is the
// figure; CPU time (process time of each side's loop) is printed beside it because other work on a
// loaded machine inflates wall time unevenly.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { getBackend } from '../src/backend/index.js';
import { buildGpt, gptConfig } from '../src/models/gpt.js';
import { AdamW, clipGradNorm } from '../src/optim/adamw.js';
import { Rng } from '../src/util/rng.js';
import { checkArgs, median, pythonWithTorch, ratio } from './util.js';

const USAGE = `Usage: node dist/bench/gpt.js [--model gpt:4-4-128-64] [--batch 12] [--steps 20] [--repeats 5] [--density 0.1] [--json]
GPT training speed (ms per iteration: forward, backward, clipping, AdamW; one thread each): winnow dense,
winnow with every weight matrix masked to --density, and the PyTorch peer (bench/pytorch_gpt.py), interleaved
repeats; medians of wall and CPU time, winnow/PyTorch and dense/sparse.
  --model SPEC    the GPT (default gpt:4-4-128-64)
  --batch N       sequences per iteration (default 12)
  --steps N       timed iterations per run, after 3 untimed (default 20)
  --repeats N     interleaved repeats (default 5)
  --density D     density of the sparse winnow run; 1 skips it (default 0.1)
  --json          print the results as JSON (default off)
  -h, --help      print this and exit`;
checkArgs('gpt', USAGE);

const argv = process.argv.slice(2);
const opt = (name: string, def: string): string => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1]! : def; };
const spec = opt('--model', 'gpt:4-4-128-64'), batch = Number(opt('--batch', '12')), steps = Number(opt('--steps', '20'));
const repeats = Number(opt('--repeats', '5')), density = Number(opt('--density', '0.1')), json = argv.includes('--json');
const be = getBackend('native', { warn: (m) => console.error(m) });
const python = pythonWithTorch();
if (!python.ok) console.error(`PyTorch peer unavailable: ${python.reason}`);
const script = fileURLToPath(new URL('../../bench/pytorch_gpt.py', import.meta.url));
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

interface Timing { ms: number; cpuMs: number }

function winnow(d: number, seed: number): Timing {
  const cfg = gptConfig(spec, 65), T = cfg.context;
  const model = buildGpt(cfg, { seed, density: d });
  const params = model.params(), optim = new AdamW(params, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 });
  const rng = new Rng(seed), x = new Int32Array(batch * T), y = new Int32Array(batch * T);
  const one = (): void => {
    for (let i = 0; i < x.length; i++) { x[i] = rng.int(65); y[i] = rng.int(65); }
    model.lossAndGrad(be, x, y, batch, T); clipGradNorm(params, 1); optim.update(be, 1e-3);
  };
  for (let i = 0; i < 3; i++) one();
  const t0 = performance.now(), c0 = cpuMs();
  for (let i = 0; i < steps; i++) one();
  return { ms: (performance.now() - t0) / steps, cpuMs: (cpuMs() - c0) / steps };
}

function torch(seed: number): Timing & { info: string } {
  const p = spawnSync(python.ok ? python.exe : 'python3', [script, 'bench', '--model', spec, '--batch', String(batch), '--steps', String(steps), '--seed', String(seed)], { encoding: 'utf8', env: python.ok ? python.env : process.env });
  if (p.status !== 0) throw new Error(`pytorch_gpt.py failed: ${p.stderr || p.stdout}`);
  const o = JSON.parse(p.stdout.trim().split('\n').pop()!);
  return { ms: o.msPerIteration, cpuMs: o.cpuMsPerIteration, info: `PyTorch ${o.torch}, ${o.threads} thread` };
}

const runs: { dense: Timing[]; sparse: Timing[]; torch: Timing[] } = { dense: [], sparse: [], torch: [] };
let info = '';
const load0 = loadavg()[0]!;
for (let r = 0; r < repeats; r++) {
  runs.dense.push(winnow(1, r));
  if (density < 1) runs.sparse.push(winnow(density, r));
  if (python.ok) { const t = torch(r); runs.torch.push(t); info = t.info; }
  if (!json) console.error(`repeat ${r + 1}/${repeats}: dense ${runs.dense[r]!.ms.toFixed(1)} ms` + (density < 1 ? `, ${density} ${runs.sparse[r]!.ms.toFixed(1)} ms` : '') + (python.ok ? `, PyTorch ${runs.torch[r]!.ms.toFixed(1)} ms` : ''));
}
const med = (ts: Timing[], k: keyof Timing): number => (ts.length ? median(ts.map((t) => t[k])) : NaN);
const out = {
  model: spec, batch, steps, repeats, density,
  winnowMs: med(runs.dense, 'ms'), sparseMs: med(runs.sparse, 'ms'), torchMs: med(runs.torch, 'ms'),
  winnowCpuMs: med(runs.dense, 'cpuMs'), sparseCpuMs: med(runs.sparse, 'cpuMs'), torchCpuMs: med(runs.torch, 'cpuMs'),
  winnowOverTorch: ratio(med(runs.dense, 'ms'), med(runs.torch, 'ms')),
  winnowOverTorchCpu: ratio(med(runs.dense, 'cpuMs'), med(runs.torch, 'cpuMs')),
  denseOverSparse: ratio(med(runs.dense, 'ms'), med(runs.sparse, 'ms')),
  denseOverSparseCpu: ratio(med(runs.dense, 'cpuMs'), med(runs.sparse, 'cpuMs')),
  iterationsPerSecond: { winnow: 1000 / med(runs.dense, 'ms'), torch: 1000 / med(runs.torch, 'ms') },
  loadAverage: { start: load0, end: loadavg()[0]! },
  backend: `${be.name} (${be.detail})`, peer: info || null, runs,
};
if (json) console.log(JSON.stringify(out, null, 2));
else {
  const f = (v: number): string => v.toFixed(1);
  console.log(`${spec}, batch ${batch}, ${steps} iterations × ${repeats} interleaved repeats (medians); winnow ${out.backend} vs ${info || 'PyTorch (missing)'}; load average ${load0.toFixed(1)} → ${out.loadAverage.end.toFixed(1)}`);
  console.log(`ms/iteration wall (cpu): winnow dense ${f(out.winnowMs)} (${f(out.winnowCpuMs)}), PyTorch ${f(out.torchMs)} (${f(out.torchCpuMs)})` + (density < 1 ? `, winnow at density ${density} ${f(out.sparseMs)} (${f(out.sparseCpuMs)})` : ''));
  console.log(`winnow/PyTorch ${out.winnowOverTorch.toFixed(3)} (cpu ${out.winnowOverTorchCpu.toFixed(3)}); iterations/s winnow ${out.iterationsPerSecond.winnow.toFixed(2)}, PyTorch ${out.iterationsPerSecond.torch.toFixed(2)}`);
  if (density < 1) console.log(`dense/sparse ${out.denseOverSparse.toFixed(2)}× (cpu ${out.denseOverSparseCpu.toFixed(2)}×)`);
}
