// The 2:4 batch-1 layout of prepared inference layers (format '2:4', native/infer.cc nm24Matvec) and
// its plain twin: per row and group g of 4 columns, two values at columns 4g + offsets[k] (offsets in
// 0..3). The same semantics as the file encoding '2:4' of src/sparse/encodings.ts, in bytes instead of
// nibbles so the kernel can load the offsets directly.
import type { F32, U8 } from './backend.js';

/** y[r] = Σ_k values[r·cols/2 + k] · x[4·⌊k/2⌋ + offsets[r·cols/2 + k]], summed in float64. */
export function nm24MatvecReference(rows: number, cols: number, values: F32, offsets: U8, x: F32, y: F32): void {
  const half = cols / 2;
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let k = 0; k < half; k++) s += values[r * half + k]! * x[4 * (k >> 1) + offsets[r * half + k]!]!;
    y[r] = s;
  }
}

/**
 * A dense row-major [rows × cols] matrix in the 2:4 layout, or null when cols is not a multiple of 4
 * or some group of 4 holds more than 2 nonzeros. Groups with fewer are padded with zero values at the
 * lowest free offsets; the two offsets of a group are increasing.
 */
export function toNm24(w: F32, rows: number, cols: number): { values: F32; offsets: U8 } | null {
  if (cols % 4 !== 0) return null;
  const half = cols / 2, values = new Float32Array(rows * half), offsets = new Uint8Array(rows * half);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < cols / 4; g++) {
      const base = r * cols + 4 * g, kept: number[] = [];
      for (let i = 0; i < 4; i++) if (w[base + i] !== 0) kept.push(i);
      if (kept.length > 2) return null;
      for (let i = 0; kept.length < 2; i++) if (!kept.includes(i)) kept.push(i);
      kept.sort((a, b) => a - b);
      for (let k = 0; k < 2; k++) { values[r * half + 2 * g + k] = w[base + kept[k]!]!; offsets[r * half + 2 * g + k] = kept[k]!; }
    }
  }
  return { values, offsets };
}
