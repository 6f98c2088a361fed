// Sparse storage encodings with exact byte accounting (docs/FORMATS.md §12–§13).
// (Long on purpose: one table row per encoding holds all of that encoding's behaviour, as quant/formats.ts does.)
// A payload is [index section][value codes][value scales]; values are the encoding's stored value
// list, quantized by any number format (src/quant/formats.ts). predictBytes() from mask statistics
// equals the encoded payload length exactly — asserted on every encode.
// Each encoding is one row of ENCODINGS (an Encoding holding all its behaviour: counts, index bytes,
// header checks, encode, decode), like the number formats of src/quant/formats.ts; the exported
// functions are generic over that table.
//
// | encoding | index section                                              | stored values            |
// |----------|------------------------------------------------------------|--------------------------|
// | dense    | none                                                       | all rows·cols            |
// | csr      | rowPtr (rows+1) × w_r, then colIdx nnz × w_c; w ∈ {1,2,4} B, narrowest that fits (w_r holds nnz, w_c holds cols−1) | nnz |
// | bitmask  | rows × ceil(cols/8) bytes, LSB-first per row (compressed-tensors) | nnz                |
// | gap4/8   | one b-bit gap per entry (b = 4: two per byte, low nibble first); position = prev + gap + 1 over the row-major linear index; a gap > 2^b − 1 inserts a FILLER entry (gap 2^b − 1, value 0), Deep Compression / EIE | nnz + fillers |
// | 2:4      | per group of 4 along a row: two 2-bit slot indices i0 < i1 in one nibble (bits 0–1 = i0, 2–3 = i1; even group in the low nibble) | rows·cols/2 (2 per group; missing nonzeros padded with zero slots) |
import { UserError } from '../util/errors.js';
import { FORMATS, type FormatName, type IntGridValues, type NumberFormat, getFormat } from '../quant/formats.js';

export const ENCODING_NAMES = ['dense', 'csr', 'bitmask', 'gap4', 'gap8', '2:4'] as const;
export type EncodingName = (typeof ENCODING_NAMES)[number];

export function isEncodingName(s: unknown): s is EncodingName {
  return typeof s === 'string' && (ENCODING_NAMES as readonly string[]).includes(s);
}

/** Everything the byte accounting needs about a mask (nonzero = value !== 0; NaN counts as nonzero). */
export interface MaskStats {
  readonly rows: number;
  readonly cols: number;
  readonly numel: number;
  readonly nnz: number;
  /** Entries (nonzeros + fillers) for 4- and 8-bit gaps. */
  readonly gapEntries4: number;
  readonly gapEntries8: number;
  /** cols % 4 === 0 and every group of 4 along a row has ≤ 2 nonzeros. */
  readonly is24: boolean;
}

export function maskStats(values: Float32Array, shape: readonly [number, number]): MaskStats {
  const [rows, cols] = shape;
  const numel = rows * cols;
  if (values.length !== numel) throw new Error(`maskStats: ${values.length} values for shape [${rows}, ${cols}]`);
  let nnz = 0, fill4 = 0, fill8 = 0, prev = -1;
  let is24 = cols % 4 === 0;
  for (let i = 0; i < numel; i++) {
    if (values[i] !== 0) {
      const gap = i - prev - 1;
      fill4 += gap >>> 4; fill8 += gap >>> 8; // each filler covers 2^b positions
      prev = i; nnz++;
    }
  }
  if (is24) {
    for (let g = 0; g < numel && is24; g += 4) {
      let k = 0;
      for (let j = 0; j < 4; j++) if (values[g + j] !== 0) k++;
      if (k > 2) is24 = false;
    }
  }
  return { rows, cols, numel, nnz, gapEntries4: nnz + fill4, gapEntries8: nnz + fill8, is24 };
}

/** Narrowest unsigned width (bytes) holding 0..max. */
export function indexWidth(max: number): 1 | 2 | 4 {
  return max <= 0xff ? 1 : max <= 0xffff ? 2 : 4;
}

/** What the header of a stored tensor says; enough to know every section's size. */
export interface TensorLayout {
  readonly rows: number;
  readonly cols: number;
  readonly format: FormatName;
  readonly encoding: EncodingName;
  /** Nonzeros of the mask that was encoded (informational for dense/gap/2:4). */
  readonly nnz: number;
  /** Values in the stored value list. */
  readonly stored: number;
}

// ---- the encodings: one row each, holding all its behaviour ----

/** Stored values, with their row split when it is not implied (per-row scales need it). */
interface ValueList { list: Float32Array; rowPtr?: Uint32Array }
/** Linear positions of the stored values (null = dense, in order) and their row split. */
interface Structure { pos: Uint32Array | null; rowPtr?: Uint32Array }
/** Throws the UserError for a malformed field (decode's `where` is already bound). */
type Bad = (field: string, why: string) => never;

export interface Encoding {
  readonly name: EncodingName;
  /** True when the stored values include zeros the mask does not have (gap fillers, 2:4 padding): needs a zero code. */
  readonly storesZeros: boolean;
  /** Stored value count, from mask statistics. */
  stored(s: MaskStats): number;
  /** Gap fillers among the stored values (reported separately from the nonzeros). */
  fillers(stored: number, nnz: number): number;
  /** Exact bytes of the index section. */
  indexBytes(rows: number, cols: number, stored: number): number;
  /** Why this encoding cannot hold the mask at all (format aside), or null. */
  inapplicable(s: MaskStats): string | null;
  /** Checks a header's stored count (and shape) for this encoding: [field, why] or null. */
  checkLayout(l: TensorLayout): [field: string, why: string] | null;
  /** Writes the index section (`index`, zero-filled, indexBytes long) and returns the stored value list. */
  encode(values: Float32Array, rows: number, cols: number, stored: number, index: Uint8Array): ValueList;
  /** Reads and validates the index section. */
  structure(l: TensorLayout, index: Uint8Array, bad: Bad): Structure;
}

function writeUint(out: Uint8Array, off: number, width: number, v: number): void {
  for (let k = 0; k < width; k++) out[off + k] = (v >>> (8 * k)) & 0xff;
}
function readUint(b: Uint8Array, off: number, width: number): number {
  let v = 0;
  for (let k = 0; k < width; k++) v += b[off + k]! * 2 ** (8 * k);
  return v;
}

const always = (): null => null;
const noFillers = (): number => 0;
/** csr and bitmask store exactly the nonzeros. */
function storesNnz(l: TensorLayout): [string, string] | null {
  return l.stored !== l.nnz ? ['stored', `${l.encoding} stores nnz = ${l.nnz} values, header says ${l.stored}`] : null;
}

const denseRow: Encoding = {
  name: 'dense',
  storesZeros: false,
  stored: (s) => s.numel,
  fillers: noFillers,
  indexBytes: () => 0,
  inapplicable: always,
  checkLayout: (l) => {
    const numel = l.rows * l.cols;
    return l.stored !== numel ? ['stored', `dense stores ${numel} values, header says ${l.stored}`] : null;
  },
  encode: (values) => ({ list: values }),
  structure: () => ({ pos: null }),
};

const csrRow: Encoding = {
  name: 'csr',
  storesZeros: false,
  stored: (s) => s.nnz,
  fillers: noFillers,
  indexBytes: (rows, cols, stored) => (rows + 1) * indexWidth(stored) + stored * indexWidth(cols - 1),
  inapplicable: always,
  checkLayout: storesNnz,
  encode(values, rows, cols, stored, index) {
    const wr = indexWidth(stored), wc = indexWidth(cols - 1);
    const list = new Float32Array(stored), rowPtr = new Uint32Array(rows + 1);
    let k = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = values[r * cols + c]!;
        if (v !== 0) { writeUint(index, (rows + 1) * wr + k * wc, wc, c); list[k++] = v; }
      }
      rowPtr[r + 1] = k;
    }
    for (let r = 0; r <= rows; r++) writeUint(index, r * wr, wr, rowPtr[r]!);
    return { list, rowPtr };
  },
  structure(l, index, bad) {
    const { rows, cols, stored } = l;
    const wr = indexWidth(stored), wc = indexWidth(cols - 1);
    const rowPtr = new Uint32Array(rows + 1), pos = new Uint32Array(stored);
    for (let r = 0; r <= rows; r++) rowPtr[r] = readUint(index, r * wr, wr);
    if (rowPtr[0] !== 0) bad('csr rowPtr[0]', `must be 0, found ${rowPtr[0]}`);
    if (rowPtr[rows] !== stored) bad(`csr rowPtr[${rows}]`, `must equal nnz ${stored}, found ${rowPtr[rows]}`);
    for (let r = 0; r < rows; r++) {
      if (rowPtr[r + 1]! < rowPtr[r]!) bad(`csr rowPtr[${r + 1}]`, `decreases (${rowPtr[r]} → ${rowPtr[r + 1]})`);
      let last = -1;
      for (let k = rowPtr[r]!; k < rowPtr[r + 1]!; k++) {
        const c = readUint(index, (rows + 1) * wr + k * wc, wc);
        if (c >= cols) bad(`csr colIdx[${k}]`, `${c} out of range for ${cols} columns`);
        if (c <= last) bad(`csr colIdx[${k}]`, `columns of row ${r} must strictly increase (${last} then ${c})`);
        last = c; pos[k] = r * cols + c;
      }
    }
    return { pos, rowPtr };
  },
};

const bitmaskRow: Encoding = {
  name: 'bitmask',
  storesZeros: false,
  stored: (s) => s.nnz,
  fillers: noFillers,
  indexBytes: (rows, cols) => rows * Math.ceil(cols / 8),
  inapplicable: always,
  checkLayout: storesNnz,
  encode(values, rows, cols, stored, index) {
    const rb = Math.ceil(cols / 8);
    const list = new Float32Array(stored), rowPtr = new Uint32Array(rows + 1);
    let k = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = values[r * cols + c]!;
        if (v !== 0) { index[r * rb + (c >>> 3)]! |= 1 << (c & 7); list[k++] = v; }
      }
      rowPtr[r + 1] = k;
    }
    return { list, rowPtr };
  },
  structure(l, index, bad) {
    const { rows, cols, stored } = l;
    const rb = Math.ceil(cols / 8);
    const rowPtr = new Uint32Array(rows + 1), pos = new Uint32Array(stored);
    let k = 0;
    for (let r = 0; r < rows; r++) {
      const tail = cols & 7;
      if (tail !== 0 && (index[r * rb + rb - 1]! >>> tail) !== 0) bad(`bitmask row ${r}`, `bits set beyond column ${cols}`);
      for (let c = 0; c < cols; c++) {
        if ((index[r * rb + (c >>> 3)]! >>> (c & 7)) & 1) {
          if (k >= stored) bad('bitmask', `more set bits than nnz ${stored}`);
          pos[k++] = r * cols + c;
        }
      }
      rowPtr[r + 1] = k;
    }
    if (k !== stored) bad('bitmask', `${k} set bits, header nnz says ${stored}`);
    return { pos, rowPtr };
  },
};

/** b-bit gaps over the row-major linear index; a gap > 2^b − 1 inserts a filler entry (gap 2^b − 1, value 0). */
function gapRow(b: 4 | 8): Encoding {
  const maxGap = (1 << b) - 1;
  return {
    name: b === 4 ? 'gap4' : 'gap8',
    storesZeros: true,
    stored: (s) => (b === 4 ? s.gapEntries4 : s.gapEntries8),
    fillers: (stored, nnz) => stored - nnz,
    indexBytes: (_rows, _cols, stored) => (b === 4 ? Math.ceil(stored / 2) : stored),
    inapplicable: always,
    checkLayout: (l) => {
      const numel = l.rows * l.cols;
      return l.stored < l.nnz || l.stored > numel ? ['stored', `gap entries ${l.stored} must lie in [nnz = ${l.nnz}, ${numel}]`] : null;
    },
    encode(values, rows, cols, stored, index) {
      const list = new Float32Array(stored), rowPtr = new Uint32Array(rows + 1);
      let k = 0, prev = -1;
      const emit = (gap: number, pos: number, v: number) => {
        if (b === 8) index[k] = gap; else index[k >>> 1]! |= gap << (4 * (k & 1));
        list[k] = v; rowPtr[Math.floor(pos / cols) + 1]!++; k++;
      };
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (v === 0) continue;
        while (i - prev - 1 > maxGap) { prev += maxGap + 1; emit(maxGap, prev, 0); } // filler zero
        emit(i - prev - 1, i, v); prev = i;
      }
      for (let r = 0; r < rows; r++) rowPtr[r + 1]! += rowPtr[r]!;
      return { list, rowPtr };
    },
    structure(l, index, bad) {
      const { rows, cols, stored } = l;
      const numel = rows * cols;
      const rowPtr = new Uint32Array(rows + 1), pos = new Uint32Array(stored);
      let p = -1;
      for (let k = 0; k < stored; k++) {
        const gap = b === 8 ? index[k]! : (index[k >>> 1]! >>> (4 * (k & 1))) & 15;
        p += gap + 1;
        if (p >= numel) bad(`gap entry ${k}`, `position ${p} beyond ${numel} elements`);
        pos[k] = p; rowPtr[Math.floor(p / cols) + 1]!++;
      }
      if (b === 4 && (stored & 1) && index[stored >>> 1]! >>> 4) bad('gap stream', 'padding nibble must be 0');
      for (let r = 0; r < rows; r++) rowPtr[r + 1]! += rowPtr[r]!;
      return { pos, rowPtr };
    },
  };
}

const twoFourRow: Encoding = {
  name: '2:4',
  storesZeros: true,
  stored: (s) => s.numel / 2,
  fillers: noFillers,
  indexBytes: (rows, cols) => Math.ceil((rows * cols) / 4 / 2),
  inapplicable: (s) => {
    if (s.cols % 4 !== 0) return `2:4 needs a row length divisible by 4, got ${s.cols}`;
    if (!s.is24) return 'tensor is not 2:4 sparse (a group of 4 has more than 2 nonzeros; use prune24())';
    return null;
  },
  checkLayout: (l) => {
    const numel = l.rows * l.cols;
    if (l.cols % 4 !== 0) return ['shape', `2:4 needs a row length divisible by 4, got ${l.cols}`];
    if (l.stored !== numel / 2) return ['stored', `2:4 stores ${numel / 2} values, header says ${l.stored}`];
    if (l.nnz > l.stored) return ['nnz', `2:4 holds at most ${l.stored} nonzeros, header says ${l.nnz}`];
    return null;
  },
  encode(values, rows, cols, stored, index) {
    const half = cols / 2;
    const list = new Float32Array(stored);
    for (let g = 0, k = 0; g < values.length; g += 4, k += 2) {
      let i0 = -1, i1 = -1;
      for (let j = 0; j < 4; j++) if (values[g + j] !== 0) { if (i0 < 0) i0 = j; else i1 = j; }
      // Pad with the lowest unused slots so i0 < i1 always holds.
      if (i0 < 0) { i0 = 0; i1 = 1; } else if (i1 < 0) { if (i0 === 0) i1 = 1; else { i1 = i0; i0 = 0; } }
      index[(g >>> 2) >>> 1]! |= (i0 | (i1 << 2)) << (4 * ((g >>> 2) & 1));
      list[k] = values[g + i0]!; list[k + 1] = values[g + i1]!;
    }
    const rowPtr = new Uint32Array(rows + 1);
    for (let r = 0; r <= rows; r++) rowPtr[r] = r * half;
    return { list, rowPtr };
  },
  structure(l, index, bad) {
    const { rows, cols, stored } = l;
    const groups = (rows * cols) / 4;
    const pos = new Uint32Array(stored);
    for (let g = 0; g < groups; g++) {
      const nib = (index[g >>> 1]! >>> (4 * (g & 1))) & 15;
      const i0 = nib & 3, i1 = nib >>> 2;
      if (i0 >= i1) bad(`2:4 group ${g}`, `slot indices must satisfy i0 < i1, found ${i0}, ${i1}`);
      pos[2 * g] = 4 * g + i0; pos[2 * g + 1] = 4 * g + i1;
    }
    if ((groups & 1) && index[groups >>> 1]! >>> 4) bad('2:4 index', 'padding nibble must be 0');
    const rowPtr = new Uint32Array(rows + 1);
    for (let r = 0; r <= rows; r++) rowPtr[r] = (r * cols) / 2;
    return { pos, rowPtr };
  },
};

const ROWS: Encoding[] = [denseRow, csrRow, bitmaskRow, gapRow(4), gapRow(8), twoFourRow];

/** The table: one row per encoding, keyed by name (in ENCODING_NAMES order). */
export const ENCODINGS: Readonly<Record<EncodingName, Encoding>> = Object.freeze(
  Object.fromEntries(ROWS.map((r) => [r.name, r])) as Record<EncodingName, Encoding>,
);
if (ROWS.map((r) => r.name).join() !== ENCODING_NAMES.join()) throw new Error('encodings: ROWS out of step with ENCODING_NAMES');

// ---- generic accounting over the table ----

/** Stored value count for an encoding, from mask statistics. */
export function storedCount(encoding: EncodingName, s: MaskStats): number {
  return ENCODINGS[encoding].stored(s);
}

/** Exact bytes of the index section. */
export function indexBytes(encoding: EncodingName, rows: number, cols: number, stored: number): number {
  return ENCODINGS[encoding].indexBytes(rows, cols, stored);
}

/** Exact payload bytes: index + codes + scales. */
export function payloadBytes(l: TensorLayout): number {
  return indexBytes(l.encoding, l.rows, l.cols, l.stored) + FORMATS[l.format].bytes(l.stored, l.rows);
}

/** Why `encoding` cannot hold this mask in `format`, or null if it can. */
export function inapplicable(encoding: EncodingName, s: MaskStats, format: NumberFormat): string | null {
  const e = ENCODINGS[encoding];
  const why = e.inapplicable(s);
  if (why) return why;
  if (e.storesZeros && !format.hasZero) return `${encoding} stores zero-valued fillers, which ${format.name} cannot represent`;
  return null;
}

/** Checks a header's layout is self-consistent; returns the offending field and why, or null. */
export function checkLayout(l: TensorLayout): [field: string, why: string] | null {
  const numel = l.rows * l.cols;
  if (l.nnz > numel) return ['nnz', `${l.nnz} exceeds ${numel} elements`];
  const e = ENCODINGS[l.encoding];
  const bad = e.checkLayout(l);
  if (bad) return bad;
  if (e.storesZeros && !FORMATS[l.format].hasZero) return ['format', `${l.encoding} cannot use ${l.format} (no zero code for fillers)`];
  return null;
}

export interface EncodingReport {
  encoding: EncodingName;
  format: FormatName;
  bytes: number;
  indexBytes: number;
  valueBytes: number;
  /** Stored values including fillers / 2:4 padding slots. */
  stored: number;
  fillers: number;
  nnz: number;
  numel: number;
  /** 8·bytes / numel. */
  bitsPerWeight: number;
  /** 8·bytes / nnz: values + indices + fillers + row pointers + scales (Infinity when nnz = 0). */
  bitsPerNonzero: number;
}

/** Exact byte accounting from mask statistics alone (no quantization performed). */
export function predictBytes(encoding: EncodingName, s: MaskStats, format: FormatName): number {
  return payloadBytes({ rows: s.rows, cols: s.cols, format, encoding, nnz: s.nnz, stored: storedCount(encoding, s) });
}

export function encodingReport(encoding: EncodingName, s: MaskStats, format: FormatName): EncodingReport {
  const stored = storedCount(encoding, s);
  const ib = indexBytes(encoding, s.rows, s.cols, stored);
  const vb = FORMATS[format].bytes(stored, s.rows);
  const bytes = ib + vb;
  return {
    encoding, format, bytes, indexBytes: ib, valueBytes: vb, stored,
    fillers: ENCODINGS[encoding].fillers(stored, s.nnz),
    nnz: s.nnz, numel: s.numel, bitsPerWeight: (8 * bytes) / s.numel, bitsPerNonzero: (8 * bytes) / s.nnz,
  };
}

export interface Choice {
  encoding: EncodingName;
  bytes: number;
  candidates: Array<{ encoding: EncodingName; bytes: number } | { encoding: EncodingName; reason: string }>;
}

/** The applicable encoding with the fewest bytes (ties: earlier in ENCODING_NAMES, so dense wins ties). */
export function chooseSmallest(s: MaskStats, format: FormatName): Choice {
  const f = FORMATS[format];
  let best: { encoding: EncodingName; bytes: number } | null = null;
  const candidates: Choice['candidates'] = [];
  for (const e of ENCODING_NAMES) {
    const why = inapplicable(e, s, f);
    if (why) { candidates.push({ encoding: e, reason: why }); continue; }
    const bytes = predictBytes(e, s, format);
    candidates.push({ encoding: e, bytes });
    if (!best || bytes < best.bytes) best = { encoding: e, bytes };
  }
  return { ...best!, candidates }; // dense always applies
}

/** 2:4 pruning: keeps the 2 largest magnitudes in every group of 4 along a row (ties: lower index). */
export function prune24(values: Float32Array, shape: readonly [number, number]): Float32Array {
  const [rows, cols] = shape;
  if (cols % 4 !== 0) throw new UserError(`prune24: row length must be divisible by 4, got ${cols}`);
  if (values.length !== rows * cols) throw new Error(`prune24: ${values.length} values for shape [${rows}, ${cols}]`);
  const out = new Float32Array(values.length);
  const mag = (x: number) => (Number.isNaN(x) ? Infinity : Math.abs(x));
  for (let g = 0; g < values.length; g += 4) {
    let a = -1, b = -1; // indices of the largest and second largest
    for (let j = 0; j < 4; j++) {
      const m = mag(values[g + j]!);
      if (a < 0 || m > mag(values[g + a]!)) { b = a; a = j; }
      else if (b < 0 || m > mag(values[g + b]!)) b = j;
    }
    out[g + a] = values[g + a]!; out[g + b] = values[g + b]!;
  }
  return out;
}

// ---- encode ----

export interface EncodedMatrix {
  readonly layout: TensorLayout;
  readonly payload: Uint8Array;
}

/** Encodes a dense [rows, cols] matrix with the given encoding, values in `format`. */
export function encodeMatrix(values: Float32Array, shape: readonly [number, number], format: FormatName, encoding: EncodingName,
  stats: MaskStats = maskStats(values, shape), grid?: IntGridValues): EncodedMatrix {
  const f = getFormat(format);
  const [rows, cols] = shape;
  const why = inapplicable(encoding, stats, f);
  if (why) throw new UserError(why);
  const stored = storedCount(encoding, stats);
  const layout: TensorLayout = { rows, cols, format, encoding, nnz: stats.nnz, stored };
  const ib = indexBytes(encoding, rows, cols, stored);
  const index = new Uint8Array(ib);
  const { list, rowPtr } = ENCODINGS[encoding].encode(values, rows, cols, stored, index);
  const q = f.quantize(list, [rows, cols], rowPtr, grid);
  const payload = new Uint8Array(ib + q.codes.length + q.scales.length);
  payload.set(index, 0); payload.set(q.codes, ib); payload.set(q.scales, ib + q.codes.length);
  const predicted = payloadBytes(layout);
  if (payload.length !== predicted) throw new Error(`BUG: ${encoding}/${format} payload ${payload.length} B, predicted ${predicted} B`);
  return { layout, payload };
}

// ---- decode (validating: every malformed payload is a UserError naming `where`) ----

/** Linear positions of the stored values (null = dense) and their row split, validated. */
function structure(l: TensorLayout, index: Uint8Array, where: string): Structure {
  const bad = (field: string, why: string): never => { throw new UserError(`${where}: ${field}: ${why}`); };
  return ENCODINGS[l.encoding].structure(l, index, bad);
}

function sections(l: TensorLayout, payload: Uint8Array, where: string) {
  const expect = payloadBytes(l);
  if (payload.length !== expect) throw new UserError(`${where}: payload is ${payload.length} bytes, layout needs ${expect}`);
  const f = FORMATS[l.format];
  const ib = indexBytes(l.encoding, l.rows, l.cols, l.stored), cb = f.codeBytes(l.stored);
  return { f, index: payload.subarray(0, ib), codes: payload.subarray(ib, ib + cb), scales: payload.subarray(ib + cb) };
}

/** Full structural validation (indices and codes) without dequantizing. Throws UserError. */
export function validateMatrix(m: EncodedMatrix, where: string): void {
  const { f, index, codes, scales } = sections(m.layout, m.payload, where);
  const st = structure(m.layout, index, where);
  const why = f.checkCodes({ format: f.name, shape: [m.layout.rows, m.layout.cols], count: m.layout.stored, codes, scales, ...(st.rowPtr ? { rowPtr: st.rowPtr } : {}) });
  if (why) throw new UserError(`${where}: values: ${why}`);
}

/** Decodes to a dense row-major float32 matrix. */
export function decodeMatrix(m: EncodedMatrix, where = 'tensor'): Float32Array {
  const l = m.layout;
  const { f, index, codes, scales } = sections(l, m.payload, where);
  const st = structure(l, index, where);
  const vals = f.dequantize({ format: f.name, shape: [l.rows, l.cols], count: l.stored, codes, scales, ...(st.rowPtr ? { rowPtr: st.rowPtr } : {}) });
  if (!st.pos) return vals;
  const out = new Float32Array(l.rows * l.cols);
  for (let k = 0; k < st.pos.length; k++) out[st.pos[k]!] = vals[k]!;
  return out;
}

// ---- named N-d tensors (what model files hold) ----

/** A named tensor as stored in a model file. `shape` is the original N-d shape (row-major). */
export interface EncodedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly format: FormatName;
  readonly encoding: EncodingName;
  readonly nnz: number;
  readonly stored: number;
  readonly payload: Uint8Array;
}

/** A planned tensor: everything but the payload, with its exact byte count. */
export type TensorPlan = Omit<EncodedTensor, 'payload'> & { readonly bytes: number };

/** The 2-D view used for rows/channels: [shape[0], product of the rest]; rank 1 → [1, n]; rank 0 → [1, 1]. */
export function matrixView(shape: readonly number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [1, shape[0]!];
  let cols = 1;
  for (let i = 1; i < shape.length; i++) cols *= shape[i]!;
  return [shape[0]!, cols];
}

function layoutOf(t: Omit<EncodedTensor, 'payload' | 'name'>): TensorLayout {
  const [rows, cols] = matrixView(t.shape);
  return { rows, cols, format: t.format, encoding: t.encoding, nnz: t.nnz, stored: t.stored };
}

/** Plans (exact bytes, chosen encoding) without quantizing. */
export function planTensor(name: string, values: Float32Array, shape: readonly number[], format: FormatName,
  encoding: EncodingName | 'auto' = 'auto'): TensorPlan {
  const view = matrixView(shape);
  const s = maskStats(values, view);
  getFormat(format);
  const enc = encoding === 'auto' ? chooseSmallest(s, format).encoding : encoding;
  const why = inapplicable(enc, s, FORMATS[format]);
  if (why) throw new UserError(`${name}: ${why}`);
  const stored = storedCount(enc, s);
  return { name, shape: [...shape], format, encoding: enc, nnz: s.nnz, stored, bytes: predictBytes(enc, s, format) };
}

/** Quantizes and encodes one named tensor ('auto' = smallest applicable encoding for this format). */
export function encodeTensor(name: string, values: Float32Array, shape: readonly number[], format: FormatName,
  encoding: EncodingName | 'auto' = 'auto', grid?: IntGridValues): EncodedTensor {
  const view = matrixView(shape);
  if (values.length !== view[0] * view[1]) throw new UserError(`${name}: ${values.length} values do not fit shape [${shape.join(', ')}]`);
  const s = maskStats(values, view);
  getFormat(format);
  const enc = encoding === 'auto' ? chooseSmallest(s, format).encoding : encoding;
  const why = inapplicable(enc, s, FORMATS[format]);
  if (why) throw new UserError(`${name}: ${why}`);
  const m = encodeMatrix(values, view, format, enc, s, grid);
  return { name, shape: [...shape], format, encoding: enc, nnz: s.nnz, stored: m.layout.stored, payload: m.payload };
}

export function tensorLayout(t: Omit<EncodedTensor, 'payload' | 'name'>): TensorLayout { return layoutOf(t); }

/** Dense float32 (row-major, original shape). */
export function decodeTensor(t: EncodedTensor): Float32Array {
  return decodeMatrix({ layout: layoutOf(t), payload: t.payload }, `tensor '${t.name}'`);
}

export function validateTensor(t: EncodedTensor, where: string): void {
  validateMatrix({ layout: layoutOf(t), payload: t.payload }, where);
}

export interface Csr {
  readonly rows: number;
  readonly cols: number;
  readonly rowPtr: Uint32Array;
  readonly colIdx: Uint32Array;
  readonly values: Float32Array;
}

/** CSR of the decoded tensor's 2-D view, exact zeros dropped (fillers, padding, values quantized to 0). */
export function denseToCsr(dense: Float32Array, rows: number, cols: number): Csr {
  let nnz = 0;
  for (let i = 0; i < dense.length; i++) if (dense[i] !== 0) nnz++;
  const rowPtr = new Uint32Array(rows + 1), colIdx = new Uint32Array(nnz), values = new Float32Array(nnz);
  let k = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = dense[r * cols + c]!;
      if (v !== 0) { colIdx[k] = c; values[k++] = v; }
    }
    rowPtr[r + 1] = k;
  }
  return { rows, cols, rowPtr, colIdx, values };
}

export function decodeTensorCsr(t: EncodedTensor): Csr {
  const [rows, cols] = matrixView(t.shape);
  return denseToCsr(decodeTensor(t), rows, cols);
}
