// The dataset registry: a spec string ("fashion-mnist", "mnist", "fashion-mnist-mini",
// "synthetic:blobs?features=20") → a Dataset with train / validation / test splits. Any spec may end in
// "@<h>x<w>" ("fashion-mnist-mini@7x7"): the same splits with images block-averaged to h×w.
//
// Full datasets are searched in --data-dir, $WINNOW_DATA, the user cache and (Fashion-MNIST only)
// Debian's dataset-fashion-mnist directory. The mini set ships inside the package. The validation
// split is carved from the training set by a permutation from new Rng(seed).stream('split').
import { UserError } from '../util/errors.js';
import type { Dataset } from './dataset.js';
import { readIdxDatasetCached, type RawIdxDataset } from './idx-dataset.js';
import { embeddedDir, findIdxSet, locateIdxDataset, type IdxFileSet, type SearchedDir } from './locate.js';
import { carveValidation, checkValidationSize, gatherSplit, type RawSamples } from './split.js';
import { makeSynthetic, SYNTHETIC_TASKS } from './synthetic.js';
import { fileStamp, isUserSpec, loadUserData, userSpecFiles, USER_PREFIXES } from './user.js';
import { downsampleDataset, parseDownsample } from './downsample.js';

export interface LoadOptions {
  /** A directory holding <dataset>/ folders, or the dataset's files directly. */
  dataDir?: string;
  /** Run seed; only decides the validation split. Default 0. */
  seed?: number;
  /** Examples held out of the training set; default 5,000 (full sets) or 1/6 of train (others). */
  validationSize?: number;
}

export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;
export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;

export interface IdxDatasetDef {
  readonly name: string;
  readonly summary: string;
  readonly classNames: readonly string[];
  /** Searched after the user's directories (Debian's package for Fashion-MNIST). */
  readonly systemDirs: readonly string[];
  /** Shipped in the package under data/embedded/<name>; never searched elsewhere. */
  readonly embedded: boolean;
  /** Stratify the validation split by class (small sets, where chance imbalance is visible). */
  readonly stratified: boolean;
  readonly defaultValidation: (trainCount: number) => number;
  readonly howToGet: string;
}

export const DEBIAN_FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

export const IDX_DATASETS: Record<string, IdxDatasetDef> = {
  'fashion-mnist': {
    name: 'fashion-mnist',
    summary: 'Fashion-MNIST, 60,000 train + 10,000 test 28×28 grayscale images, 10 classes',
    classNames: FASHION_MNIST_CLASSES,
    systemDirs: [DEBIAN_FASHION_MNIST_DIR],
    embedded: false,
    stratified: false,
    defaultValidation: () => 5000,
    howToGet: 'apt-get install dataset-fashion-mnist, or winnow data fetch fashion-mnist, or use --dataset fashion-mnist-mini (embedded subset)',
  },
  mnist: {
    name: 'mnist',
    summary: 'MNIST digits, 60,000 train + 10,000 test 28×28 grayscale images, 10 classes',
    classNames: MNIST_CLASSES,
    systemDirs: [],
    embedded: false,
    stratified: false,
    defaultValidation: () => 5000,
    howToGet: 'winnow data fetch mnist, or use --dataset fashion-mnist-mini (embedded subset)',
  },
  'fashion-mnist-mini': {
    name: 'fashion-mnist-mini',
    summary: 'stratified Fashion-MNIST subset shipped with winnow (1,200 train + 200 test per class)',
    classNames: FASHION_MNIST_CLASSES,
    systemDirs: [],
    embedded: true,
    stratified: true,
    defaultValidation: (n) => Math.floor(n / 6),
    howToGet: 'it ships in data/embedded/ of the winnow package; regenerate with node dist/scripts/make-embedded-dataset.js',
  },
};

/** Every dataset name `winnow data info` reports on, plus the synthetic families. */
export const DATASET_NAMES = Object.keys(IDX_DATASETS);
export const SYNTHETIC_NAMES = Object.keys(SYNTHETIC_TASKS).map((t) => `synthetic:${t}`);

function knownList(): string {
  return [...DATASET_NAMES, ...SYNTHETIC_NAMES.map((s) => `${s}[?k=v&…]`), 'idx:DIR', 'csv:FILE[?label=NAME]', 'npy:X.npy,y.npy'].join(', ');
}

export type ParsedSpec = { kind: 'idx'; def: IdxDatasetDef } | { kind: 'synthetic'; task: string; query: string } | { kind: 'user'; spec: string };

export function parseSpec(spec: string): ParsedSpec {
  const s = spec.trim();
  if (isUserSpec(s)) return { kind: 'user', spec: s };
  if (s.startsWith('synthetic:')) {
    const rest = s.slice('synthetic:'.length);
    const q = rest.indexOf('?');
    return { kind: 'synthetic', task: q < 0 ? rest : rest.slice(0, q), query: q < 0 ? '' : rest.slice(q + 1) };
  }
  const def = IDX_DATASETS[s];
  if (!def) throw new UserError(`unknown dataset '${spec}': expected one of ${knownList()}`);
  return { kind: 'idx', def };
}

export interface Located {
  readonly files: IdxFileSet | null;
  readonly dir: string | null;
  readonly searched: readonly SearchedDir[];
}

/** Where a file-backed dataset's four files are (or every place that was searched). */
export function locateDataset(def: IdxDatasetDef, opts: { dataDir?: string } = {}): Located {
  if (def.embedded && opts.dataDir) {
    throw new UserError(`${def.name}: --data-dir ${opts.dataDir} cannot be used with the embedded dataset ${def.name} (it ships inside winnow); drop --data-dir, or name the dataset stored there (${DATASET_NAMES.filter((n) => !IDX_DATASETS[n]!.embedded).join(', ')})`);
  }
  if (def.embedded) {
    const dir = embeddedDir(def.name);
    const { files, found } = findIdxSet(dir);
    return { files, dir: files ? dir : null, searched: [{ dir, why: 'embedded', found }] };
  }
  return locateIdxDataset(def.name, { dataDir: opts.dataDir, systemDirs: def.systemDirs });
}

export function notFoundMessage(def: IdxDatasetDef, loc: Located): string {
  const places = loc.searched.map((s) => {
    const notes = [s.why];
    if (s.found > 0) notes.push(`only ${s.found} of 4 files, missing ${(s.missing ?? []).join(', ')}`);
    if (s.notFiles?.length) notes.push(`not a regular file: ${s.notFiles.join(', ')}`);
    return `${s.dir} (${notes.join('; ')})`;
  }).join(', ');
  if (loc.searched.length > 0 && loc.searched.every((s) => s.why === '--data-dir')) {
    return `${def.name}: --data-dir ${loc.searched[loc.searched.length - 1]!.dir} does not hold the dataset: looked in ${places}; an explicit --data-dir is never replaced by a copy found elsewhere. Get it with: ${def.howToGet}`;
  }
  if (def.embedded) return `${def.name}: embedded data missing: looked in ${places}; ${def.howToGet}`;
  return `${def.name}: dataset not found: looked in ${places}. Get it with: ${def.howToGet}`;
}

/** Loads and checks a file-backed dataset's raw bytes (cached per process). */
export function loadRawIdx(def: IdxDatasetDef, opts: { dataDir?: string } = {}): { raw: RawIdxDataset; dir: string } {
  const loc = locateDataset(def, opts);
  if (!loc.files || !loc.dir) throw new UserError(notFoundMessage(def, loc));
  return { raw: readIdxDatasetCached(loc.files, def.classNames.length), dir: loc.dir };
}

// Finished Datasets (float32, split) for the last few (source, seed, validation) requests: a lottery
// run reloads the same one at every level, and a full set costs ~220 MB as float32, so keep few.
// Treat a returned Dataset as read-only: it may be shared with later callers.
const DATASET_CACHE_SIZE = 2;
const datasetCache = new Map<string, Dataset>();

function cached(key: string, build: () => Dataset): Dataset {
  const hit = datasetCache.get(key);
  if (hit) {
    datasetCache.delete(key);
    datasetCache.set(key, hit);
    return hit;
  }
  const d = build();
  datasetCache.set(key, d);
  while (datasetCache.size > DATASET_CACHE_SIZE) datasetCache.delete(datasetCache.keys().next().value!);
  return d;
}

export function clearDatasetCache(): void {
  datasetCache.clear();
}

function assemble(name: string, source: string, shape: readonly [number, number, number], classNames: readonly string[],
  train: RawSamples, test: RawSamples, seed: number, validationSize: number, stratified: boolean): Dataset {
  const carved = carveValidation(train, validationSize, seed, name, { stratified, classes: classNames.length });
  return { name, source, shape, classes: classNames.length, classNames, train: carved.train, validation: carved.validation, test: gatherSplit(test, null) };
}

/**
 * Loads a dataset by spec. Pixels are float32 in [0, 1], row-major [count × features].
 * Same spec + seed + validationSize ⇒ identical splits.
 */
export function loadDataset(spec: string, opts: LoadOptions = {}): Dataset {
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UserError(`seed must be an integer in [0, 2^32), got ${seed}`);
  // "<spec>@<h>x<w>": the same splits, block-averaged (src/data/downsample.ts).
  const down = parseDownsample(spec);
  if (down) {
    const base = loadDataset(down.base, opts);
    return cached(`${spec}|${base.source}|${seed}|${opts.validationSize ?? ''}|${base.train.count}`, () => downsampleDataset(base, down.h, down.w, spec));
  }
  const parsed = parseSpec(spec);
  if (parsed.kind === 'user') {
    // The user's files (src/data/user.ts): no search, so --data-dir does not apply.
    if (opts.dataDir) throw new UserError(`--data-dir ${opts.dataDir} does not apply to --dataset ${spec}, which names its own files (${USER_PREFIXES.join(', ')}); drop --data-dir`);
    const stamps = userSpecFiles(parsed.spec).map(fileStamp).join('|');
    const key = `${parsed.spec}|${stamps}|${seed}|${opts.validationSize ?? ''}`;
    const hit = datasetCache.get(key);
    if (hit) return cached(key, () => hit);
    const u = loadUserData(parsed.spec);
    const v = opts.validationSize ?? Math.min(5000, Math.floor(u.train.count / 6));
    checkValidationSize(v, u.train.count, u.name);
    return cached(key, () => assemble(u.name, u.files.join(','), u.shape, u.classNames, u.train, u.test, seed, v, true));
  }
  if (parsed.kind === 'synthetic') {
    const task = makeSynthetic(parsed.task, parsed.query);
    const v = opts.validationSize ?? Math.round(task.train.count / 6);
    checkValidationSize(v, task.train.count, task.spec);
    return cached(`${task.spec}|${seed}|${v}`, () =>
      assemble(task.spec, task.spec, task.shape, task.classNames, task.train, task.test, seed, v, true));
  }
  const def = parsed.def;
  const { raw, dir } = loadRawIdx(def, opts);
  const v = opts.validationSize ?? def.defaultValidation(raw.train.count);
  checkValidationSize(v, raw.train.count, def.name);
  const source = def.embedded ? `embedded:${dir}` : dir;
  // The raw object's identity changes when the files change on disk, so key on it too.
  return cached(`${def.name}|${dir}|${rawId(raw)}|${seed}|${v}`, () =>
    assemble(def.name, source, raw.shape, def.classNames, raw.train, raw.test, seed, v, def.stratified));
}

const rawIds = new WeakMap<RawIdxDataset, number>();
let nextRawId = 1;
function rawId(raw: RawIdxDataset): number {
  let id = rawIds.get(raw);
  if (id === undefined) { id = nextRawId++; rawIds.set(raw, id); }
  return id;
}
