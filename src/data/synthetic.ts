// Small generated tasks for tests and quick experiments, deterministic from their parameters.
// The data itself depends only on the spec (including its own `seed` parameter, default 1), so a
// task is a fixed dataset like any other; the run seed only decides the validation split.
//   synthetic:blobs   Gaussian class blobs: centers uniform in [0.25, 0.75]^features, noise sd `noise`,
//                     clamped to [0, 1]. Shape [1, 1, features].
//   synthetic:images  1×size×size images of one bar (length size/2..size, one pixel thick) whose
//                     orientation is the class: horizontal, vertical, diagonal, anti-diagonal; random
//                     position and brightness on uniform background noise. Needs spatial features
//                     that are translation invariant, which is what a conv net learns.
import { Rng } from '../util/rng.js';
import { UserError } from '../util/errors.js';
import type { RawSamples } from './split.js';

export interface SyntheticTask {
  /** Canonical spec with every parameter written out. */
  readonly spec: string;
  readonly shape: readonly [number, number, number];
  readonly classes: number;
  readonly classNames: readonly string[];
  readonly train: RawSamples;
  readonly test: RawSamples;
}

interface ParamDef { readonly def: number; readonly min: number; readonly max: number; readonly int: boolean; readonly help: string }

const COMMON: Record<string, ParamDef> = {
  train: { def: 2000, min: 2, max: 1_000_000, int: true, help: 'training examples generated (the validation split is carved from them)' },
  test: { def: 500, min: 1, max: 1_000_000, int: true, help: 'test examples' },
  seed: { def: 1, min: 0, max: 0xffffffff, int: true, help: 'generator seed (the task itself; the run seed only picks the split)' },
};

export const SYNTHETIC_TASKS: Record<string, { readonly params: Record<string, ParamDef>; readonly summary: string }> = {
  blobs: {
    summary: 'Gaussian class blobs',
    params: {
      features: { def: 20, min: 1, max: 100_000, int: true, help: 'features per example' },
      classes: { def: 4, min: 2, max: 256, int: true, help: 'number of classes' },
      noise: { def: 0.1, min: 0, max: 10, int: false, help: 'noise standard deviation' },
      ...COMMON,
    },
  },
  images: {
    summary: '1×size×size images of oriented bars (class = orientation)',
    params: {
      size: { def: 8, min: 4, max: 64, int: true, help: 'image height and width' },
      classes: { def: 4, min: 2, max: 4, int: true, help: 'orientations used: horizontal, vertical, diagonal, anti-diagonal' },
      noise: { def: 0.2, min: 0, max: 1, int: false, help: 'background noise amplitude' },
      ...COMMON,
    },
  },
};

const ORIENTATIONS = ['horizontal', 'vertical', 'diagonal', 'anti-diagonal'] as const;

/** Parses and checks `?k=v&…` against a task's parameters; fills defaults. */
export function parseSyntheticParams(task: string, query: string): Record<string, number> {
  const def = SYNTHETIC_TASKS[task];
  if (!def) {
    throw new UserError(`unknown synthetic task 'synthetic:${task}': expected one of ${Object.keys(SYNTHETIC_TASKS).map((t) => `synthetic:${t}`).join(', ')}`);
  }
  const out: Record<string, number> = {};
  for (const [k, p] of Object.entries(def.params)) out[k] = p.def;
  for (const [k, v] of new URLSearchParams(query)) {
    const p = def.params[k];
    if (!p) throw new UserError(`synthetic:${task}: unknown parameter '${k}': expected one of ${Object.keys(def.params).join(', ')}`);
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || (p.int && !Number.isInteger(n)) || n < p.min || n > p.max) {
      throw new UserError(`synthetic:${task}: parameter ${k} must be ${p.int ? 'an integer' : 'a number'} in [${p.min}, ${p.max}], got '${v}'`);
    }
    out[k] = n;
  }
  return out;
}

function canonical(task: string, params: Record<string, number>): string {
  return `synthetic:${task}?` + Object.keys(SYNTHETIC_TASKS[task]!.params).map((k) => `${k}=${params[k]}`).join('&');
}

/** Balanced labels (i mod classes) in a seeded random order. */
function balancedLabels(n: number, classes: number, rng: Rng): Int32Array {
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = i % classes;
  return rng.shuffle(labels);
}

function blobs(p: Record<string, number>, rng: Rng): { train: RawSamples; test: RawSamples } {
  const f = p['features']!, k = p['classes']!, noise = p['noise']!;
  const centers = new Float64Array(k * f);
  const cr = rng.stream('centers');
  for (let i = 0; i < centers.length; i++) centers[i] = cr.uniform(0.25, 0.75);
  const make = (n: number, r: Rng): RawSamples => {
    const labels = balancedLabels(n, k, r);
    const pixels = new Float32Array(n * f);
    for (let i = 0; i < n; i++) {
      const c = labels[i]! * f;
      for (let j = 0; j < f; j++) pixels[i * f + j] = Math.min(1, Math.max(0, centers[c + j]! + noise * r.normal()));
    }
    return { pixels, labels, count: n, features: f };
  };
  return { train: make(p['train']!, rng.stream('train')), test: make(p['test']!, rng.stream('test')) };
}

function bars(p: Record<string, number>, rng: Rng): { train: RawSamples; test: RawSamples } {
  const s = p['size']!, k = p['classes']!, noise = p['noise']!, f = s * s;
  const make = (n: number, r: Rng): RawSamples => {
    const labels = balancedLabels(n, k, r);
    const pixels = new Float32Array(n * f);
    for (let i = 0; i < n; i++) {
      const img = pixels.subarray(i * f, (i + 1) * f);
      for (let j = 0; j < f; j++) img[j] = noise * r.next();
      const len = Math.ceil(s / 2) + r.int(s - Math.ceil(s / 2) + 1);
      const bright = r.uniform(0.6, 1);
      const o = labels[i]!;
      // Start so the whole bar fits: along the bar, any of s-len+1 offsets; across it, any row/col.
      const a = r.int(s - len + 1), b = o < 2 ? r.int(s) : r.int(s - len + 1);
      for (let t = 0; t < len; t++) {
        let y: number, x: number;
        if (o === 0) { y = b; x = a + t; }
        else if (o === 1) { y = a + t; x = b; }
        else if (o === 2) { y = a + t; x = b + t; }
        else { y = a + t; x = b + len - 1 - t; }
        img[y * s + x] = Math.max(img[y * s + x]!, bright);
      }
    }
    return { pixels, labels, count: n, features: f };
  };
  return { train: make(p['train']!, rng.stream('train')), test: make(p['test']!, rng.stream('test')) };
}

/** Generates `synthetic:<task>[?params]` (task and query already split off). */
export function makeSynthetic(task: string, query: string): SyntheticTask {
  const params = parseSyntheticParams(task, query);
  const rng = new Rng(params['seed']!).stream(`synthetic:${task}`);
  const spec = canonical(task, params);
  if (task === 'blobs') {
    const k = params['classes']!;
    return { spec, shape: [1, 1, params['features']!], classes: k, classNames: Array.from({ length: k }, (_, i) => `blob ${i}`), ...blobs(params, rng) };
  }
  const s = params['size']!, k = params['classes']!;
  return { spec, shape: [1, s, s], classes: k, classNames: ORIENTATIONS.slice(0, k), ...bars(params, rng) };
}
