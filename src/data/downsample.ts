// Area-average downsampling of image datasets: each output pixel is the mean of a (H/h)×(W/w) block of
// the input (per channel), so a 28×28 set becomes 14×14 or 7×7 with pixels still in [0, 1]. Used through
// the registry spec suffix "@<h>x<w>" (e.g. "fashion-mnist-mini@7x7"), so every consumer (lottery MLPs,
// NEAT classification) sees the very same downsampled images. Only integer factors are accepted.
import { UserError } from '../util/errors.js';
import type { Dataset, Split } from './dataset.js';

/** "name@7x7" → { base: "name", h: 7, w: 7 }; null when the spec has no suffix. */
export function parseDownsample(spec: string): { base: string; h: number; w: number } | null {
  const m = /^(.*)@([1-9]\d*)x([1-9]\d*)$/.exec(spec.trim());
  return m ? { base: m[1]!, h: Number(m[2]), w: Number(m[3]) } : null;
}

/** Block-average one split: images [count × c·H·W] → [count × c·h·w]. */
export function downsampleSplit(s: Split, shape: readonly [number, number, number], h: number, w: number): Split {
  const [c, H, W] = shape;
  const fy = H / h, fx = W / w;
  const inF = c * H * W, outF = c * h * w;
  const out = new Float32Array(s.count * outF);
  const inv = 1 / (fy * fx);
  for (let n = 0; n < s.count; n++) {
    const src = n * inF, dst = n * outF;
    for (let ch = 0; ch < c; ch++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          let sum = 0;
          for (let dy = 0; dy < fy; dy++) {
            const row = src + ch * H * W + (y * fy + dy) * W + x * fx;
            for (let dx = 0; dx < fx; dx++) sum += s.images[row + dx]!;
          }
          out[dst + ch * h * w + y * w + x] = sum * inv;
        }
      }
    }
  }
  return { images: out, labels: s.labels, count: s.count };
}

export function downsampleDataset(d: Dataset, h: number, w: number, spec: string): Dataset {
  const [c, H, W] = d.shape;
  if (H % h !== 0 || W % w !== 0) {
    throw new UserError(`dataset '${spec}': ${H}×${W} images cannot be block-averaged to ${h}×${w} (the size must divide ${H}×${W})`);
  }
  const ds = (s: Split) => downsampleSplit(s, d.shape, h, w);
  return {
    name: `${d.name}@${h}x${w}`, shape: [c, h, w], classes: d.classes, classNames: d.classNames,
    train: ds(d.train), validation: ds(d.validation), test: ds(d.test), source: `${d.source} (block-averaged to ${h}×${w})`,
  };
}
