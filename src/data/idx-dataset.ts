// A dataset stored as the four standard IDX files (MNIST, Fashion-MNIST, the embedded mini set):
// read, cross-checked (image/label counts, image sizes, label range), cached per process.
import { statSync } from 'node:fs';
import { UserError } from '../util/errors.js';
import { readIdx } from './idx.js';
import type { IdxFileSet } from './locate.js';
import type { RawSamples } from './split.js';

export interface RawIdxDataset {
  readonly train: RawSamples;
  readonly test: RawSamples;
  /** [channels, height, width]. */
  readonly shape: readonly [number, number, number];
  readonly files: IdxFileSet;
}

/** Smallest image side accepted from IDX files: 0×0 or 1×1 images are a damaged or wrong file. */
export const MIN_IMAGE_SIDE = 2;

function readPair(imagesPath: string, labelsPath: string, classes: number): { samples: RawSamples; rows: number; cols: number } {
  const images = readIdx(imagesPath, 'images');
  const labels = readIdx(labelsPath, 'labels', { maxLabel: classes });
  const [count, rows, cols] = images.dims as [number, number, number];
  if (labels.dims[0] !== count) {
    throw new UserError(`${labelsPath}: image/label count mismatch: expected ${count} labels (as ${imagesPath} has ${count} images), found ${labels.dims[0]}`);
  }
  if (rows < MIN_IMAGE_SIDE || cols < MIN_IMAGE_SIDE) {
    throw new UserError(`${imagesPath}: degenerate images: ${rows}×${cols} pixels (at least ${MIN_IMAGE_SIDE}×${MIN_IMAGE_SIDE} expected)`);
  }
  if (count === 0) throw new UserError(`${imagesPath}: no images (the header says 0); a dataset needs training and test examples`);
  return { samples: { pixels: images.data, labels: labels.data, count, features: rows * cols }, rows, cols };
}

/** Reads and checks a four-file set. Train and test images must have the same size. */
export function readIdxDataset(files: IdxFileSet, classes: number): RawIdxDataset {
  const train = readPair(files.trainImages, files.trainLabels, classes);
  const test = readPair(files.testImages, files.testLabels, classes);
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new UserError(`${files.testImages}: image size mismatch: expected ${train.rows}×${train.cols} as in ${files.trainImages}, found ${test.rows}×${test.cols}`);
  }
  return { train: train.samples, test: test.samples, shape: [1, train.rows, train.cols], files };
}

// Parsed files are kept for the life of the process: an experiment loads the same dataset once per
// trial and level, and 70k images cost ~55 MB as bytes. The key includes size and mtime so that a
// file replaced on disk (e.g. by `winnow data fetch`) is read again.
const rawCache = new Map<string, RawIdxDataset>();

function cacheKey(files: IdxFileSet, classes: number): string {
  const parts = [String(classes)];
  for (const p of Object.values(files)) {
    const st = statSync(p);
    parts.push(`${p}:${st.size}:${st.mtimeMs}`);
  }
  return parts.join('|');
}

export function readIdxDatasetCached(files: IdxFileSet, classes: number): RawIdxDataset {
  const key = cacheKey(files, classes);
  let raw = rawCache.get(key);
  if (!raw) {
    raw = readIdxDataset(files, classes);
    rawCache.set(key, raw);
  }
  return raw;
}

export function clearIdxCache(): void {
  rawCache.clear();
}
