// The plain twins of the fused batch-1 GPT decoder (native/decoder.cc): the in-memory layouts of each
// matrix format (native/binding.cc buildDecMatrix lays them out the same way), their mat-vecs summed in
// float64, and the whole decoder step. Slow and obvious: the oracle the native step is tested against.
import type { DecoderFormat, DecoderMatrix, DecoderSpec, F32, PreparedDecoder, PreparedMatvec } from './backend.js';
import { nm24MatvecReference, toNm24 } from './nm24-reference.js';
import { geluForward, layerNormForward } from './transformer-reference.js';

/** CSR with 16-bit column indices, each row padded to a multiple of 4 entries with value 0 at column `cols`. */
export function toPaddedCsr(w: F32, rows: number, cols: number): { rowPtr: Int32Array; idx: Uint16Array; values: F32 } {
  if (cols >= 65536) throw new Error(`a CSR decoder matrix needs cols < 65536, got ${cols}`);
  const rowPtr = new Int32Array(rows + 1), idx: number[] = [], values: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) if (w[r * cols + c] !== 0) { idx.push(c); values.push(w[r * cols + c]!); }
    while (idx.length % 4 !== 0) { idx.push(cols); values.push(0); }
    rowPtr[r + 1] = idx.length;
  }
  return { rowPtr, idx: Uint16Array.from(idx), values: Float32Array.from(values) };
}

/** y[r] = Σ values[q]·x[idx[q]] over the row's entries; x[cols] reads as 0 (the padding's column). */
export function paddedCsrMatvecReference(rows: number, cols: number, rowPtr: Int32Array, idx: Uint16Array, values: F32, x: F32, y: F32): void {
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let q = rowPtr[r]!; q < rowPtr[r + 1]!; q++) s += values[q]! * (idx[q]! < cols ? x[idx[q]!]! : 0);
    y[r] = s;
  }
}

/**
 * The bitmap layout: per row r and block b of 16 columns, bit k of masks[r·⌈cols/16⌉ + b] is set when
 * W[r, 16b + k] ≠ 0; the nonzero values follow each other in row-major order, row r's from rowPtr[r].
 */
export function toBitmap(w: F32, rows: number, cols: number): { masks: Uint16Array; rowPtr: Int32Array; values: F32 } {
  const nb = Math.ceil(cols / 16), masks = new Uint16Array(rows * nb), rowPtr = new Int32Array(rows + 1), values: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) if (w[r * cols + c] !== 0) { masks[r * nb + (c >> 4)]! |= 1 << (c & 15); values.push(w[r * cols + c]!); }
    rowPtr[r + 1] = values.length;
  }
  return { masks, rowPtr, values: Float32Array.from(values) };
}

/** y = W·x for the bitmap layout, walking each mask's set bits in column order. */
export function bitmapMatvecReference(rows: number, cols: number, masks: Uint16Array, rowPtr: Int32Array, values: F32, x: F32, y: F32): void {
  const nb = Math.ceil(cols / 16);
  for (let r = 0; r < rows; r++) {
    let s = 0, q = rowPtr[r]!;
    for (let b = 0; b < nb; b++) for (let k = 0; k < 16; k++) if ((masks[r * nb + b]! >> k) & 1) s += values[q++]! * x[16 * b + k]!;
    if (q !== rowPtr[r + 1]) throw new Error(`bitmap row ${r}: the masks count ${q - rowPtr[r]!} values, rowPtr ${rowPtr[r + 1]! - rowPtr[r]!}`);
    y[r] = s;
  }
}

/**
 * The sliced-ELL layout: rows in slices of 16; for each slice and 32-column window as many layers as the
 * slice's fullest row has nonzeros there; layer l holds, for row i of the slice, its l-th nonzero in the
 * window (values[16l + i], offsets[16l + i] = column − 32·window) or a zero; windows[l] is the window,
 * slicePtr[s] slice s's first layer. Each window's run of layers is padded with zero layers to an even
 * count, and each slice to a multiple of 4 (a zero pair at window 0): the AVX-512 kernel runs four layers
 * at a time and loads each pair's window once.
 */
export function toSell(w: F32, rows: number, cols: number): { slicePtr: Int32Array; windows: Uint16Array; offsets: Uint8Array; values: F32 } {
  const slices = Math.ceil(rows / 16), nw = Math.ceil(cols / 32), slicePtr = new Int32Array(slices + 1);
  const windows: number[] = [], offsets: number[] = [], values: number[] = [];
  for (let s = 0; s < slices; s++) {
    for (let wd = 0; wd < nw; wd++) {
      const perRow: Array<Array<[number, number]>> = [];
      for (let i = 0; i < 16 && 16 * s + i < rows; i++) {
        const r = 16 * s + i, kept: Array<[number, number]> = [];
        for (let c = 32 * wd; c < Math.min(cols, 32 * wd + 32); c++) if (w[r * cols + c] !== 0) kept.push([c - 32 * wd, w[r * cols + c]!]);
        perRow.push(kept);
      }
      const most = Math.max(0, ...perRow.map((k) => k.length)), layers = most + (most % 2);
      for (let l = 0; l < layers; l++) {
        windows.push(wd);
        for (let i = 0; i < 16; i++) { const e = perRow[i]?.[l]; offsets.push(e ? e[0] : 0); values.push(e ? e[1] : 0); }
      }
    }
    if (windows.length % 4 !== 0) for (let l = 0; l < 2; l++) { windows.push(0); for (let i = 0; i < 16; i++) { offsets.push(0); values.push(0); } }
    slicePtr[s + 1] = windows.length;
  }
  return { slicePtr, windows: Uint16Array.from(windows), offsets: Uint8Array.from(offsets), values: Float32Array.from(values) };
}

/** y = W·x for the sliced-ELL layout; x entries past `cols` read as 0. */
export function sellMatvecReference(rows: number, cols: number, slicePtr: Int32Array, windows: Uint16Array, offsets: Uint8Array, values: F32, x: F32, y: F32): void {
  for (let s = 0; 16 * s < rows; s++) {
    const acc = new Float64Array(16);
    for (let l = slicePtr[s]!; l < slicePtr[s + 1]!; l++) {
      for (let i = 0; i < 16; i++) { const c = 32 * windows[l]! + offsets[16 * l + i]!; acc[i]! += values[16 * l + i]! * (c < cols ? x[c]! : 0); }
    }
    for (let i = 0; i < 16 && 16 * s + i < rows; i++) y[16 * s + i] = acc[i]!;
  }
}

/** One matrix laid out in its format: y = W·x + b (b zero when none). */
export function prepareMatvecReference(format: DecoderFormat, rows: number, cols: number, w: F32, bias: F32 | null): PreparedMatvec {
  if (w.length < rows * cols) throw new Error(`w has ${w.length} elements, needs ${rows * cols}`);
  const b = bias ? Float32Array.from(bias.subarray(0, rows)) : new Float32Array(rows);
  let run: (x: F32, y: F32) => void;
  if (format === 'dense') {
    const m = Float32Array.from(w.subarray(0, rows * cols));
    run = (x, y) => { for (let r = 0; r < rows; r++) { let s = 0; for (let c = 0; c < cols; c++) s += m[r * cols + c]! * x[c]!; y[r] = s; } };
  } else if (format === 'csr') {
    const e = toPaddedCsr(w, rows, cols);
    run = (x, y) => paddedCsrMatvecReference(rows, cols, e.rowPtr, e.idx, e.values, x, y);
  } else if (format === '2:4') {
    const e = toNm24(w, rows, cols);
    if (!e) throw new Error(`a [${rows} × ${cols}] matrix that is not 2:4 (cols a multiple of 4, at most 2 nonzeros per group of 4)`);
    run = (x, y) => nm24MatvecReference(rows, cols, e.values, e.offsets, x, y);
  } else if (format === 'bitmap') {
    const e = toBitmap(w, rows, cols);
    run = (x, y) => bitmapMatvecReference(rows, cols, e.masks, e.rowPtr, e.values, x, y);
  } else if (format === 'sell') {
    const e = toSell(w, rows, cols);
    run = (x, y) => sellMatvecReference(rows, cols, e.slicePtr, e.windows, e.offsets, e.values, x, y);
  } else throw new Error(`unknown decoder format '${String(format)}'`);
  return { forward(x: F32, y: F32): void { run(x, y); for (let r = 0; r < rows; r++) y[r]! += b[r]!; } };
}

/** The fused decoder step in plain TypeScript (the same math as native/decoder.cc decoderStep). */
export function prepareDecoderReference(spec: DecoderSpec): PreparedDecoder {
  const { layers: L, heads: H, dim: D, context: T, vocab: V } = spec, hd = D / H, scale = Math.fround(1 / Math.sqrt(hd));
  if (!(D % H === 0 && spec.blocks.length === L)) throw new Error(`decoder: dim ${D} is not a multiple of heads ${H}, or ${spec.blocks.length} blocks for ${L} layers`);
  const mat = (m: DecoderMatrix, rows: number, cols: number): PreparedMatvec => prepareMatvecReference(m.format, rows, cols, m.weights, m.bias);
  const blocks = spec.blocks.map((b) => ({
    ln1Gamma: Float32Array.from(b.ln1Gamma), ln1Beta: Float32Array.from(b.ln1Beta), ln2Gamma: Float32Array.from(b.ln2Gamma), ln2Beta: Float32Array.from(b.ln2Beta),
    attn: mat(b.attn, 3 * D, D), proj: mat(b.proj, D, D), fc: mat(b.fc, 4 * D, D), fcProj: mat(b.fcProj, D, 4 * D),
    keys: new Float32Array(T * D), vals: new Float32Array(T * D),
  }));
  const head = mat({ ...spec.head, bias: null }, V, D);
  const wte = Float32Array.from(spec.wte), wpe = Float32Array.from(spec.wpe), lnG = Float32Array.from(spec.lnFGamma), lnB = Float32Array.from(spec.lnFBeta);
  const x = new Float32Array(D), h = new Float32Array(D), qkv = new Float32Array(3 * D), y = new Float32Array(D), a = new Float32Array(D);
  const f = new Float32Array(4 * D), g = new Float32Array(4 * D), s = new Float64Array(T), mean = new Float32Array(1), rstd = new Float32Array(1);
  let len = 0;
  return {
    get length() { return len; },
    reset() { len = 0; },
    step(token: number, logits: F32): void {
      if (len >= T) throw new Error(`decoder: the cache holds the whole context of ${T} tokens`);
      if (!(Number.isInteger(token) && token >= 0 && token < V)) throw new Error(`decoder: token ${token} outside the vocabulary of ${V}`);
      const t = len;
      for (let d = 0; d < D; d++) x[d] = wte[token * D + d]! + wpe[t * D + d]!;
      for (const b of blocks) {
        layerNormForward(x, b.ln1Gamma, b.ln1Beta, D, 1, h, mean, rstd);
        b.attn.forward(h, qkv);
        b.keys.set(qkv.subarray(D, 2 * D), t * D);
        b.vals.set(qkv.subarray(2 * D, 3 * D), t * D);
        for (let hh = 0; hh < H; hh++) {
          let m = -Infinity;
          for (let j = 0; j <= t; j++) {
            let dot = 0;
            for (let e = 0; e < hd; e++) dot += qkv[hh * hd + e]! * b.keys[j * D + hh * hd + e]!;
            s[j] = scale * dot; m = Math.max(m, s[j]!);
          }
          let sum = 0;
          for (let j = 0; j <= t; j++) { s[j] = Math.exp(s[j]! - m); sum += s[j]!; }
          for (let e = 0; e < hd; e++) {
            let acc = 0;
            for (let j = 0; j <= t; j++) acc += s[j]! * b.vals[j * D + hh * hd + e]!;
            y[hh * hd + e] = acc / sum;
          }
        }
        b.proj.forward(y, a);
        for (let d = 0; d < D; d++) x[d]! += a[d]!;
        layerNormForward(x, b.ln2Gamma, b.ln2Beta, D, 1, h, mean, rstd);
        b.fc.forward(h, f);
        geluForward(f, g, 4 * D);
        b.fcProj.forward(g, a);
        for (let d = 0; d < D; d++) x[d]! += a[d]!;
      }
      layerNormForward(x, lnG, lnB, D, 1, h, mean, rstd);
      head.forward(h, logits);
      len++;
    },
  };
}
