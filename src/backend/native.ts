// Loads the C++ Node-API addon and exposes it as a Backend. Where from, first found: WINNOW_NATIVE_ADDON,
// build/Release/winnow_native.node (a source build: `npm run build:native`, or the install script's
// fallback), prebuilds/<platform>-<arch>/winnow_native.napi.node (shipped in the package, built by the
// prepack script; Node-API 8, so one binary serves every Node ≥ 20). Every ISA level is inside the one
// binary, and the addon picks the best the CPU runs at load (native/dispatch.h). The addon validates every count and array length (and the sparse
// indices) itself and throws an Error on a bad call, so the methods below call it directly.
// WINNOW_NATIVE_ADDON=<path> loads another build (e.g. a prebuilt binary); WINNOW_ISA=avx512|avx2|generic
// lowers the instruction set the addon dispatches to.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DECODER_FORMATS, MATVEC_FORMATS, type Backend, type DecoderFormat, type DecoderSpec, type InferenceLayer, type InferenceNet, type PreparedDecoder, type PreparedMatvec, type PreparedSparse } from './backend.js';
import { ADDON_EXPORTS, KERNEL_NAMES, type KernelFns } from './kernels.js';

export type Isa = 'avx512' | 'avx2' | 'generic';

/** The addon's exports: the Backend kernels (same argument order) plus ISA control and inference nets. */
interface NativeAddon extends KernelFns {
  isa(): string;
  supportedIsas(): string[];
  setIsa(isa: string): string;
  fmaPeak(iters: number): number;
  gatherPeak(srcRows: number, reps: number): number;
  addressMod64(a: Float32Array): number;
  netCreate(): object;
  netAddLayer(net: object, rows: number, cols: number, relu: boolean, values: Float32Array, bias: Float32Array, rowPtr: Int32Array, colIdx: Int32Array, format: number, offsets: Uint8Array): void;
  netForward(net: object, x: Float32Array, n: number, out: Float32Array): void;
  decCreate(layers: number, heads: number, dim: number, context: number, vocab: number, wte: Float32Array, wpe: Float32Array, lnFGamma: Float32Array, lnFBeta: Float32Array): object;
  decSetBlock(dec: object, layer: number, ln1Gamma: Float32Array, ln1Beta: Float32Array, ln2Gamma: Float32Array, ln2Beta: Float32Array): void;
  decSetMatrix(dec: object, slot: number, format: number, w: Float32Array, bias: Float32Array): void;
  decStep(dec: object, token: number, logits: Float32Array): number;
  decReset(dec: object): void;
  matCreate(format: number, rows: number, cols: number, w: Float32Array, bias: Float32Array): object;
  matForward(mat: object, x: Float32Array, y: Float32Array): void;
  patternCreate(rows: number, cols: number, rowPtr: Int32Array, colIdx: Int32Array, colPtr: Int32Array, rowIdx: Int32Array, perm: Int32Array, cscValues: boolean): object;
  patternSpmm(pattern: object, values: Float32Array, x: Float32Array, n: number, y: Float32Array, ldx?: number): void;
  patternSddmm(pattern: object, dy: Float32Array, x: Float32Array, n: number, out: Float32Array, ldx?: number): void;
  patternBackward(pattern: object, values: Float32Array, dy: Float32Array, x: Float32Array, n: number, dx: Float32Array, grad: Float32Array, ldx?: number, ldy?: number): void;
}

/** The native backend plus controls that only it has. */
export interface NativeBackend extends Backend {
  readonly name: 'native';
  /** The active ISA level ('avx512' | 'avx2' | 'generic'). */
  readonly detail: string;
  /** ISA levels this CPU can run, best first. */
  supportedIsas(): Isa[];
  /** Switches every kernel to a (supported) level; returns it. Process-wide. */
  setIsa(isa: Isa): Isa;
  /** Runs independent FMA chains for `iters` iterations on the active level; returns the flops done. */
  fmaPeak(iters: number): number;
  /**
   * Runs the sparse kernels' inner loop alone (per nonzero an index, a weight, one chunk loaded from a random row of a
   * srcRows-row source, its FMAs) over reps × 4096 nonzeros; returns the flops done. Timed against fmaPeak it shows
   * how far loads from L1 (few rows) or L2 (many rows) keep a gathered sparse product below the FMA peak.
   */
  gatherPeak(srcRows: number, reps: number): number;
}

const ADDON_RELATIVE = join('build', 'Release', 'winnow_native.node');
/** The prebuilt binary's place in the package, for this platform. */
export const PREBUILT_RELATIVE = join('prebuilds', `${process.platform}-${process.arch}`, 'winnow_native.napi.node');

/** The package root: the nearest directory at or above this module holding package.json. */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

function wrap(addon: NativeAddon): NativeBackend {
  const missing = ADDON_EXPORTS.filter((k) => typeof (addon as unknown as Record<string, unknown>)[k] !== 'function');
  if (missing.length > 0) throw new Error(`addon lacks ${missing.join(', ')} (stale build? run npm run build:native)`);
  const kernels = Object.fromEntries(KERNEL_NAMES.map((k) => [k, addon[k]])) as unknown as KernelFns;
  return {
    name: 'native',
    get detail() { return addon.isa(); },
    ...kernels,
    supportedIsas: () => addon.supportedIsas() as Isa[],
    setIsa: (isa: Isa) => addon.setIsa(isa) as Isa,
    fmaPeak: (iters: number) => addon.fmaPeak(iters),
    gatherPeak: (srcRows: number, reps: number) => addon.gatherPeak(srcRows, reps),
    allocActivations: (len: number): Float32Array => {
      // An ArrayBuffer's data never moves (it lives outside V8's heap), so the offset found once stays right.
      const buf = new ArrayBuffer(4 * len + 64);
      const off = (64 - addon.addressMod64(new Float32Array(buf, 0, 1))) % 64;
      return new Float32Array(buf, off, len);
    },
    prepareInference: (layers: InferenceLayer[]): InferenceNet => {
      const net = addon.netCreate();
      const none = new Int32Array(0), noOffsets = new Uint8Array(0);
      for (const l of layers) {
        addon.netAddLayer(net, l.rows, l.cols, l.relu, l.values, l.bias, l.rowPtr ?? none, l.colIdx ?? none,
          MATVEC_FORMATS.indexOf(l.format ?? 'auto'), l.offsets ?? noOffsets);
      }
      return { forward: (x, n, out) => addon.netForward(net, x, n, out) };
    },
    prepareDecoder: (spec: DecoderSpec): PreparedDecoder => {
      const fmt = (f: DecoderFormat): number => DECODER_FORMATS.indexOf(f);
      const none = new Float32Array(0);
      const dec = addon.decCreate(spec.layers, spec.heads, spec.dim, spec.context, spec.vocab, spec.wte, spec.wpe, spec.lnFGamma, spec.lnFBeta);
      spec.blocks.forEach((b, l) => {
        addon.decSetBlock(dec, l, b.ln1Gamma, b.ln1Beta, b.ln2Gamma, b.ln2Beta);
        [b.attn, b.proj, b.fc, b.fcProj].forEach((m, k) => addon.decSetMatrix(dec, 4 * l + k, fmt(m.format), m.weights, m.bias ?? none));
      });
      addon.decSetMatrix(dec, 4 * spec.layers, fmt(spec.head.format), spec.head.weights, none);
      let len = 0;
      return {
        get length() { return len; },
        step: (token, logits) => { len = addon.decStep(dec, token, logits); },
        reset: () => { addon.decReset(dec); len = 0; },
      };
    },
    prepareMatvec: (format: DecoderFormat, rows: number, cols: number, weights: Float32Array, bias: Float32Array | null): PreparedMatvec => {
      const mat = addon.matCreate(DECODER_FORMATS.indexOf(format), rows, cols, weights, bias ?? new Float32Array(0));
      return { forward: (x, y) => addon.matForward(mat, x, y) };
    },
    prepareSparse: (rows, cols, rowPtr, colIdx, colPtr, rowIdx, perm, order = 'csr'): PreparedSparse => {
      const pat = addon.patternCreate(rows, cols, rowPtr, colIdx, colPtr, rowIdx, perm, order === 'csc');
      return {
        rows, cols, nnz: colIdx.length, order,
        spmm: (values, x, n, y, ldx) => addon.patternSpmm(pat, values, x, n, y, ldx),
        sddmm: (dy, x, n, out, ldx) => addon.patternSddmm(pat, dy, x, n, out, ldx),
        backward: (values, dy, x, n, dx, grad, ldx, ldy) => addon.patternBackward(pat, values, dy, x, n, dx, grad, ldx, ldy),
      };
    },
  };
}

/**
 * Where the addon is looked for: `addonPath`, else WINNOW_NATIVE_ADDON, else <package root>/build/Release
 * when it exists, else the package's prebuilt binary for this platform.
 * Exported for tests that load the addon itself (test/backend/native-load.test.ts).
 */
export function nativeAddonPath(addonPath?: string): { path: string } | { error: string } {
  const path = addonPath ?? process.env['WINNOW_NATIVE_ADDON'];
  if (path) return { path };
  const root = packageRoot();
  if (root === null) return { error: 'no package.json above ' + dirname(fileURLToPath(import.meta.url)) };
  const built = join(root, ADDON_RELATIVE), prebuilt = join(root, PREBUILT_RELATIVE);
  return { path: existsSync(built) || !existsSync(prebuilt) ? built : prebuilt };
}

const cache = new Map<string, { backend: NativeBackend } | { error: string }>();

/**
 * Loads the addon (once per path). `addonPath` overrides the location; by default WINNOW_NATIVE_ADDON,
 * else <package root>/build/Release/winnow_native.node. Never throws: failures come back as { error }.
 */
export function loadNativeBackend(addonPath?: string): { backend: NativeBackend } | { error: string } {
  const resolved = nativeAddonPath(addonPath);
  if ('error' in resolved) return resolved;
  const path = resolved.path;
  const hit = cache.get(path);
  if (hit) return hit;
  let result: { backend: NativeBackend } | { error: string };
  if (!existsSync(path)) {
    const explicit = Boolean(addonPath ?? process.env['WINNOW_NATIVE_ADDON']);  // a path the caller chose: no prebuilt stands in for it
    result = { error: explicit ? `${path} not found` : `${path} not found and no prebuilt binary for ${process.platform}-${process.arch} (${PREBUILT_RELATIVE}); build it with npm run build:native` };
  } else {
    try {
      const require = createRequire(import.meta.url);
      result = { backend: wrap(require(path) as NativeAddon) };
    } catch (e) {
      result = { error: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
    }
  }
  cache.set(path, result);
  return result;
}
