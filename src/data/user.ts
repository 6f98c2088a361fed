// The user's own data, named by a spec wherever a dataset is taken:
//   idx:DIR                       IDX files under any names, gzipped or not, chosen by their headers:
//                                 images = 3-dim unsigned-byte, labels = 1-dim unsigned-byte; train or
//                                 test by the file name ('train'; 'test' or 't10k')
//   csv:FILE[?label=NAME&test=F&scale=standard|minmax|none]
//                                 numeric features, one example per line; the label column is NAME
//                                 (a header name, default the last column); a header line is optional
//   npy:X.npy,y.npy[?test=F&scale=…]      or npy:Xtrain.npy,ytrain.npy,Xtest.npy,ytest.npy
//                                 X: [N, F], [N, H, W] or [N, C, H, W] of u1/i1/u2/i2/i4/i8/f4/f8
//                                 (u1 = pixels, scaled by 1/255); y: [N] integer class indices
// A CSV or a two-file npy set has no test split of its own: a fixed, seed-independent, stratified
// fraction F (default 0.2) is held out as the test set, so every run of every seed tests on the same
// examples. Features are standardized with the training part's mean and deviation (scale=standard,
// the default for CSV and float npy), min-max scaled to [0, 1], or left as they are. Every reader is
// bounded (file size, columns, classes, elements: docs/LIMITS.md) and fails with one line naming the
// file and what was wrong.
// (Over 300 lines: three small readers that share the split, scaling and limits live together.)
import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { gunzipSync, constants as zc } from 'node:zlib';
import { UserError } from '../util/errors.js';
import { readUserFile } from '../util/read.js';
import { Rng } from '../util/rng.js';
import { isGzip, maxIdxBytes } from './idx.js';
import { readIdxDatasetCached } from './idx-dataset.js';
import type { IdxFileSet } from './locate.js';
import { classCounts, stratifiedQuotas, type RawSamples } from './split.js';

export const USER_PREFIXES = ['idx:', 'csv:', 'npy:'] as const;

export function isUserSpec(spec: string): boolean {
  return USER_PREFIXES.some((p) => spec.startsWith(p));
}

/** A user dataset before the validation split. */
export interface UserData {
  readonly name: string;
  /** Absolute paths of the files read (their sizes and times key the cache). */
  readonly files: readonly string[];
  readonly shape: readonly [number, number, number];
  readonly classNames: readonly string[];
  readonly train: RawSamples;
  readonly test: RawSamples;
}

/** Limits (docs/LIMITS.md); each can be raised through its environment variable. */
export function userDataLimits(): { maxFileBytes: number; maxElements: number; maxClasses: number; maxColumns: number; maxDirEntries: number } {
  const env = (k: string, d: number): number => {
    const v = process.env[k];
    if (v === undefined || v === '') return d;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 1) throw new UserError(`$${k}: expected a positive integer, got '${v}'`);
    return n;
  };
  return {
    maxFileBytes: env('WINNOW_MAX_DATA_FILE_BYTES', 2 ** 31 - 1),
    maxElements: env('WINNOW_MAX_DATA_ELEMENTS', 2 ** 28),
    maxClasses: env('WINNOW_MAX_CLASSES', 10_000),
    maxColumns: env('WINNOW_MAX_CSV_COLUMNS', 100_000),
    maxDirEntries: 10_000,
  };
}

interface Query { [k: string]: string }

function splitQuery(spec: string, body: string, allowed: readonly string[]): { path: string; q: Query } {
  const i = body.indexOf('?');
  const path = i < 0 ? body : body.slice(0, i);
  const q: Query = {};
  if (i >= 0) {
    for (const part of body.slice(i + 1).split('&')) {
      if (part === '') continue;
      const eq = part.indexOf('=');
      const k = eq < 0 ? part : part.slice(0, eq), v = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
      if (!allowed.includes(k)) throw new UserError(`--dataset ${spec}: unknown option '${k}' (expected ${allowed.join(', ')})`);
      q[k] = v;
    }
  }
  if (path === '') throw new UserError(`--dataset ${spec}: no file or directory named after '${spec.slice(0, 4)}'`);
  return { path, q };
}

function testFraction(spec: string, q: Query): number {
  if (q['test'] === undefined) return 0.2;
  const f = Number(q['test']);
  if (!(f > 0 && f < 1)) throw new UserError(`--dataset ${spec}: test=${q['test']}: expected a fraction strictly between 0 and 1`);
  return f;
}

export type Scale = 'standard' | 'minmax' | 'none';
function scaleOf(spec: string, q: Query, def: Scale): Scale {
  const s = q['scale'] ?? def;
  if (s !== 'standard' && s !== 'minmax' && s !== 'none') throw new UserError(`--dataset ${spec}: scale=${s}: expected standard, minmax or none`);
  return s;
}

/** Loads a user dataset spec (idx:, csv:, npy:). */
export function loadUserData(spec: string): UserData {
  if (spec.startsWith('idx:')) return loadIdxDir(spec);
  if (spec.startsWith('csv:')) return loadCsv(spec);
  if (spec.startsWith('npy:')) return loadNpy(spec);
  throw new UserError(`--dataset ${spec}: not a user dataset (expected ${USER_PREFIXES.map((p) => `${p}…`).join(', ')})`);
}

/** The files a spec names, for cache keys (size and modification time). */
export function userSpecFiles(spec: string): string[] {
  if (spec.startsWith('idx:')) return [resolve(splitQuery(spec, spec.slice(4), []).path)];
  if (spec.startsWith('csv:')) return [resolve(splitQuery(spec, spec.slice(4), ['label', 'test', 'scale']).path)];
  return splitQuery(spec, spec.slice(4), ['test', 'scale']).path.split(',').map((p) => resolve(p));
}

export function fileStamp(path: string): string {
  try {
    const st = statSync(path);
    return `${path}:${st.size}:${st.mtimeMs}`;
  } catch {
    return `${path}:missing`;
  }
}

// ---------------------------------------------------------------- idx:DIR

/** The first bytes of a (possibly gzipped) file: enough to read an IDX header. */
function idxHead(path: string): Uint8Array | null {
  let fd: number;
  try { fd = openSync(path, 'r'); } catch { return null; }
  try {
    const buf = new Uint8Array(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const head = buf.subarray(0, n);
    if (!isGzip(head)) return head.subarray(0, 4);
    try {
      return new Uint8Array(gunzipSync(head, { finishFlush: zc.Z_SYNC_FLUSH, maxOutputLength: 1 << 24 })).subarray(0, 4);
    } catch {
      return null;
    }
  } finally {
    closeSync(fd);
  }
}

function idxKindOf(head: Uint8Array | null): 'images' | 'labels' | null {
  if (!head || head.length < 4 || head[0] !== 0 || head[1] !== 0 || head[2] !== 0x08) return null;
  return head[3] === 3 ? 'images' : head[3] === 1 ? 'labels' : null;
}

function splitOfName(name: string): 'train' | 'test' | null {
  const n = name.toLowerCase();
  const train = n.includes('train'), test = n.includes('test') || n.includes('t10k');
  return train === test ? null : train ? 'train' : 'test';
}

function loadIdxDir(spec: string): UserData {
  const { path } = splitQuery(spec, spec.slice(4), []);
  const dir = resolve(path);
  let names: string[];
  try {
    const st = statSync(dir);
    if (!st.isDirectory()) throw new UserError(`--dataset ${spec}: ${dir} is not a directory (idx: names a folder of IDX files)`);
    names = readdirSync(dir);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`--dataset ${spec}: cannot read the directory ${dir} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  const lim = userDataLimits();
  if (names.length > lim.maxDirEntries) throw new UserError(`--dataset ${spec}: ${dir} holds ${names.length} entries, more than the ${lim.maxDirEntries} an idx: folder may hold`);
  const found: Record<string, string[]> = { 'train-images': [], 'train-labels': [], 'test-images': [], 'test-labels': [] };
  const unassigned: string[] = [];
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    const p = join(dir, name);
    try { if (!statSync(p).isFile()) continue; } catch { continue; }
    const kind = idxKindOf(idxHead(p));
    if (!kind) continue;
    const split = splitOfName(name);
    if (!split) { unassigned.push(`${name} (${kind})`); continue; }
    found[`${split}-${kind}`]!.push(name);
  }
  const pick = (role: string): string => {
    const list = found[role]!;
    const [split, kind] = role.split('-') as [string, string];
    if (list.length === 0) {
      const hint = unassigned.length ? `; IDX files whose names say neither train nor test: ${unassigned.join(', ')}` : '';
      throw new UserError(`--dataset ${spec}: no ${split} ${kind} in ${dir}: expected a ${kind === 'images' ? '3-dim' : '1-dim'} unsigned-byte IDX file (gzipped or not) whose name contains ${split === 'train' ? "'train'" : "'test' or 't10k'"}${hint}`);
    }
    if (list.length > 1) throw new UserError(`--dataset ${spec}: more than one ${split} ${kind} file in ${dir}: ${list.join(', ')}; keep one`);
    return join(dir, list[0]!);
  };
  const files: IdxFileSet = { trainImages: pick('train-images'), trainLabels: pick('train-labels'), testImages: pick('test-images'), testLabels: pick('test-labels') };
  const raw = readIdxDatasetCached(files, 256);
  let maxLabel = 0;
  for (const s of [raw.train, raw.test]) for (let i = 0; i < s.count; i++) maxLabel = Math.max(maxLabel, s.labels[i]!);
  const classes = maxLabel + 1;
  if (classes < 2) throw new UserError(`--dataset ${spec}: every label in ${basename(files.trainLabels)} and ${basename(files.testLabels)} is 0; a classification task needs at least 2 classes`);
  return {
    name: spec, files: Object.values(files), shape: raw.shape, classNames: Array.from({ length: classes }, (_, i) => String(i)),
    train: raw.train, test: raw.test,
  };
}

// ---------------------------------------------------------------- shared: labels, held-out test, scaling

/** Class names and indices: integer labels 0..k−1 stay as they are; anything else is sorted and numbered. */
function encodeLabels(values: readonly string[], where: string, maxClasses: number): { labels: Int32Array; classNames: string[] } {
  const distinct = [...new Set(values)];
  if (distinct.length > maxClasses) throw new UserError(`${where}: ${distinct.length} distinct labels, more than the limit of ${maxClasses} classes ($WINNOW_MAX_CLASSES)`);
  const ints = distinct.every((v) => /^(0|[1-9]\d{0,8})$/.test(v));
  let classNames: string[];
  if (ints) {
    const max = Math.max(...distinct.map(Number));
    if (max + 1 > maxClasses) throw new UserError(`${where}: label ${max} implies ${max + 1} classes, more than the limit of ${maxClasses} ($WINNOW_MAX_CLASSES)`);
    classNames = Array.from({ length: max + 1 }, (_, i) => String(i));
  } else {
    classNames = distinct.sort();
  }
  if (classNames.length < 2) throw new UserError(`${where}: only one class ('${classNames[0] ?? ''}'); a classification task needs at least 2`);
  const index = new Map(classNames.map((c, i) => [c, i]));
  return { labels: Int32Array.from(values, (v) => index.get(v)!), classNames };
}

/** A fixed stratified hold-out (independent of any run seed): row indices of train and test. */
function holdOut(labels: Int32Array, classes: number, fraction: number, where: string): { train: Int32Array; test: Int32Array } {
  const n = labels.length;
  const nTest = Math.round(n * fraction);
  if (nTest < 1 || n - nTest < 2) throw new UserError(`${where}: ${n} examples are too few to hold out a test fraction of ${fraction} and still train`);
  const quotas = stratifiedQuotas(classCounts(labels, classes), nTest);
  const rng = new Rng(0x5eed).stream('user-test-split');
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) { const j = rng.int(i + 1); const t = perm[i]!; perm[i] = perm[j]!; perm[j] = t; }
  const isTest = new Uint8Array(n);
  const left = quotas.slice();
  for (const r of perm) if (left[labels[r]!]! > 0) { left[labels[r]!]!--; isTest[r] = 1; }
  const train: number[] = [], test: number[] = [];
  for (let i = 0; i < n; i++) (isTest[i] ? test : train).push(i);
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}

function take(x: Float32Array, labels: Int32Array, f: number, rows: Int32Array): RawSamples {
  const px = new Float32Array(rows.length * f);
  const lb = new Int32Array(rows.length);
  rows.forEach((r, i) => { px.set(x.subarray(r * f, (r + 1) * f), i * f); lb[i] = labels[r]!; });
  return { pixels: px, labels: lb, count: rows.length, features: f };
}

/** Scales features in place with statistics of `train` only (applied to both). */
function scale(train: RawSamples, test: RawSamples, how: Scale): void {
  if (how === 'none') return;
  const f = train.features;
  const a = new Float64Array(f), b = new Float64Array(f);
  const tx = train.pixels as Float32Array;
  if (how === 'standard') {
    for (let i = 0; i < train.count; i++) for (let j = 0; j < f; j++) a[j] += tx[i * f + j]!;
    for (let j = 0; j < f; j++) a[j] /= train.count;
    for (let i = 0; i < train.count; i++) for (let j = 0; j < f; j++) { const d = tx[i * f + j]! - a[j]!; b[j] += d * d; }
    for (let j = 0; j < f; j++) { const sd = Math.sqrt(b[j]! / train.count); b[j] = sd > 0 ? 1 / sd : 1; }
  } else {
    a.fill(Infinity); const hi = new Float64Array(f).fill(-Infinity);
    for (let i = 0; i < train.count; i++) for (let j = 0; j < f; j++) { const v = tx[i * f + j]!; if (v < a[j]!) a[j] = v; if (v > hi[j]!) hi[j] = v; }
    for (let j = 0; j < f; j++) b[j] = hi[j]! > a[j]! ? 1 / (hi[j]! - a[j]!) : 1;
  }
  for (const s of [train, test]) {
    const x = s.pixels as Float32Array;
    for (let i = 0; i < s.count; i++) for (let j = 0; j < f; j++) x[i * f + j] = (x[i * f + j]! - a[j]!) * b[j]!;
  }
}

// ---------------------------------------------------------------- csv:FILE

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function splitCsvLine(line: string): string[] {
  return line.split(',').map((c) => {
    const t = c.trim();
    return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).trim() : t;
  });
}

function loadCsv(spec: string): UserData {
  const { path, q } = splitQuery(spec, spec.slice(4), ['label', 'test', 'scale']);
  const file = resolve(path);
  const lim = userDataLimits();
  const fraction = testFraction(spec, q), how = scaleOf(spec, q, 'standard');
  const text = readUserFile(file, `--dataset ${spec}: ${file}`, { maxBytes: lim.maxFileBytes }).toString('utf8');
  return parseCsvData(text, file, spec, { label: q['label'], fraction, scale: how });
}

/** A CSV file's text → train and test samples (see the module comment). Exported for the fuzz tests. */
export function parseCsvData(text: string, file: string, spec: string, o: { label?: string; fraction: number; scale: Scale }): UserData {
  const lim = userDataLimits();
  const q: Query = o.label === undefined ? {} : { label: o.label };
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) throw new UserError(`${file}: empty CSV file`);
  const first = splitCsvLine(lines[0]!);
  if (first.length > lim.maxColumns) throw new UserError(`${file}: line 1 has ${first.length} columns, more than the limit of ${lim.maxColumns} ($WINNOW_MAX_CSV_COLUMNS)`);
  if (first.length < 2) throw new UserError(`${file}: line 1 has ${first.length} column; expected at least one feature column and a label column, separated by commas`);
  const header = first.some((c) => !NUMBER.test(c)) ? first : null;
  const cols = first.length;
  let labelCol = cols - 1;
  if (q['label'] !== undefined) {
    if (header) {
      labelCol = header.indexOf(q['label']);
      if (labelCol < 0) throw new UserError(`${file}: no column named '${q['label']}' (label=${q['label']}); the header has ${header.slice(0, 20).join(', ')}${header.length > 20 ? ', …' : ''}`);
    } else {
      throw new UserError(`${file}: label=${q['label']} names a column, but the file has no header line (its first line is all numbers); drop label= to use the last column`);
    }
  }
  const start = header ? 1 : 0;
  const n = lines.length - start;
  if (n < 3) throw new UserError(`${file}: ${n} example rows; a dataset needs at least 3`);
  const f = cols - 1;
  if (n * f > lim.maxElements) throw new UserError(`${file}: ${n} rows × ${f} features = ${n * f} values, more than the limit of ${lim.maxElements} ($WINNOW_MAX_DATA_ELEMENTS)`);
  const x = new Float32Array(n * f);
  const labelText: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const cells = splitCsvLine(lines[start + i]!);
    const lineNo = start + i + 1;
    if (cells.length !== cols) throw new UserError(`${file}: line ${lineNo} has ${cells.length} columns, expected ${cols} as on line 1`);
    let k = 0;
    for (let j = 0; j < cols; j++) {
      const c = cells[j]!;
      if (j === labelCol) {
        if (c === '') throw new UserError(`${file}: line ${lineNo}: empty label`);
        labelText[i] = c;
        continue;
      }
      if (!NUMBER.test(c)) throw new UserError(`${file}: line ${lineNo}, column ${j + 1}${header ? ` (${header[j]})` : ''}: '${c.slice(0, 40)}' is not a number`);
      const v = Number(c);
      if (!Number.isFinite(v) || Math.abs(v) > 3.4e38) throw new UserError(`${file}: line ${lineNo}, column ${j + 1}: ${c.slice(0, 40)} is out of float32 range`);
      x[i * f + k++] = v;
    }
  }
  const { labels, classNames } = encodeLabels(labelText, `${file} (label column ${labelCol + 1}${header ? ` '${header[labelCol]}'` : ''})`, lim.maxClasses);
  const rows = holdOut(labels, classNames.length, o.fraction, file);
  const train = take(x, labels, f, rows.train), test = take(x, labels, f, rows.test);
  scale(train, test, o.scale);
  return { name: spec, files: [file], shape: [1, 1, f], classNames, train, test };
}

// ---------------------------------------------------------------- npy:X.npy,y.npy

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const NPY_TYPES: Record<string, { bytes: number; read: (v: DataView, o: number) => number; int: boolean }> = {
  u1: { bytes: 1, read: (v, o) => v.getUint8(o), int: true },
  i1: { bytes: 1, read: (v, o) => v.getInt8(o), int: true },
  u2: { bytes: 2, read: (v, o) => v.getUint16(o, true), int: true },
  i2: { bytes: 2, read: (v, o) => v.getInt16(o, true), int: true },
  u4: { bytes: 4, read: (v, o) => v.getUint32(o, true), int: true },
  i4: { bytes: 4, read: (v, o) => v.getInt32(o, true), int: true },
  i8: { bytes: 8, read: (v, o) => Number(v.getBigInt64(o, true)), int: true },
  u8: { bytes: 8, read: (v, o) => Number(v.getBigUint64(o, true)), int: true },
  f4: { bytes: 4, read: (v, o) => v.getFloat32(o, true), int: false },
  f8: { bytes: 8, read: (v, o) => v.getFloat64(o, true), int: false },
};

export interface NpyArray { dtype: string; shape: number[]; view: DataView; read: (v: DataView, o: number) => number; itemBytes: number; int: boolean }

/** Parses a .npy file (format 1.0–3.0, little-endian numeric dtypes, C order). */
export function parseNpy(bytes: Uint8Array, file: string, maxElements = userDataLimits().maxElements): NpyArray {
  const bad = (why: string): never => { throw new UserError(`${file}: ${why}`); };
  if (bytes.length < 10 || NPY_MAGIC.some((b, i) => bytes[i] !== b)) bad('not a .npy file (expected the magic \\x93NUMPY)');
  const major = bytes[6]!;
  if (major < 1 || major > 3) bad(`unsupported .npy format version ${major}.${bytes[7]} (expected 1.0, 2.0 or 3.0)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) bad('truncated header');
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const dataStart = 8 + lenBytes + hlen;
  if (dataStart > bytes.length) bad(`truncated header: it declares ${hlen} bytes, the file has ${bytes.length - 8 - lenBytes} after the length field`);
  if (hlen > 65536) bad(`header of ${hlen} bytes is implausibly long`);
  const header = new TextDecoder('latin1').decode(bytes.subarray(8 + lenBytes, dataStart));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) bad(`malformed header (expected a dict with 'descr', 'fortran_order' and 'shape'): ${header.trim().slice(0, 80)}`);
  if (fortran === 'True') bad('Fortran-order arrays are not supported; save with np.save(path, np.ascontiguousarray(a))');
  const m = /^([<>|=])([a-z])(\d+)$/.exec(descr!);
  if (!m) bad(`unsupported dtype '${descr}' (expected a numeric dtype such as <f4, <f8, |u1, <i8)`);
  const [, order, kind, size] = m!;
  const key = `${kind}${size}`;
  const t = NPY_TYPES[key];
  if (!t) bad(`unsupported dtype '${descr}' (supported: ${Object.keys(NPY_TYPES).join(', ')})`);
  if (order === '>' && t!.bytes > 1) bad(`big-endian dtype '${descr}' is not supported; convert with a.astype(a.dtype.newbyteorder('<'))`);
  const dims = shapeText!.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const shape = dims.map((d) => (/^\d{1,12}$/.test(d) ? Number(d) : bad(`shape entry '${d}' is not a non-negative integer`)));
  let count = 1;
  for (const d of shape) count *= d;
  if (count > maxElements) bad(`${shape.join('×')} = ${count} elements, more than the limit of ${maxElements} ($WINNOW_MAX_DATA_ELEMENTS)`);
  const need = count * t!.bytes;
  const have = bytes.length - dataStart;
  if (have !== need) bad(`${have < need ? 'truncated' : 'trailing bytes'}: shape ${shape.join('×')} of ${descr} needs ${need} data bytes, found ${have}`);
  return { dtype: key, shape, view: new DataView(bytes.buffer, bytes.byteOffset + dataStart, need), read: t!.read, itemBytes: t!.bytes, int: t!.int };
}

function readNpyFile(path: string, what: string): NpyArray {
  const lim = userDataLimits();
  return parseNpy(readUserFile(path, what, { maxBytes: lim.maxFileBytes }), path, lim.maxElements);
}

/** Exported for the fuzz tests. */
export function npyFeatures(a: NpyArray, file: string): { x: Float32Array; n: number; shape: [number, number, number]; bytes: boolean } {
  const s = a.shape;
  let shape: [number, number, number];
  if (s.length === 2) shape = [1, 1, s[1]!];
  else if (s.length === 3) shape = [1, s[1]!, s[2]!];
  else if (s.length === 4) shape = [s[1]!, s[2]!, s[3]!];
  else throw new UserError(`${file}: features of shape (${s.join(', ')}): expected [N, F], [N, H, W] or [N, C, H, W]`);
  const n = s[0]!;
  const f = shape[0] * shape[1] * shape[2];
  if (n < 1 || f < 1) throw new UserError(`${file}: shape (${s.join(', ')}) holds no examples or no features`);
  const x = new Float32Array(n * f);
  const byteImage = a.dtype === 'u1';
  for (let i = 0; i < n * f; i++) {
    const v = a.read(a.view, i * a.itemBytes);
    if (!Number.isFinite(v) || Math.abs(v) > 3.4e38) throw new UserError(`${file}: element ${i} is ${v}: features must be finite float32 values`);
    x[i] = byteImage ? v / 255 : v;
  }
  return { x, n, shape, bytes: byteImage };
}

/** Exported for the fuzz tests. */
export function npyLabels(a: NpyArray, file: string, n: number, xFile: string): string[] {
  if (!a.int) throw new UserError(`${file}: labels of dtype ${a.dtype}: expected integer class indices (u1, i4, i8, …)`);
  if (a.shape.length !== 1 && !(a.shape.length === 2 && a.shape[1] === 1)) throw new UserError(`${file}: labels of shape (${a.shape.join(', ')}): expected [N]`);
  if (a.shape[0] !== n) throw new UserError(`${file}: ${a.shape[0]} labels for the ${n} examples of ${xFile}`);
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = a.read(a.view, i * a.itemBytes);
    if (v < 0 || !Number.isSafeInteger(v)) throw new UserError(`${file}: label ${v} at index ${i}: expected a non-negative class index`);
    out[i] = String(v);
  }
  return out;
}

function loadNpy(spec: string): UserData {
  const { path, q } = splitQuery(spec, spec.slice(4), ['test', 'scale']);
  const paths = path.split(',').map((p) => resolve(p.trim()));
  if (paths.length !== 2 && paths.length !== 4) throw new UserError(`--dataset ${spec}: expected npy:X.npy,y.npy or npy:Xtrain.npy,ytrain.npy,Xtest.npy,ytest.npy, found ${paths.length} file names`);
  const lim = userDataLimits();
  const fraction = testFraction(spec, q);
  scaleOf(spec, q, 'none');
  if (paths.length === 4 && q['test'] !== undefined) throw new UserError(`--dataset ${spec}: test= applies only to npy:X.npy,y.npy; with four files the test set is given`);
  const pair = (xp: string, yp: string) => {
    const fx = npyFeatures(readNpyFile(xp, `--dataset ${spec}: ${xp}`), xp);
    const ly = npyLabels(readNpyFile(yp, `--dataset ${spec}: ${yp}`), yp, fx.n, xp);
    return { ...fx, labels: ly };
  };
  const a = pair(paths[0]!, paths[1]!);
  const defScale: Scale = a.bytes ? 'none' : 'standard';
  let train: RawSamples, test: RawSamples, classNames: string[];
  if (paths.length === 2) {
    const enc = encodeLabels(a.labels, paths[1]!, lim.maxClasses);
    classNames = enc.classNames;
    const rows = holdOut(enc.labels, classNames.length, fraction, paths[0]!);
    const f = a.shape[0] * a.shape[1] * a.shape[2];
    train = take(a.x, enc.labels, f, rows.train); test = take(a.x, enc.labels, f, rows.test);
  } else {
    const b = pair(paths[2]!, paths[3]!);
    if (b.shape.join() !== a.shape.join()) throw new UserError(`${paths[2]}: examples of shape [${b.shape.join(', ')}], expected [${a.shape.join(', ')}] as in ${paths[0]}`);
    const enc = encodeLabels([...a.labels, ...b.labels], `${paths[1]} and ${paths[3]}`, lim.maxClasses);
    classNames = enc.classNames;
    const f = a.shape[0] * a.shape[1] * a.shape[2];
    train = { pixels: a.x, labels: enc.labels.subarray(0, a.n), count: a.n, features: f };
    test = { pixels: b.x, labels: enc.labels.subarray(a.n), count: b.n, features: f };
  }
  scale(train, test, scaleOf(spec, q, defScale));
  return { name: spec, files: paths, shape: a.shape, classNames, train, test };
}
