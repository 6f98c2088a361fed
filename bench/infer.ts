// Inference benchmark: LeNet-300-100 (784-300-100-10) with random masks at 100/20/5/2% density,
//   winnow sparse  every layer in CSR: a prepared net, one native call per forward (gathered CSR
//                  mat-vec at batch 1, SpMM above), what `winnow infer` runs below the sparse threshold
//   winnow dense   every layer dense (masked weights as zeros), prepared: GEMV at batch 1, GEMM above
//   ORT sync       onnxruntime-node, dense ONNX export of the same weights, synchronous binding
//   ORT await      onnxruntime-node, public `await session.run()`
// one thread each, interleaved in rounds in one process: batch-1 latency (median µs per call) and
// batch-64 throughput (samples/s from the median time per call). Inputs start row-major [n × 784] for
// every runtime (winnow's timing includes gathering them into its batch-last layout).
// Then file bytes per density with the smallest encoding for fp32, int8 and nvfp4 values, against the
// fp32 dense file.
import { cpus } from 'node:os';
import { getBackend } from '../src/backend/index.js';
import type { InferenceNet } from '../src/backend/backend.js';
import { exportOnnx } from '../src/io/onnx.js';
import { planModel, type ModelInfo } from '../src/io/model-io.js';
import { buildModel } from '../src/models/build.js';
import type { Sequential } from '../src/nn/sequential.js';
import { randomMask } from '../src/prune/random.js';
import { Rng } from '../src/util/rng.js';
import { loadOrt, ortSession, type OrtSession } from './ort.js';
import { checkArgs, median } from './util.js';

const USAGE = `Usage: node dist/bench/infer.js [--rounds 15] [--json]
LeNet-300-100 inference with random masks at 100/20/5/2% density, one thread each, interleaved rounds: winnow
sparse (CSR) and dense prepared nets against onnxruntime-node (sync and await) on the dense ONNX export; batch-1
latency and batch-64 throughput, then file bytes per density and value encoding.
  --rounds N    interleaved rounds (default 15)
  --json        print the results as JSON (default off)
  -h, --help    print this and exit`;
checkArgs('infer', USAGE);

const DENSITIES = [1, 0.2, 0.05, 0.02];
const FEAT = 784, CLASSES = 10, BIG = 64;
const INFO: ModelInfo = { spec: 'lenet300', inputShape: [1, 28, 28], classes: CLASSES };

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf('--rounds') + 1] ?? 0) || 15;
const asJson = args.includes('--json');

type Impl = 'winnow sparse' | 'winnow dense' | 'ORT sync' | 'ORT await';

interface Case {
  density: number;
  sparse: Sequential;
  dense: Sequential;
  /** Prepared forwards (validated once; one native call per forward), as `winnow infer` runs them. */
  sparseNet: InferenceNet;
  denseNet: InferenceNet;
  ort: OrtSession | null;
}

function models(density: number, seed: number): { sparse: Sequential; dense: Sequential } {
  const rng = new Rng(seed);
  const sparse = buildModel('lenet300', [1, 28, 28], CLASSES, rng, { storage: 'sparse' });
  const dense = buildModel('lenet300', [1, 28, 28], CLASSES, new Rng(0), { storage: 'dense' });
  const maskRng = rng.stream('bench-mask');
  sparse.weightLayers().forEach((l, i) => {
    const w = l.weights.toDense();
    const mask = density < 1 ? randomMask(w.length, density, maskRng) : null;
    for (let k = 0; k < l.bias.length; k++) l.bias[k] = 0.01 * ((k % 7) - 3);
    l.setWeights(w, mask);
    const d = dense.weightLayers()[i]!;
    d.setWeights(w, mask);
    d.bias.set(l.bias);
  });
  return { sparse, dense };
}

async function main(): Promise<void> {
  const be = getBackend('native', { warn: (m) => process.stderr.write(m + '\n') });
  const loaded = await loadOrt();
  if (!loaded.ok) process.stderr.write(`bench/infer: ${loaded.reason}; ORT columns will be empty\n`);
  const rng = new Rng(12345);
  const input = new Float32Array(BIG * FEAT);
  for (let i = 0; i < input.length; i++) input[i] = rng.next();
  const x = new Float32Array(FEAT * BIG);
  const idx = Int32Array.from({ length: BIG }, (_, i) => i);

  const cases: Case[] = [];
  for (const d of DENSITIES) {
    const m = models(d, 7);
    const ort = loaded.ok ? await ortSession(loaded.ort, loaded.version, exportOnnx(m.dense)) : null;
    cases.push({ density: d, ...m, sparseNet: m.sparse.prepareInference(be), denseNet: m.dense.prepareInference(be), ort });
  }

  const logits = new Float32Array(CLASSES * BIG);
  const winnowRun = (net: InferenceNet, n: number): Float32Array => {
    be.gatherColumns(input, FEAT, idx.subarray(0, n), n, x);
    net.forward(x, n, logits);
    return logits;
  };

  // Same outputs? (winnow is batch-last [classes × n], ORT row-major [n × classes])
  const agreement: Array<{ density: number; sparseVsDense: number; sparseVsOrt: number | null }> = [];
  for (const c of cases) {
    const a = Float32Array.from(winnowRun(c.sparseNet, BIG).subarray(0, CLASSES * BIG));
    const b = winnowRun(c.denseNet, BIG);
    let sd = 0, so = 0;
    for (let i = 0; i < CLASSES * BIG; i++) sd = Math.max(sd, Math.abs(a[i]! - b[i]!));
    if (c.ort) {
      const o = c.ort.runSync(input, BIG, FEAT);
      for (let j = 0; j < BIG; j++) for (let k = 0; k < CLASSES; k++) so = Math.max(so, Math.abs(a[k * BIG + j]! - o[j * CLASSES + k]!));
    }
    agreement.push({ density: c.density, sparseVsDense: sd, sparseVsOrt: c.ort ? so : null });
  }

  const impls: Impl[] = ['winnow sparse', 'winnow dense', 'ORT sync', 'ORT await'];
  const samples = new Map<string, number[]>(); // key `${density}|${impl}|${n}` → µs per call, one per block
  const key = (d: number, impl: Impl, n: number) => `${d}|${impl}|${n}`;
  const block = async (c: Case, impl: Impl, n: number, calls: number): Promise<number> => {
    const t0 = performance.now();
    switch (impl) {
      case 'winnow sparse': for (let i = 0; i < calls; i++) winnowRun(c.sparseNet, n); break;
      case 'winnow dense': for (let i = 0; i < calls; i++) winnowRun(c.denseNet, n); break;
      case 'ORT sync': for (let i = 0; i < calls; i++) c.ort!.runSync(input, n, FEAT); break;
      case 'ORT await': for (let i = 0; i < calls; i++) await c.ort!.runAsync(input, n, FEAT); break;
    }
    return ((performance.now() - t0) * 1000) / calls;
  };
  // Warm-up, then interleaved rounds: every (density, impl, batch) once per round.
  for (const c of cases) for (const impl of impls) if (c.ort || !impl.startsWith('ORT')) { await block(c, impl, 1, 200); await block(c, impl, BIG, 10); }
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      for (const impl of impls) {
        if (!c.ort && impl.startsWith('ORT')) continue;
        for (const [n, calls] of [[1, 200], [BIG, 20]] as const) {
          const k = key(c.density, impl, n);
          if (!samples.has(k)) samples.set(k, []);
          samples.get(k)!.push(await block(c, impl, n, calls));
        }
      }
    }
  }
  const us = (d: number, impl: Impl, n: number): number => { const s = samples.get(key(d, impl, n)); return s ? median(s) : NaN; };

  const rows = cases.map((c) => {
    const lat = Object.fromEntries(impls.map((i) => [i, us(c.density, i, 1)])) as Record<Impl, number>;
    const thr = Object.fromEntries(impls.map((i) => [i, (BIG / us(c.density, i, BIG)) * 1e6])) as Record<Impl, number>;
    return { density: c.density, latencyUs: lat, throughput: thr };
  });

  // File bytes: smallest encoding per tensor for each value format, vs fp32 dense.
  const formats = ['fp32', 'int8-channel', 'nvfp4'] as const;
  const bytes = cases.map((c) => {
    const dense = planModel(c.sparse, INFO, { format: 'fp32', encoding: 'dense' }).bytes;
    const per = Object.fromEntries(formats.map((f) => {
      const p = planModel(c.sparse, INFO, { format: f, encoding: 'auto' });
      const enc = [...new Set(p.tensors.filter((t) => t.name.endsWith('.weight')).map((t) => t.encoding))].join('/');
      return [f, { bytes: p.bytes, ofDense: p.bytes / dense, encoding: enc }];
    }));
    return { density: c.density, fp32DenseBytes: dense, formats: per as Record<(typeof formats)[number], { bytes: number; ofDense: number; encoding: string }> };
  });

  const env = {
    cpu: cpus()[0]?.model ?? 'unknown', node: process.version, winnow: `${be.name} (${be.detail})`,
    onnxruntime: loaded.ok ? `onnxruntime-node ${loaded.version}, intraOpNumThreads 1, interOpNumThreads 1, sequential, graphOptimizationLevel all` : loaded.reason,
    rounds, blocks: 'batch 1: 200 calls per block; batch 64: 20 calls per block; median over rounds',
  };
  for (const c of cases) await c.ort?.dispose();
  if (asJson) { process.stdout.write(JSON.stringify({ env, agreement, rows, bytes }, null, 2) + '\n'); return; }

  const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '–');
  const fx = (v: number) => (Number.isFinite(v) ? v.toFixed(1) + '×' : '–');
  const k = (v: number) => (Number.isFinite(v) ? Math.round(v / 1000) + 'k' : '–');
  console.log(`LeNet-300-100 inference, one thread each — ${env.cpu}, node ${env.node}`);
  console.log(`winnow ${env.winnow}; ${env.onnxruntime}; ${rounds} interleaved rounds`);
  console.log('\nbatch 1 latency (median µs per call) and batch 64 throughput (samples/s)');
  console.log('density | sparse µs | dense µs | ORT sync µs | ORT await µs | sparse vs ORT sync | vs ORT await | vs winnow dense || sparse /s | dense /s | ORT sync /s | sparse vs ORT sync | vs winnow dense');
  for (const r of rows) {
    const L = r.latencyUs, T = r.throughput;
    console.log([`${(100 * r.density).toFixed(0)}%`, f1(L['winnow sparse']), f1(L['winnow dense']), f1(L['ORT sync']), f1(L['ORT await']),
      fx(L['ORT sync'] / L['winnow sparse']), fx(L['ORT await'] / L['winnow sparse']), fx(L['winnow dense'] / L['winnow sparse']),
      k(T['winnow sparse']), k(T['winnow dense']), k(T['ORT sync']), fx(T['winnow sparse'] / T['ORT sync']), fx(T['winnow sparse'] / T['winnow dense'])].join(' | '));
  }
  console.log('\nfile bytes (smallest encoding per tensor) vs the fp32 dense file');
  for (const b of bytes) {
    console.log(`${(100 * b.density).toFixed(0)}%: fp32 dense ${b.fp32DenseBytes} B; ` + formats.map((f) => `${f} ${b.formats[f].bytes} B = ${(100 * b.formats[f].ofDense).toFixed(2)}% (${b.formats[f].encoding})`).join('; '));
  }
  console.log('\nmax |Δlogit|: ' + agreement.map((a) => `${(100 * a.density).toFixed(0)}%: sparse vs dense ${a.sparseVsDense.toExponential(1)}, vs ORT ${a.sparseVsOrt === null ? '–' : a.sparseVsOrt.toExponential(1)}`).join('; '));
}

await main();
