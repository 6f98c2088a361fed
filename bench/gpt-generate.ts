// Batch-1 generation speed of the GPT: tokens per second, interleaved in rounds in one process (medians;
// each round starts one variant later):
//   dense          winnow, key/value cache, every matrix dense
//   50% unstr.     block matrices magnitude-pruned to 50% per matrix (formats chosen by the decoder: timed on
//                  this machine, src/nn/gpt/format-choice.ts; the run prints the choice)
//   50% forced X   the same weights forced into format X (csr, bitmap, dense, sell)
//   2:4            block matrices magnitude-pruned 2:4 (chosen formats; forced bitmap beside it)
//   90% unstr.     block matrices magnitude-pruned to 10% per matrix (chosen formats; forced CSR, bitmap, sell)
//   dense, no cache  winnow recomputing the whole window every token (as the ONNX graph runs)
//   ORT            onnxruntime-node 1 thread on the dense ONNX export (src/io/onnx-gpt.ts), which has no
//                  key/value cache inputs: every token reruns the window (synchronous binding)
// Embeddings and the (tied) head stay dense, as one-shot LLM pruning leaves them. Each run generates
// --tokens tokens greedily after a 1-token prompt; time per run includes nothing but the steps.
import { createRequire } from 'node:module';
import { getBackend } from '../src/backend/index.js';
import type { Backend, DecoderFormat } from '../src/backend/backend.js';
import { loadLm } from '../src/io/lm-io.js';
import { exportGptOnnx } from '../src/io/onnx-gpt.js';
import { buildGpt, gptConfig } from '../src/models/gpt.js';
import { GptDecoder, type FormatChoice } from '../src/nn/gpt/decode.js';
import { generateTokens } from '../src/nn/gpt/generate.js';
import type { Gpt } from '../src/nn/gpt/model.js';
import { pruneToDensity } from '../src/prune/magnitude.js';
import { pruneNM } from '../src/prune/nm.js';
import { Rng } from '../src/util/rng.js';
import { loadOrt, ORT_OPTIONS } from './ort.js';
import { checkArgs, median } from './util.js';

const USAGE = `Usage: node dist/bench/gpt-generate.js [--model gpt:4-4-128-64 | --weights FILE] [--tokens N] [--rounds 5] [--min] [--cold] [--wall] [--kernels] [--json]
Batch-1 GPT generation speed, tokens/s, interleaved rounds in one process: winnow dense with its key/value
cache, magnitude-pruned to 50%, 2:4 and 90% (chosen and forced formats), dense without the cache, and
onnxruntime-node on the dense ONNX export.
  --model SPEC     the GPT, randomly initialized (default gpt:4-4-128-64)
  --weights FILE   a saved language model (winnow train … --save FILE) instead of --model, so the pruned
                   variants carry the masks magnitude pruning finds in trained weights (default: none)
  --tokens N       tokens generated per run after a 1-token prompt (default min(context − 1, 64), at most context − 1)
  --rounds N       interleaved rounds (default 5)
  --min            each variant's fastest round instead of the median (on a loaded machine the least disturbed run)
  --cold           time each variant's run right after the previous variant's (no untimed run of its own first)
  --wall           wall-clock time (default: this process's CPU time, user + system)
  --kernels        instead: batch-1 mat-vec µs per matrix shape of the model, format and density (the data
                   of the decoder's format rule, src/nn/gpt/decode.ts)
  --json           print the results as JSON (default off)
  -h, --help       print this and exit`;
checkArgs('gpt-generate', USAGE);

const argv = process.argv.slice(2);
const opt = (name: string, def: string): string => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1]! : def; };
const weightsFile = opt('--weights', '');
const loadedLm = weightsFile ? loadLm(weightsFile) : null;
const spec = loadedLm ? loadedLm.spec : opt('--model', 'gpt:4-4-128-64'), rounds = Number(opt('--rounds', '5')), json = argv.includes('--json');
const VOCAB = loadedLm ? loadedLm.config.vocab : 65;
const cfg = loadedLm ? loadedLm.config : gptConfig(spec, VOCAB);
const tokens = Math.min(Number(opt('--tokens', String(Math.min(cfg.context - 1, 64)))), cfg.context - 1);
const be = getBackend('native', { warn: (m) => console.error(m) });
// --wall: wall-clock seconds; default: this process's CPU seconds (user + system), which on a machine
// shared with other work counts only the time the process actually ran (every variant is one thread)
const wall = argv.includes('--wall');
const clock = (): number => { if (wall) return performance.now() / 1000; const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

type Prune = 'none' | '50%' | '2:4' | '90%';
function pruned(kind: Prune): Gpt {
  const m = loadedLm ? loadLm(weightsFile).model : buildGpt(cfg, { seed: 1, storage: 'dense' });
  if (kind === 'none') return m;
  for (const b of m.blocks) {
    for (const l of b.weightLayers()) {
      const w = l.weights.toDense(), { rows, cols } = l.weights, all = new Uint8Array(w.length).fill(1);
      const mask = kind === '2:4' ? pruneNM(w, all, rows, cols, 2, 4) : pruneToDensity(w, all, kind === '50%' ? 0.5 : 0.1, l.name);
      l.setWeights(w, mask);
    }
  }
  return m;
}

/** Seconds to generate `tokens` tokens greedily after token 0 (the decoder is prepared once, untimed). */
function winnowRun(model: Gpt, mode: 'cached' | 'full', formats: FormatChoice): () => number {
  const decoder = mode === 'cached' ? new GptDecoder(be, model, formats) : undefined;
  return () => {
    const t0 = clock();
    generateTokens(be, model, Int32Array.of(0), { tokens, temperature: 0, topK: 0, mode, ...(decoder ? { decoder } : {}) }, new Rng(0));
    return clock() - t0;
  };
}

interface SyncSession { run(feeds: Record<string, unknown>, fetches: Record<string, null>, options: object): Record<string, { data: Float32Array }> }
async function ortRun(model: Gpt): Promise<{ run: () => number; version: string } | { reason: string }> {
  const loaded = await loadOrt();
  if (!loaded.ok) return { reason: loaded.reason };
  const onnx = exportGptOnnx(model);
  const require = createRequire(import.meta.url);
  const bindingMod = require('onnxruntime-node/dist/binding.js') as { binding: { InferenceSession: new () => SyncSession & { loadModel(b: ArrayBuffer, o: number, l: number, opts: object): void } }; initOrt(): void };
  bindingMod.initOrt();
  const s = new bindingMod.binding.InferenceSession();
  s.loadModel(onnx.buffer as ArrayBuffer, onnx.byteOffset, onnx.byteLength, { ...ORT_OPTIONS });
  const seq = new BigInt64Array(tokens + 1);
  return {
    version: loaded.version,
    run: () => {
      const t0 = clock();
      for (let len = 1; len <= tokens; len++) {
        const logits = s.run({ tokens: new loaded.ort.Tensor('int64', seq.subarray(0, len), [1, len]) }, { logits: null }, {})['logits']!.data;
        let best = 0;
        for (let v = 1; v < VOCAB; v++) if (logits[(len - 1) * VOCAB + v]! > logits[(len - 1) * VOCAB + best]!) best = v;
        seq[len] = BigInt(best);
      }
      return clock() - t0;
    },
  };
}

function kernels(b: Backend): Array<Record<string, number | string>> {
  const D = cfg.dim, rng = new Rng(5), out: Array<Record<string, number | string>> = [];
  for (const [name, rows, cols] of [['c_attn', 3 * D, D], ['attn.c_proj', D, D], ['c_fc', 4 * D, D], ['mlp.c_proj', D, 4 * D]] as const) {
    const w = new Float32Array(rows * cols).map(() => rng.normal());
    const time = (m: Float32Array, f: DecoderFormat): number => {
      const p = b.prepareMatvec(f, rows, cols, m, null);
      const x = new Float32Array(cols).fill(0.5), y = new Float32Array(rows), reps = Math.max(50, Math.round(2e7 / (rows * cols)));
      const ts: number[] = [];
      for (let t = 0; t < 7; t++) { const t0 = clock(); for (let k = 0; k < reps; k++) p.forward(x, y); ts.push((clock() - t0) * 1e6 / reps); }
      return median(ts);
    };
    const at = (d: number): Float32Array => { const m = w.slice(); const mask = pruneToDensity(m, new Uint8Array(m.length).fill(1), d, name); return m.map((v, i) => (mask[i] ? v : 0)); };
    const nm = w.slice(), nmMask = pruneNM(nm, new Uint8Array(nm.length).fill(1), rows, cols, 2, 4);
    const w24 = nm.map((v, i) => (nmMask[i] ? v : 0));
    const row: Record<string, number | string> = { matrix: `${name} ${rows}×${cols}`, dense: time(w, 'dense'), '2:4': time(w24, '2:4'), 'bitmap 2:4': time(w24, 'bitmap') };
    for (const d of [0.7, 0.5, 0.3, 0.1, 0.05]) { const m = at(d); for (const f of ['csr', 'bitmap', 'sell'] as const) row[`${f} ${d}`] = time(m, f); }
    out.push(row);
  }
  return out;
}

async function main(): Promise<void> {
  if (argv.includes('--kernels')) {
    const rows = kernels(be);
    if (json) { console.log(JSON.stringify({ model: spec, backend: be.detail, microseconds: rows }, null, 2)); return; }
    console.log(`${spec}: batch-1 mat-vec µs (median of 7, ${wall ? 'wall' : 'process CPU'} time), ${be.name} ${be.detail}`);
    for (const r of rows) console.log(Object.entries(r).map(([k, v]) => `${k} ${typeof v === 'number' ? v.toFixed(1) : v}`).join(' | '));
    return;
  }
  const dense = pruned('none'), half = pruned('50%');
  const variants: Array<{ name: string; run: () => number; formats?: Record<string, number> }> = [];
  const add = (name: string, model: Gpt, mode: 'cached' | 'full', formats: FormatChoice = 'auto'): void => {
    const f: Record<string, number> = {};
    if (mode === 'cached') for (const m of new GptDecoder(be, model, formats).matrices()) f[m.format] = (f[m.format] ?? 0) + 1;
    variants.push({ name, run: winnowRun(model, mode, formats), ...(mode === 'cached' ? { formats: f } : {}) });
  };
  add('dense', dense, 'cached');
  add('50% unstructured', half, 'cached');
  add('50% forced CSR', half, 'cached', 'csr');
  add('50% forced bitmap', half, 'cached', 'bitmap');
  add('50% forced dense', half, 'cached', 'dense');
  const nm = pruned('2:4');
  add('2:4', nm, 'cached');
  add('2:4 forced bitmap', nm, 'cached', 'bitmap');
  const tenth = pruned('90%');
  add('90% unstructured', tenth, 'cached');
  add('90% forced CSR', tenth, 'cached', 'csr');
  add('90% forced bitmap', tenth, 'cached', 'bitmap');
  add('90% forced sell', tenth, 'cached', 'sell');
  add('50% forced sell', half, 'cached', 'sell');
  add('dense, no cache', dense, 'full');
  const o = await ortRun(dense);
  let ortVersion = '';
  if ('reason' in o) console.error(`bench/gpt-generate: ${o.reason}; no ORT row`);
  else { variants.push({ name: 'ORT dense (no cache)', run: o.run }); ortVersion = o.version; }
  for (const v of variants) v.run(); // warm-up
  const secs = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  // each round starts one variant later, so no variant always follows the same one (ORT's window
  // recompute, say, leaves the caches to whoever runs next)
  // Each timed run follows an untimed run of the same variant (unless --cold): generation measured in steady
  // state, its weights and cache as warm as a model in use keeps them, not the first tokens after another
  // variant has filled the caches (measured: ≈ 1.5 µs more per token for the 90% model after a dense run).
  const cold = argv.includes('--cold');
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < variants.length; i++) {
      const v = variants[(i + r) % variants.length]!;
      if (!cold) v.run();
      secs.get(v.name)!.push(v.run());
    }
  }
  const pick = argv.includes('--min') ? (xs: number[]): number => Math.min(...xs) : median;
  const base = tokens / pick(secs.get('dense')!);
  const rows = variants.map((v) => {
    const tps = tokens / pick(secs.get(v.name)!);
    return { variant: v.name, tokensPerSecond: tps, overDense: tps / base, ...(v.formats ? { formats: v.formats } : {}) };
  });
  const head = { model: spec, tokens, rounds, warm: !cold, statistic: argv.includes('--min') ? 'minimum' : 'median', clock: wall ? 'wall' : 'process CPU', backend: `${be.name} (${be.detail})`, ort: ortVersion || null };
  if (json) { console.log(JSON.stringify({ ...head, rows }, null, 2)); return; }
  console.log(`${spec}: ${tokens} tokens after a 1-token prompt, batch 1, ${rounds} interleaved rounds (${head.statistic === 'minimum' ? 'fastest round' : 'medians'}, ${head.clock} time, ${cold ? 'cold: right after another variant' : 'warm: after an untimed run of the same variant'}); winnow ${head.backend}${ortVersion ? `, onnxruntime-node ${ortVersion} (1 thread)` : ''}`);
  for (const r of rows) {
    console.log(`${r.variant.padEnd(22)} ${r.tokensPerSecond.toFixed(1).padStart(9)} tokens/s  ${r.overDense.toFixed(2)}× dense${r.formats ? `  ${JSON.stringify(r.formats)}` : ''}`);
  }
}

await main();
