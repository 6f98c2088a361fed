// Two or more builds of the native addon timed against each other in one process, on the layer-1 step of
// bench/kernels (spmm + sparseBackward on the prepared index): each build's kernels are called in turn, sample
// after sample, so load changes on a shared machine hit all builds alike, and the minimum over the samples is kept.
// Why: a kernel change worth 2–5% is within the run-to-run spread of two separate bench/kernels runs, and an
// unchanged kernel can move by as much when code elsewhere in the library shifts its alignment; only builds timed
// side by side tell a change from that noise (docs/SPARSE-KERNELS.md, "Session 12"). Also checks that every build
// gives the same results bit for bit (a kernel change must not change the arithmetic unless it says so).
//   git stash && npm run build:native && cp build/Release/winnow_native.node /tmp/a.node && git stash pop && npm run build:native
//   node dist/bench/native-ab.js /tmp/a.node build/Release/winnow_native.node
import { loadNativeBackend, type NativeBackend } from '../src/backend/native.js';
import { Rng } from '../src/util/rng.js';
import { BATCH, COLS, LDX, padded, randomLayer, ROWS } from './layer1.js';
import { checkArgs } from './util.js';

const USAGE = `Usage: node dist/bench/native-ab.js ADDON.node ADDON.node [...] [--density d] [--samples n] [--seed s] [--json]
Times builds of the native addon against each other on the LeNet-300-100 layer-1 sparse step (spmm +
sparseBackward on the prepared index, batch 60, as bench/kernels), interleaved in one process, and checks that
they give identical results. The first build is the baseline of the ratios.
  --density d   the layer's density (default 0.02)
  --samples n   samples per build and kernel, each ≈ 40 back-to-back calls; the minimum is kept (default 300)
  --seed s      seed of the mask and the data (default 11)
  --json        print the results as JSON (default off)
  -h, --help    print this and exit`;
checkArgs('native-ab', USAGE);

function fail(msg: string): never {
  console.error(`bench/native-ab: ${msg}`);
  process.exit(2);
}

const args = process.argv.slice(2);
const valued = new Set(['--density', '--samples', '--seed']);
const addons = args.filter((a, i) => !a.startsWith('--') && !valued.has(args[i - 1] ?? ''));
function num(flag: string, dflt: number, ok: (v: number) => boolean, expected: string): number {
  const i = args.indexOf(flag);
  if (i < 0) return dflt;
  const v = Number(args[i + 1]);
  if (args[i + 1] === undefined || !ok(v)) fail(`${flag} must be ${expected}, got ${String(args[i + 1])}`);
  return v;
}
const density = num('--density', 0.02, (v) => v > 0 && v <= 1, 'a density in (0, 1]');
const samples = num('--samples', 300, (v) => Number.isInteger(v) && v >= 1, 'a positive integer');
const seed = num('--seed', 11, Number.isInteger, 'an integer');
const asJson = args.includes('--json');
if (addons.length < 2) fail(`needs two or more addon files (.node) to compare, got ${addons.length}`);

const builds = addons.map((path) => {
  const r = loadNativeBackend(path);
  if ('error' in r) fail(r.error);
  return { path, nb: r.backend };
});
const isas = new Set(builds.map((b) => b.nb.detail));
if (isas.size > 1) fail(`the builds run different ISAs (${[...isas].join(', ')}): set WINNOW_ISA to compare like with like`);

const rng = new Rng(seed);
const first = builds[0]!.nb;
const x = padded(first, rng, COLS), dy = padded(first, rng, ROWS);
const w = randomLayer(rng, density);
const nnz = w.values.length;

interface Run { y: Float32Array; dx: Float32Array; g: Float32Array; spmm: () => void; backward: () => void; step: () => void }
function runOf(nb: NativeBackend): Run {
  const p = nb.prepareSparse(ROWS, COLS, w.rowPtr, w.colIdx, w.colPtr, w.rowIdx, w.perm, 'csc');  // as WeightMatrix runs it
  const y = new Float32Array(ROWS * BATCH), dx = new Float32Array(COLS * BATCH), g = new Float32Array(nnz);
  const spmm = (): void => p.spmm(w.values, x, BATCH, y, LDX);
  const backward = (): void => p.backward(w.values, dy, x, BATCH, dx, g, LDX, LDX);
  return { y, dx, g, spmm, backward, step: () => { spmm(); backward(); } };
}
const runs = builds.map((b) => runOf(b.nb));
for (const r of runs) r.step();

const sameBits = (a: Float32Array, b: Float32Array): boolean => Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
const differs = runs.slice(1).map((r, i) => ({ path: builds[i + 1]!.path, outputs: (['y', 'dx', 'g'] as const).filter((k) => !sameBits(r[k], runs[0]![k])) }))
  .filter((d) => d.outputs.length > 0);

const INNER = 40;
const KERNELS = ['spmm', 'backward', 'step'] as const;
const best = runs.map(() => ({ spmm: Infinity, backward: Infinity, step: Infinity }));
for (let s = 0; s < samples; s++) {
  for (const k of KERNELS) {
    runs.forEach((r, b) => {
      const fn = r[k];
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < INNER; i++) fn();
      best[b]![k] = Math.min(best[b]![k], Number(process.hrtime.bigint() - t0) / 1e3 / INNER);
    });
  }
  if (!asJson && s % 50 === 49) process.stderr.write(`sample ${s + 1}/${samples}\n`);
}

const rows = builds.map((b, i) => ({ addon: b.path, ...best[i]!, stepRatio: best[i]!.step / best[0]!.step }));
if (asJson) {
  console.log(JSON.stringify({ isa: first.detail, density, nnz, samples, identical: differs.length === 0, differs, builds: rows }, null, 2));
} else {
  console.log(`layer-1 step at ${(100 * density).toFixed(1)}% (${nnz} nonzeros), ISA ${first.detail}, minimum over ${samples} interleaved samples of ${INNER} calls`);
  console.log('spmm µs  backward µs  step µs  step / first  addon');
  for (const r of rows) console.log(`${r.spmm.toFixed(2).padStart(7)}  ${r.backward.toFixed(2).padStart(11)}  ${r.step.toFixed(2).padStart(7)}  ${r.stepRatio.toFixed(3).padStart(12)}  ${r.addon}`);
  console.log(differs.length === 0 ? 'results: identical bit for bit across the builds'
    : `results DIFFER from the first build: ${differs.map((d) => `${d.path} (${d.outputs.join(', ')})`).join('; ')}`);
}
