// Kernel benchmark of the native backend (one thread): the single-core FMA peak, dense GEMM at the
// LeNet-300-100 layer-1 shapes and 1024³ as % of that peak, and the sparse layer-1 training step
// (spmm + sparseBackward, i.e. spmmT and sddmm fused, on the index prepared once as a WeightMatrix runs it) against our own dense step (3 GEMMs) at several densities, with the density
// below which sparse wins. Medians over repeats (--stat min: minimums, the better estimate on a machine
// shared with other work; the peak is then the best sample too); ratios come from the same run.
// The floor line: what the 2% step could cost at best with kernels that gather a source row per nonzero, from
// three measurements of this run — spmm's inner loop alone (gatherPeak) with its source in L1 and in L2, the FMA
// peak, and the same step on an empty mask (writing Y and dX).
// --gpt: instead, the sparse kernels at the GPT's shapes (gpt:4-4-128-64, batch 12: activations
// [features × 768], weights at 10%) against the dense GEMMs of the same products, interleaved.
import { loadNativeBackend, type Isa, type NativeBackend } from '../src/backend/native.js';
import { Rng } from '../src/util/rng.js';
import { BATCH, COLS, LDX, padded, randF32, randomCsrOf, randomLayer, ROWS } from './layer1.js';
import { checkArgs } from './util.js';

const USAGE = `Usage: node dist/bench/kernels.js [--stat median|min] [--gpt] [--isa avx512|avx2|generic] [--quick] [--json]
Native kernels, one thread: FMA peak, dense GEMM as % of peak, the sparse LeNet-300-100 layer-1 training step
against the dense one at several densities and the break-even density (or, with --gpt, the sparse kernels at the
GPT's shapes against dense GEMM).
  --stat median|min   statistic over the repeats (default median; min: the best sample, for a shared machine)
  --gpt               time the sparse kernels at the GPT's shapes (gpt:4-4-128-64, batch 12, 10%) instead
  --isa ISA           force the native ISA: avx512, avx2 or generic (default: the best the CPU runs, or WINNOW_ISA)
  --quick             fewer repeats (default off)
  --json              print the results as JSON (default off)
  -h, --help          print this and exit`;
checkArgs('kernels', USAGE);

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const quick = args.includes('--quick');
const isaArg = args.includes('--isa') ? args[args.indexOf('--isa') + 1] : undefined;
const statArg = args.includes('--stat') ? args[args.indexOf('--stat') + 1] : 'median';
if (statArg !== 'median' && statArg !== 'min') { console.error(`bench/kernels: --stat must be median or min, got ${String(statArg)}`); process.exit(2); }
const useMin = statArg === 'min';

/** The median of xs, or its minimum under --stat min. */
function summarize(xs: number[]): number {
  if (useMin) return Math.min(...xs);
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** Median (or minimum) seconds per call of fn: `repeats` samples, each timing `inner` back-to-back calls. */
function timeIt(fn: () => void, repeats: number, inner: number): number {
  fn();  // warm-up (packing buffers, caches)
  const samples: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < inner; i++) fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e9 / inner);
  }
  return summarize(samples);
}

/** Back-to-back calls of fn that last about `seconds` (at least 5): every sample of a row lasts about as long. */
function innerFor(fn: () => void, seconds = 2e-3): number {
  fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 3; i++) fn();
  const once = Math.max(Number(process.hrtime.bigint() - t0) / 3e9, 1e-8);
  return Math.max(5, Math.round(seconds / once));
}

/** Median (or minimum) seconds per call of a and of b, sampling them alternately so load changes hit both alike. */
function timePair(a: () => void, b: () => void, repeats: number, innerA: number, innerB: number): [number, number] {
  a(); b();
  const sa: number[] = [], sb: number[] = [];
  for (let r = 0; r < repeats; r++) {
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < innerA; i++) a();
    sa.push(Number(process.hrtime.bigint() - t0) / 1e9 / innerA);
    t0 = process.hrtime.bigint();
    for (let i = 0; i < innerB; i++) b();
    sb.push(Number(process.hrtime.bigint() - t0) / 1e9 / innerB);
  }
  return [summarize(sa), summarize(sb)];
}

// The peak is sampled before, between and after the GEMM runs and the best median kept: on a shared
// machine a contended moment lowers it, and % of peak must be relative to what the core can do.
const peakSamples: number[] = [];
function samplePeak(nb: NativeBackend): void {
  // --stat min: many short runs (≈ 1 ms), so that some run between the other processes' time slices.
  const iters = useMin ? 2e5 : quick ? 3e6 : 1e7;
  const samples: number[] = [];
  nb.fmaPeak(1e5);
  for (let r = 0; r < (useMin ? 15 : 3); r++) {
    const t0 = process.hrtime.bigint();
    const flops = nb.fmaPeak(iters);
    samples.push(flops / Number(process.hrtime.bigint() - t0));  // flops per ns = GFLOP/s
  }
  peakSamples.push(useMin ? Math.max(...samples) : summarize(samples));
}

interface GemmRow { shape: string; op: string; m: number; n: number; k: number; gflops: number; pctPeak: number }

function gemmRows(nb: NativeBackend): GemmRow[] {
  const rng = new Rng(7);
  const shapes: Array<[string, boolean, boolean, number, number, number]> = [
    ['layer-1 forward  Y = W·X', false, false, 300, 60, 784],
    ['layer-1 weights dW = dY·Xᵀ', false, true, 300, 784, 60],
    ['layer-1 input   dX = Wᵀ·dY', true, false, 784, 60, 300],
    ['square 1024³', false, false, 1024, 1024, 1024],
  ];
  const rows = shapes.map(([shape, ta, tb, m, n, k]) => {
    samplePeak(nb);
    const a = randF32(rng, m * k), b = randF32(rng, k * n), c = new Float32Array(m * n);
    const lda = ta ? m : k, ldb = tb ? k : n;
    const flops = 2 * m * n * k;
    const inner = Math.max(1, Math.round(2e8 / flops));  // ≈ 2 ms per sample
    const sec = timeIt(() => nb.gemm(ta, tb, m, n, k, 1, a, lda, b, ldb, 0, c, n), quick ? 5 : 11, inner);
    const gflops = flops / sec / 1e9;
    return { shape, op: `${ta ? 'T' : 'N'}${tb ? 'T' : 'N'}`, m, n, k, gflops, pctPeak: 0 };
  });
  samplePeak(nb);
  const peak = Math.max(...peakSamples);
  for (const r of rows) r.pctPeak = (100 * r.gflops) / peak;
  return rows;
}

// ---- the layer-1 training step: W [300×784], X [784×60], dY [300×60] (bench/layer1.ts) ----------------

/** At 2%, the same step through other calls (the same results), interleaved: the plain kernels fused (sparseBackward) against spmmT + sddmm separate, and the prepared index against the plain kernels. */
const callStyles: Array<{ fusedUs: number; separateUs: number; preparedUs: number; plainUs: number; csrOrderUs: number }> = [];
/** At 2%: one sparse step right after a dense step, whose weights and their gradient (1.9 MB) push the sparse step's data out of L2. */
const afterDense: Array<{ sparseUs: number }> = [];

/** Median µs of the dense step (3 GEMMs) and of the sparse step at `density`, measured alternately. */
function stepPair(nb: NativeBackend, rng: Rng, density: number): { denseUs: number; sparseUs: number; speedup: number; nnz: number; sparseGflops: number } {
  const x = padded(nb, rng, COLS), dy = padded(nb, rng, ROWS);                      // X [784×60], dY [300×60], both at stride LDX
  const y = new Float32Array(ROWS * BATCH), dx = new Float32Array(COLS * BATCH);  // Y [300×60], dX [784×60]
  const wDense = randF32(rng, ROWS * COLS), dW = new Float32Array(ROWS * COLS);   // W, dW [300×784]
  const w = randomLayer(rng, density), g = new Float32Array(w.values.length);    // g [nnz]
  const dense = () => {
    nb.gemm(false, false, ROWS, BATCH, COLS, 1, wDense, COLS, x, LDX, 0, y, BATCH);     // Y = W·X
    nb.gemm(true, false, COLS, BATCH, ROWS, 1, wDense, COLS, dy, LDX, 0, dx, BATCH);    // dX = Wᵀ·dY
    nb.gemm(false, true, ROWS, COLS, BATCH, 1, dy, LDX, x, LDX, 0, dW, COLS);           // dW = dY·Xᵀ
  };
  // As WeightMatrix runs a sparse layer that computes dX: its index prepared once (no per-call index checks), its
  // values in CSC order (random either way), then per step the forward (spmm) and the fused backward (spmmT + sddmm).
  const p = nb.prepareSparse(ROWS, COLS, w.rowPtr, w.colIdx, w.colPtr, w.rowIdx, w.perm, 'csc');
  const sparse = () => {
    p.spmm(w.values, x, BATCH, y, LDX);
    p.backward(w.values, dy, x, BATCH, dx, g, LDX, LDX);
  };
  if (density === 0.02) {
    // The plain kernels, which check the index on every call: fused, and with spmmT and sddmm separate (reading dY packed).
    const fused = () => {
      nb.spmm(ROWS, COLS, w.rowPtr, w.colIdx, w.values, x, BATCH, 0, y, LDX);
      nb.sparseBackward(ROWS, COLS, w.colPtr, w.rowIdx, w.perm, w.values, dy, x, BATCH, 0, dx, g, LDX, LDX);
    };
    const dyPacked = new Float32Array(ROWS * BATCH);
    for (let r = 0; r < ROWS; r++) dyPacked.set(dy.subarray(r * LDX, r * LDX + BATCH), r * BATCH);
    const separate = () => {
      nb.spmm(ROWS, COLS, w.rowPtr, w.colIdx, w.values, x, BATCH, 0, y, LDX);
      nb.spmmT(ROWS, COLS, w.colPtr, w.rowIdx, w.perm, w.values, dyPacked, BATCH, 0, dx);
      nb.sddmm(ROWS, w.rowPtr, w.colIdx, dyPacked, x, BATCH, g, LDX);
    };
    const inner = innerFor(sparse), reps = quick ? 5 : useMin ? 41 : 9;
    const [f, sep] = timePair(fused, separate, reps, inner, inner);
    const [prep, plain] = timePair(sparse, fused, reps, inner, inner);
    // The same prepared step with the values in CSR order (as before session 13: the backward scatters its gradients).
    const pCsr = nb.prepareSparse(ROWS, COLS, w.rowPtr, w.colIdx, w.colPtr, w.rowIdx, w.perm, 'csr');
    const csrOrder = () => { pCsr.spmm(w.values, x, BATCH, y, LDX); pCsr.backward(w.values, dy, x, BATCH, dx, g, LDX, LDX); };
    const [, csrUs] = timePair(sparse, csrOrder, reps, inner, inner);
    callStyles.push({ fusedUs: f * 1e6, separateUs: sep * 1e6, preparedUs: prep * 1e6, plainUs: plain * 1e6, csrOrderUs: csrUs * 1e6 });
    const cold: number[] = [];
    for (let r = 0; r < (quick ? 9 : useMin ? 101 : 21); r++) {
      dense();
      const t0 = process.hrtime.bigint();
      sparse();
      cold.push(Number(process.hrtime.bigint() - t0) / 1e3);
    }
    afterDense.push({ sparseUs: summarize(cold) });
  }
  // Samples of ≈ 2 ms of back-to-back calls on both sides, as for the GEMM rows: the steady-state cost of a step
  // (in training, layer 1's kernels run within ≈ 5% of it: docs/SPARSE-KERNELS.md); the line after the table gives
  // the step right after a dense one. --stat min: more samples, so that some fall between other processes' slices.
  const [d, s] = timePair(dense, sparse, quick ? 5 : useMin ? 41 : 9, innerFor(dense), innerFor(sparse));
  // The sparse step does 3 × 2·nnz·batch floating-point operations (multiply-adds at the nonzeros only).
  const nnz = w.values.length;
  return { denseUs: d * 1e6, sparseUs: s * 1e6, speedup: d / s, nnz, sparseGflops: (6 * nnz * BATCH) / s / 1e9 };
}

/** The GPT's weight shapes (out × in) at 10%, n = B·T = 768: spmm, spmmWide (with its bias), spmmT, sddmmWide, and the fused backward (bwdWide = sparseBackwardWide) against the dense GEMM of each product. */
function gptShapes(nb: NativeBackend): void {
  const rng = new Rng(13), n = 768, density = 0.1, reps = quick ? 5 : useMin ? 21 : 9;
  const shapes: Array<[string, number, number]> = [['qkv 384×128', 384, 128], ['proj 128×128', 128, 128], ['fc 512×128', 512, 128], ['fc2 128×512', 128, 512]];
  const out: Array<Record<string, unknown>> = [];
  if (!asJson) console.log(`winnow sparse kernels at the GPT's shapes, n = ${n}, density ${density}, ISA ${nb.detail}, ${useMin ? 'minimum times' : 'medians'}\nshape           kernel      sparse µs  GFLOP/s   dense µs  GFLOP/s  dense/sparse`);
  for (const [name, rows, cols] of shapes) {
    const w = randomCsrOf(rng, rows, cols, density), nnz = w.values.length;
    const wd = randF32(rng, rows * cols), x = randF32(rng, cols * n), dy = randF32(rng, rows * n);
    const y = new Float32Array(rows * n), dx = new Float32Array(cols * n), g = new Float32Array(nnz), dW = new Float32Array(rows * cols);
    const none = new Float32Array(0), bias = randF32(rng, rows);
    const pairs: Array<[string, () => void, () => void]> = [
      ['spmm', () => nb.spmm(rows, cols, w.rowPtr, w.colIdx, w.values, x, n, 0, y), () => nb.gemm(false, false, rows, n, cols, 1, wd, cols, x, n, 0, y, n)],
      // the GPT's forward: spmm with the bias in the epilogue (its own chunking at n = 768)
      ['spmmWide', () => nb.spmmWide(rows, cols, w.rowPtr, w.colIdx, w.values, x, n, bias, none, y, none), () => nb.gemm(false, false, rows, n, cols, 1, wd, cols, x, n, 0, y, n)],
      ['spmmT', () => nb.spmmT(rows, cols, w.colPtr, w.rowIdx, w.perm, w.values, dy, n, 0, dx), () => nb.gemm(true, false, cols, n, rows, 1, wd, cols, dy, n, 0, dx, n)],
      ['sddmmWide', () => nb.sddmmWide(rows, w.rowPtr, w.colIdx, dy, x, n, g), () => nb.gemm(false, true, rows, cols, n, 1, dy, n, x, n, 0, dW, cols)],
      // the GPT's backward: spmmT and sddmmWide in one pass, against the two dense GEMMs
      ['bwdWide', () => nb.sparseBackwardWide(rows, cols, w.colPtr, w.rowIdx, w.perm, w.values, dy, x, n, 0, dx, g, none, none),
        () => { nb.gemm(true, false, cols, n, rows, 1, wd, cols, dy, n, 0, dx, n); nb.gemm(false, true, rows, cols, n, 1, dy, n, x, n, 0, dW, cols); }],
    ];
    for (const [kernel, sp, de] of pairs) {
      const [s, d] = timePair(sp, de, reps, 3, 3);
      const products = kernel === 'bwdWide' ? 2 : 1;
      const row = { shape: name, kernel, sparseUs: s * 1e6, sparseGflops: (2 * products * nnz * n) / s / 1e9, denseUs: d * 1e6, denseGflops: (2 * products * rows * cols * n) / d / 1e9, speedup: d / s };
      out.push(row);
      if (!asJson) console.log(`${name.padEnd(15)} ${kernel.padEnd(10)} ${row.sparseUs.toFixed(1).padStart(10)} ${row.sparseGflops.toFixed(1).padStart(8)} ${row.denseUs.toFixed(1).padStart(10)} ${row.denseGflops.toFixed(1).padStart(8)} ${row.speedup.toFixed(2).padStart(12)}×`);
    }
  }
  if (asJson) console.log(JSON.stringify({ isa: nb.detail, n, density, gpt: out }, null, 2));
}

/** Seconds per call of the gathering loop alone (reps × 4096 nonzeros) and the flops it does per nonzero. */
function gatherRate(nb: NativeBackend, srcRows: number): { gflops: number; flopsPerNnz: number } {
  const reps = 4, flops = nb.gatherPeak(srcRows, reps);
  const sec = timeIt(() => nb.gatherPeak(srcRows, reps), quick ? 9 : useMin ? 401 : 41, 1);
  return { gflops: flops / sec / 1e9, flopsPerNnz: flops / (reps * 4096) };
}

interface Floor { l1Gflops: number; l2Gflops: number; dyGflops: number; emptyUs: number; floorUs: number; nnz: number }

/**
 * A lower bound for the 2% step (nnz nonzeros) with kernels that load a source row per nonzero, as every kernel here
 * does: spmm gathers a row of X (784 rows, from L2) per nonzero at the rate of its loop alone; the backward does
 * twice spmm's FMAs and gathers a row of dY (300 rows) per nonzero, so it takes at least the longer of the two; and
 * both write their outputs, which the step on an empty mask measures.
 */
function stepFloor(nb: NativeBackend, nnz: number, peakGflops: number): Floor {
  const l1 = gatherRate(nb, 128), l2 = gatherRate(nb, COLS), dyRate = gatherRate(nb, ROWS);
  const chunks = Math.ceil((2 * BATCH) / l1.flopsPerNnz);  // source chunks per nonzero: one at 64 lanes (AVX-512)
  const flopsPerNnz = chunks * l1.flopsPerNnz;               // one pass of FMAs over a padded source row
  const empty = randomLayer(new Rng(1), 0), x = padded(nb, new Rng(2), COLS), dy = padded(nb, new Rng(3), ROWS);
  const y = new Float32Array(ROWS * BATCH), dx = new Float32Array(COLS * BATCH), g = new Float32Array(0);
  const p = nb.prepareSparse(ROWS, COLS, empty.rowPtr, empty.colIdx, empty.colPtr, empty.rowIdx, empty.perm, 'csc');
  const emptySec = timeIt(() => {
    p.spmm(empty.values, x, BATCH, y, LDX);
    p.backward(empty.values, dy, x, BATCH, dx, g, LDX, LDX);
  }, quick ? 9 : useMin ? 201 : 41, 5);
  const spmmSec = (nnz * flopsPerNnz) / (l2.gflops * 1e9);
  const bwdSec = Math.max((nnz * 2 * flopsPerNnz) / (peakGflops * 1e9), (nnz * flopsPerNnz) / (dyRate.gflops * 1e9));
  return { l1Gflops: l1.gflops, l2Gflops: l2.gflops, dyGflops: dyRate.gflops, emptyUs: emptySec * 1e6, floorUs: (spmmSec + bwdSec + emptySec) * 1e6, nnz };
}

function main(): void {
  const loaded = loadNativeBackend();
  if ('error' in loaded) { console.error(`bench/kernels: native backend unavailable: ${loaded.error}`); process.exit(1); }
  const nb = loaded.backend;
  if (isaArg) nb.setIsa(isaArg as Isa);
  const isa = nb.detail;
  if (args.includes('--gpt')) { gptShapes(nb); return; }

  const gemm = gemmRows(nb);
  const rng = new Rng(11);
  const headline = [0.2, 0.1, 0.05, 0.02].map((d) => { samplePeak(nb); return { density: d, ...stepPair(nb, rng, d) }; });
  samplePeak(nb);
  const peakAll = Math.max(...peakSamples);
  const headRows = headline.map((h) => ({ ...h, sparsePctPeak: (100 * h.sparseGflops) / peakAll }));
  const two = headline.find((h) => h.density === 0.02)!;
  const floor = stepFloor(nb, two.nnz, peakAll);
  const pctOf2 = (us: number): number => (100 * (6 * two.nnz * BATCH) / (us * 1e3)) / peakAll;  // a 2% step of `us` µs, % of peak
  const floorPct = pctOf2(floor.floorUs);
  const cold = afterDense.map((c) => ({ ...c, pctPeak: pctOf2(c.sparseUs) }));
  // Break-even: sweep densities downward; interpolate log(speedup) linearly between the two
  // densities that bracket speedup = 1.
  const sweep = [0.6, 0.5, 0.4, 0.35, 0.3, 0.25, 0.2, 0.15].map((d) => ({ density: d, speedup: stepPair(nb, rng, d).speedup }));
  let breakEven: number | null = null;
  for (let i = 1; i < sweep.length; i++) {
    const hi = sweep[i - 1]!, lo = sweep[i]!;
    if (hi.speedup < 1 && lo.speedup >= 1) {
      const t = Math.log(hi.speedup) / (Math.log(hi.speedup) - Math.log(lo.speedup));
      breakEven = hi.density + t * (lo.density - hi.density);
      break;
    }
  }
  if (breakEven === null && sweep[0]!.speedup >= 1) breakEven = sweep[0]!.density;  // sparse wins everywhere swept

  if (asJson) {
    console.log(JSON.stringify({ isa, threads: 1, peakGflops: peakAll, peakSamples, gemm, layer1: { headline: headRows, sweep, callStyles, afterDense: cold, floor: { ...floor, pctPeak: floorPct } }, breakEvenDensity: breakEven }, null, 2));
    return;
  }
  const f = (x: number, d = 1) => x.toFixed(d);
  console.log(`winnow native kernels — ISA ${isa}, 1 thread, ${useMin ? 'minimum times (best of the repeats)' : 'medians'}`);
  console.log(`single-core FMA peak: ${f(peakAll)} GFLOP/s (best of ${peakSamples.map((p) => f(p)).join(', ')})\n`);
  console.log('dense GEMM                          op    m     n     k   GFLOP/s  % peak');
  for (const r of gemm) {
    console.log(`${r.shape.padEnd(34)} ${r.op}  ${String(r.m).padStart(4)}  ${String(r.n).padStart(4)}  ${String(r.k).padStart(4)}  ${f(r.gflops).padStart(7)}  ${f(r.pctPeak).padStart(5)}%`);
  }
  console.log('\nlayer-1 step (300×784, batch 60; X and dY rows 64 floats apart, aligned, as the trainer lays out a batch and a sparse ReLU layer\'s output gradient): fwd + bwd + weight grad;');
  console.log('sparse = spmm + sparseBackward (spmmT+sddmm fused) on the prepared index, values in CSC order (prepareSparse, as a WeightMatrix that computes dX runs it), dense = 3 GEMMs');
  console.log(`density   sparse µs   dense µs   dense/sparse   sparse GFLOP/s   % peak (${f(peakAll)})`);
  for (const h of headRows) console.log(`${(f(h.density * 100, 0) + '%').padStart(7)}   ${f(h.sparseUs).padStart(9)}  ${f(h.denseUs).padStart(9)}   ${f(h.speedup, 2).padStart(9)}×   ${f(h.sparseGflops).padStart(14)}   ${f(h.sparsePctPeak).padStart(6)}%`);
  for (const v of callStyles) {
    console.log(`2% step through the plain kernels (index checked on every call): spmmT + sddmm separately ${f(v.separateUs)} µs, fused (sparseBackward) ${f(v.fusedUs)} µs (interleaved)`);
    console.log(`2% step on the prepared pattern (as the table): ${f(v.preparedUs)} µs against the plain kernels' ${f(v.plainUs)} µs (interleaved)`);
    console.log(`2% step on the prepared pattern with the values in CSR order (gradients scattered to CSR places): ${f(v.csrOrderUs)} µs (interleaved with the table's)`);
  }
  for (const c of cold) {
    console.log(`2% step right after a dense step (1.9 MB of W and dW push its data out of L2; the table is steady state): ${f(c.sparseUs)} µs = ${f(c.pctPeak)}% of peak`);
  }
  const pk = (g: number) => `${f(g)} GFLOP/s = ${f((100 * g) / peakAll)}% of peak`;
  console.log(`\nspmm's inner loop alone (gatherPeak: per nonzero an index, a weight, a source row's vectors, their FMAs):`);
  console.log(`  source in L1 (128 rows) ${pk(floor.l1Gflops)}; dY's 300 rows ${pk(floor.dyGflops)}; X's 784 rows (L2) ${pk(floor.l2Gflops)}`);
  console.log(`2% step floor for kernels that gather a source row per nonzero (spmm at that L2 rate + the backward's FMAs at the`);
  console.log(`  peak or its dY gathers, whichever is slower + the step on an empty mask, ${f(floor.emptyUs)} µs, writing Y and dX):`);
  console.log(`  ${f(floor.floorUs)} µs = ${f(floorPct)}% of peak, against ${f(two.sparseUs)} µs measured (${f((100 * floor.floorUs) / two.sparseUs, 0)}% of the way)`);
  console.log('\nsweep: ' + sweep.map((s) => `${f(s.density * 100, 0)}%:${f(s.speedup, 2)}×`).join('  '));
  console.log(breakEven === null
    ? 'break-even: sparse did not beat dense at any swept density'
    : `break-even density (sparse beats dense below): ${f(breakEven * 100)}%`);
}

main();
