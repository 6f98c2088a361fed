// Summary statistics for replicates (mean ± sample standard deviation), for table cells and chart bands.

export interface MeanStd {
  mean: number;
  /** sample standard deviation (n − 1); 0 for a single value */
  std: number;
  n: number;
}

/** Mean and sample std of the finite values; NaN mean/std when there are none. */
export function meanStd(values: readonly number[]): MeanStd {
  const v = values.filter(Number.isFinite);
  const n = v.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const ss = v.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, std: n > 1 ? Math.sqrt(ss / (n - 1)) : 0, n };
}
