// The batch-1 decoder's format per matrix, measured on the machine at hand.
//
// Which of dense, sliced ELL and 2:4 runs a pruned matrix fastest depends on the core (vector width,
// permute and load throughput, cache sizes) as much as on the density: on one Zen 5 the fixed rule's
// 60% sliced-ELL bound held, without AVX-512 it had to drop to 25%, and another core would need its own
// numbers. measuredFormat times every format the matrix can run in (dense; sliced ELL; 2:4 where every
// group of 4 keeps ≤ 2) on the matrix's own weights, the formats interleaved over a few rounds (the
// minimum of each, which resists a busy machine), and picks the fastest.
//
// Results are cached per process and on disk, in `$XDG_CACHE_HOME/winnow/decoder-formats.json` (or
// ~/.cache/winnow), keyed by backend, ISA, CPU model, shape, density (to 1%) and pattern (2:4 or not), so
// a machine measures each kind of matrix once and later runs reuse the choice: with the cache in place the
// same model and seed give the same bits. Formats sum in different orders, so two machines (or a cleared
// cache on a close call) may pick differently and their logits differ in the last bits; GptDecoder.matrices()
// reports the choice. The reference backend is not measured (its timings say nothing about native
// kernels): it follows the fixed rule (decode.ts pickFormat).
import { cpus } from 'node:os';
import type { Backend, DecoderFormat, F32 } from '../../backend/backend.js';
import { toNm24 } from '../../backend/nm24-reference.js';
import { measurementCacheFile, readMeasurementCache, writeMeasurementCache } from '../../util/measurement-cache.js';

export interface FormatTimingOptions {
  /** Cache file; null: no disk cache. Default `$XDG_CACHE_HOME/winnow/decoder-formats.json`. */
  cacheFile?: string | null;
  /** Clock in seconds (tests inject one). */
  now?: () => number;
}

const VERSION = 1;
const FORMATS: readonly DecoderFormat[] = ['dense', 'sell', '2:4'];
const memo = new Map<string, DecoderFormat>();

export function defaultFormatCacheFile(): string { return measurementCacheFile('decoder-formats.json'); }

/** Forgets the per-process results (tests). */
export function clearFormatMemo(): void { memo.clear(); }

/** The formats a [rows × cols] matrix with these weights can run in, in the order they are timed. */
export function formatCandidates(w: F32, rows: number, cols: number): DecoderFormat[] {
  return FORMATS.filter((f) => f !== '2:4' || toNm24(w, rows, cols) !== null);
}

/** The fastest batch-1 format for this matrix on `be`, measured once per kind of matrix (see above). */
export function measuredFormat(be: Backend, w: F32, rows: number, cols: number, opts: FormatTimingOptions = {}): DecoderFormat {
  const cacheFile = opts.cacheFile === undefined ? defaultFormatCacheFile() : opts.cacheFile;
  const now = opts.now ?? (() => Number(process.hrtime.bigint()) / 1e9);
  const candidates = formatCandidates(w, rows, cols);
  let nnz = 0;
  for (let i = 0; i < rows * cols; i++) if (w[i] !== 0) nnz++;
  const density = rows * cols > 0 ? nnz / (rows * cols) : 1;
  const key = `v${VERSION} ${be.name}/${be.detail}/${cpus()[0]?.model ?? 'unknown'} ${rows}x${cols} d=${density.toFixed(2)} ${candidates.includes('2:4') ? '2:4' : 'unstructured'}`;
  const hit = memo.get(key) ?? (cacheFile ? readMeasurementCache(cacheFile)[key] : undefined);
  if (typeof hit === 'string' && candidates.includes(hit as DecoderFormat)) { memo.set(key, hit as DecoderFormat); return hit as DecoderFormat; }
  const times = timeFormats(be, w, rows, cols, candidates, now);
  let best = candidates[0]!;
  for (const f of candidates) if (times.get(f)! < times.get(best)!) best = f;
  memo.set(key, best);
  if (cacheFile) writeMeasurementCache(cacheFile, key, best);
  return best;
}

/** Seconds per mat-vec of each format: the minimum over rounds, the formats interleaved in each round. */
export function timeFormats(be: Backend, w: F32, rows: number, cols: number, formats: readonly DecoderFormat[], now: () => number): Map<DecoderFormat, number> {
  const x = new Float32Array(cols).map((_, i) => ((i * 7919) % 113) / 113 - 0.5), y = new Float32Array(rows);
  const runs = formats.map((f) => { const p = be.prepareMatvec(f, rows, cols, w, null); return { f, run: () => p.forward(x, y) }; });
  const inner = new Map<DecoderFormat, number>(), best = new Map<DecoderFormat, number>();
  for (const { f, run } of runs) {
    run();
    const t0 = now();
    run();
    inner.set(f, Math.max(1, Math.min(200, Math.round(5e-4 / Math.max(now() - t0, 1e-8)))));  // ≈ 0.5 ms per sample
    best.set(f, Infinity);
  }
  for (let r = 0; r < 7; r++) {
    for (const { f, run } of runs) {
      const n = inner.get(f)!, t0 = now();
      for (let i = 0; i < n; i++) run();
      best.set(f, Math.min(best.get(f)!, (now() - t0) / n));
    }
  }
  return best;
}
