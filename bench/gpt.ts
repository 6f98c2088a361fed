// GPT training speed: time per iteration (forward, backward, clipping, AdamW) of winnow against the
// PyTorch peer (bench/pytorch_gpt.py bench, one torch thread, one BLAS thread), same configuration,
// interleaved repeats in one run; optionally winnow with every matrix masked to a density.
// Usage: node dist/bench/gpt.js [--model gpt:4-4-128-64] [--batch 12] [--steps 20] [--repeats 3] [--density 0.1] [--json]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { getBackend } from '../src/backend/index.js';
import { buildGpt, gptConfig } from '../src/models/gpt.js';
import { AdamW, clipGradNorm } from '../src/optim/adamw.js';
import { Rng } from '../src/util/rng.js';
import { median, pythonWithTorch, ratio } from './util.js';

const argv = process.argv.slice(2);
const opt = (name: string, def: string): string => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1]! : def; };
const spec = opt('--model', 'gpt:4-4-128-64'), batch = Number(opt('--batch', '12')), steps = Number(opt('--steps', '20'));
const repeats = Number(opt('--repeats', '3')), density = Number(opt('--density', '1')), json = argv.includes('--json');
const be = getBackend('native', { warn: (m) => console.error(m) });
const python = pythonWithTorch();
if (!python.ok) console.error(`PyTorch peer unavailable: ${python.reason}`);
const script = fileURLToPath(new URL('../../bench/pytorch_gpt.py', import.meta.url));

function winnowMs(d: number, seed: number): number {
  const cfg = gptConfig(spec, 65), T = cfg.context;
  const model = buildGpt(cfg, { seed, density: d });
  const params = model.params(), optim = new AdamW(params, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 });
  const rng = new Rng(seed), x = new Int32Array(batch * T), y = new Int32Array(batch * T);
  const one = (): void => {
    for (let i = 0; i < x.length; i++) { x[i] = rng.int(65); y[i] = rng.int(65); }
    model.lossAndGrad(be, x, y, batch, T); clipGradNorm(params, 1); optim.update(be, 1e-3);
  };
  for (let i = 0; i < 3; i++) one();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) one();
  return (performance.now() - t0) / steps;
}

const w: number[] = [], ws: number[] = [], t: number[] = [];
let info = '';
for (let r = 0; r < repeats; r++) {
  w.push(winnowMs(1, r));
  if (density < 1) ws.push(winnowMs(density, r));
  if (python.ok) {
    const p = spawnSync(python.exe, [script, 'bench', '--model', spec, '--batch', String(batch), '--steps', String(steps), '--seed', String(r)], { encoding: 'utf8', env: python.env });
    if (p.status !== 0) throw new Error(`pytorch_gpt.py failed: ${p.stderr || p.stdout}`);
    const o = JSON.parse(p.stdout.trim().split('\n').pop()!);
    t.push(o.msPerIteration); info = `torch ${o.torch}, ${o.threads} thread`;
  }
}
const row = { model: spec, batch, steps, repeats, winnowMs: median(w), torchMs: t.length ? median(t) : NaN, ...(density < 1 ? { density, sparseMs: median(ws) } : {}) };
const out = { ...row, winnowOverTorch: ratio(row.winnowMs, row.torchMs), ...(density < 1 ? { denseOverSparse: ratio(row.winnowMs, median(ws)) } : {}), backend: `${be.name} (${be.detail})`, peer: info || null };
if (json) console.log(JSON.stringify(out, null, 2));
else {
  console.log(`${spec}, batch ${batch}, ${steps} iterations × ${repeats} interleaved repeats (medians); winnow ${out.backend} vs ${info || 'PyTorch (missing)'}`);
  console.log(`winnow ${row.winnowMs.toFixed(1)} ms/iteration, PyTorch ${row.torchMs.toFixed(1)} ms/iteration: winnow/PyTorch ${out.winnowOverTorch.toFixed(3)}`);
  if (density < 1) console.log(`winnow at density ${density}: ${median(ws).toFixed(1)} ms/iteration, ${(row.winnowMs / median(ws)).toFixed(2)}× faster than dense`);
}
