// Where a GPT training iteration spends its time: every backend kernel call is timed (process CPU
// time, so waits on a loaded machine do not count) and summed per kernel; what remains of the
// iteration is JavaScript (embedding gather/scatter, clipping's norm, glue). The timing's own cost
// (≈ 4 µs per call, calibrated on an empty function) is taken out of both and shown on its own line. Forward, backward,
// clipping and AdamW as bench/gpt.ts.
import { getBackend } from '../src/backend/index.js';
import type { Backend } from '../src/backend/backend.js';
import { buildGpt, gptConfig } from '../src/models/gpt.js';
import { AdamW, clipGradNorm } from '../src/optim/adamw.js';
import { Rng } from '../src/util/rng.js';
import { checkArgs } from './util.js';

const USAGE = `Usage: node dist/bench/gpt-profile.js [--model gpt:4-4-128-64] [--batch 12] [--steps 20] [--density 1]
Where a GPT training iteration (forward, backward, clipping, AdamW; one thread) spends its time: process CPU
ms per iteration of every backend kernel, clipping, the rest (JavaScript) and the profile's own timing cost.
  --model SPEC    the GPT (default gpt:4-4-128-64)
  --batch N       sequences per iteration (default 12)
  --steps N       timed iterations, after 3 untimed (default 20)
  --density D     weight-matrix density, < 1 for masked sparse storage (default 1: dense)
  -h, --help      print this and exit`;
checkArgs('gpt-profile', USAGE);

const argv = process.argv.slice(2);
const opt = (name: string, def: string): string => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1]! : def; };
const spec = opt('--model', 'gpt:4-4-128-64'), B = Number(opt('--batch', '12')), steps = Number(opt('--steps', '20')), density = Number(opt('--density', '1'));
const cpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const raw = getBackend('native', { warn: (m) => console.error(m) });
const perKernel = new Map<string, number>(), calls = new Map<string, number>();
const timed = <T extends object>(target: T): T => new Proxy(target, {
  get(t, key: string) {
    const f = (t as unknown as Record<string, unknown>)[key];
    if (typeof f !== 'function') return f;
    return (...args: unknown[]) => {
      const c = cpu(); const r = f.apply(t, args);
      perKernel.set(key, (perKernel.get(key) ?? 0) + cpu() - c); calls.set(key, (calls.get(key) ?? 0) + 1);
      return r;
    };
  },
});
const be = timed(raw) as Backend;
// The timing itself costs (two process.cpuUsage() calls and the proxy per kernel call): measured on an empty
// function, part inside each kernel's figure and the rest outside, where it would read as JavaScript.
const probe = timed({ noop: (..._a: unknown[]): number => 0 });
for (let i = 0; i < 2000; i++) probe.noop(1, 2, 3);
perKernel.clear(); calls.clear();
const p0 = cpu(), probes = 20000;
for (let i = 0; i < probes; i++) probe.noop(1, 2, 3, 4, 5, 6, 7, 8, 9);
const perCall = (cpu() - p0) / probes, inside = perKernel.get('noop')! / probes;
perKernel.clear(); calls.clear();

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
perKernel.clear(); calls.clear(); clip = 0;
const c0 = cpu(), t0 = performance.now();
for (let i = 0; i < steps; i++) one();
const total = (cpu() - c0) / steps, wall = (performance.now() - t0) / steps;
// each kernel's figure less the timing's inside part; the timing's whole cost on a line of its own
const rows = [...perKernel].map(([k, v]) => [k, Math.max(0, v - inside * calls.get(k)!) / steps] as const).sort((a, b) => b[1] - a[1]);
const kernels = rows.reduce((a, [, v]) => a + v, 0);
const nCalls = [...calls.values()].reduce((a, b) => a + b, 0) / steps, overhead = nCalls * perCall;
console.log(`${spec}, batch ${B}, density ${density}: ${total.toFixed(1)} ms CPU per iteration (wall ${wall.toFixed(1)} ms), ${nCalls.toFixed(0)} kernel calls`);
for (const [k, v] of rows) console.log(`  ${k.padEnd(26)} ${v.toFixed(2).padStart(7)} ms  ${(100 * v / total).toFixed(1).padStart(5)}%`);
console.log(`  ${'clipGradNorm (JS)'.padEnd(26)} ${(clip / steps).toFixed(2).padStart(7)} ms  ${(100 * clip / steps / total).toFixed(1).padStart(5)}%`);
const rest = total - kernels - clip / steps - overhead;
console.log(`  ${'rest (JS)'.padEnd(26)} ${rest.toFixed(2).padStart(7)} ms  ${(100 * rest / total).toFixed(1).padStart(5)}%`);
console.log(`  ${'timing (this profile)'.padEnd(26)} ${overhead.toFixed(2).padStart(7)} ms  ${(100 * overhead / total).toFixed(1).padStart(5)}%  (${(1000 * perCall).toFixed(1)} µs per call; not in an untimed iteration)`);
