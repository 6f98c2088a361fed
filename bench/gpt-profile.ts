// Where a GPT training iteration spends its time: every backend kernel call is timed (process CPU
// time, so waits on a loaded machine do not count) and summed per kernel; what remains of the
// iteration is JavaScript (embedding gather/scatter, clipping's norm, glue). Forward, backward,
// clipping and AdamW as bench/gpt.ts.
// Usage: node dist/bench/gpt-profile.js [--model gpt:4-4-128-64] [--batch 12] [--steps 20] [--density 1]
import { getBackend } from '../src/backend/index.js';
import type { Backend } from '../src/backend/backend.js';
import { buildGpt, gptConfig } from '../src/models/gpt.js';
import { AdamW, clipGradNorm } from '../src/optim/adamw.js';
import { Rng } from '../src/util/rng.js';

const argv = process.argv.slice(2);
const opt = (name: string, def: string): string => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1]! : def; };
const spec = opt('--model', 'gpt:4-4-128-64'), B = Number(opt('--batch', '12')), steps = Number(opt('--steps', '20')), density = Number(opt('--density', '1'));
const cpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const raw = getBackend('native', { warn: (m) => console.error(m) });
const perKernel = new Map<string, number>();
const be = new Proxy(raw, {
  get(target, key: string) {
    const f = (target as unknown as Record<string, unknown>)[key];
    if (typeof f !== 'function') return f;
    return (...args: unknown[]) => { const c = cpu(); const r = f.apply(target, args); perKernel.set(key, (perKernel.get(key) ?? 0) + cpu() - c); return r; };
  },
}) as Backend;

const cfg = gptConfig(spec, 65), T = cfg.context;
const model = buildGpt(cfg, { seed: 0, density });
const params = model.params(), optim = new AdamW(params, { beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.1 });
const rng = new Rng(0), x = new Int32Array(B * T), y = new Int32Array(B * T);
let clip = 0;
const one = (): void => {
  for (let i = 0; i < x.length; i++) { x[i] = rng.int(65); y[i] = rng.int(65); }
  model.lossAndGrad(be, x, y, B, T);
  const c = cpu(); clipGradNorm(params, 1); clip += cpu() - c;
  optim.update(be, 1e-3);
};
for (let i = 0; i < 3; i++) one();
perKernel.clear(); clip = 0;
const c0 = cpu(), t0 = performance.now();
for (let i = 0; i < steps; i++) one();
const total = (cpu() - c0) / steps, wall = (performance.now() - t0) / steps;
const rows = [...perKernel].map(([k, v]) => [k, v / steps] as const).sort((a, b) => b[1] - a[1]);
const kernels = rows.reduce((a, [, v]) => a + v, 0);
console.log(`${spec}, batch ${B}, density ${density}: ${total.toFixed(1)} ms CPU per iteration (wall ${wall.toFixed(1)} ms; timing each call adds a little)`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(26)} ${v.toFixed(2).padStart(7)} ms  ${(100 * v / total).toFixed(1).padStart(5)}%`);
console.log(`  ${'clipGradNorm (JS)'.padEnd(26)} ${(clip / steps).toFixed(2).padStart(7)} ms  ${(100 * clip / steps / total).toFixed(1).padStart(5)}%`);
const rest = total - kernels - clip / steps;
console.log(`  ${'rest (JS)'.padEnd(26)} ${rest.toFixed(2).padStart(7)} ms  ${(100 * rest / total).toFixed(1).padStart(5)}%`);
