// The in-memory dataset every trainer and experiment consumes.
// Samples are row-major [count × features] float32 in [0, 1] (pixels / 255), so a batch is
// gathered into batch-last [features × batch] by Backend.gatherColumns.

export interface Split {
  /** [count × features], row-major. */
  readonly images: Float32Array;
  readonly labels: Int32Array;
  readonly count: number;
}

export interface Dataset {
  readonly name: string;
  /** [channels, height, width]; features = c·h·w. */
  readonly shape: readonly [number, number, number];
  readonly classes: number;
  /** Human-readable class names (index = label), when known. */
  readonly classNames?: readonly string[];
  readonly train: Split;
  readonly validation: Split;
  readonly test: Split;
  /** Where it came from, for reports (a path, "embedded", "synthetic:…"). */
  readonly source: string;
}

export function features(d: Pick<Dataset, 'shape'>): number {
  return d.shape[0] * d.shape[1] * d.shape[2];
}
