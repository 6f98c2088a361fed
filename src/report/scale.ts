// Axis scales for charts: data value → pixel, tick positions and tick labels.
// Linear axes get "nice" steps (1, 2, 2.5, 5 × 10^k) inside a domain padded by 4%;
// log10 axes get ticks at 1-2-5 × 10^k, at the data values, or at given values.

export interface Scale {
  /** value → pixel coordinate */
  toPx(v: number): number;
  /** [low, high] in data units (low < high, whatever the direction on screen) */
  domain: [number, number];
  ticks: number[];
  format(v: number): string;
}

export type TickSpec = 'auto' | 'data' | readonly number[];

/** Up to `digits` significant digits, no trailing zeros: 100 → "100", 51.25 → "51.3", 3.6 → "3.6". */
export function formatSig(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) return v.toExponential(Math.max(0, digits - 1)).replace(/\.?0+e/, 'e').replace('e+', 'e');
  // Integers with more digits than `digits` are printed whole rather than rounded (1234, not 1230).
  if (Number.isInteger(v) && a >= 10 ** (digits - 1)) return String(v);
  return String(parseFloat(v.toPrecision(digits)));
}

/** Compact SI form for large magnitudes: 1500 → "1.5k", 2000000 → "2M"; smaller values as formatSig. */
export function formatCompact(v: number, digits = 3): string {
  const a = Math.abs(v);
  for (const [limit, suffix] of [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']] as const) {
    if (a >= limit) return `${formatSig(v / limit, digits)}${suffix}`;
  }
  return formatSig(v, digits);
}

/** A percentage value (already ×100) as a label: 100 → "100%", 51.3 → "51.3%", 3.6 → "3.6%". */
export function formatPercent(v: number): string {
  return `${formatSig(v, 3)}%`;
}

/** Smallest step m·10^k ≥ raw with m ∈ {1, 2, 2.5, 5, 10}. */
export function niceStep(raw: number): number {
  const e = Math.floor(Math.log10(raw));
  const base = 10 ** e;
  const m = raw / base;
  const nice = m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10;
  return nice * base;
}

/** Removes float noise such as 0.30000000000000004 from computed tick values. */
const clean = (v: number): number => (v === 0 ? 0 : parseFloat(v.toPrecision(12)));

function decimalsFor(step: number): number {
  const e = Math.floor(Math.log10(step) + 1e-9);
  const m = step / 10 ** e;
  return Math.max(0, -e + (Math.abs(m - 2.5) < 1e-9 ? 1 : 0));
}

export interface ScaleOptions {
  /** pixel of the low end and of the high end of the domain (swap them to reverse the axis) */
  range: [number, number];
  /** fixed domain instead of one derived from the data */
  domain?: [number, number];
  ticks?: TickSpec;
  /** approximate number of ticks for 'auto' on a linear axis */
  tickCount?: number;
  format?: (v: number) => string;
}

/** Linear scale over `values` (non-finite ignored). */
export function linearScale(values: readonly number[], opts: ScaleOptions): Scale {
  const finite = values.filter(Number.isFinite);
  let lo = opts.domain?.[0] ?? (finite.length ? Math.min(...finite) : 0);
  let hi = opts.domain?.[1] ?? (finite.length ? Math.max(...finite) : 1);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  if (lo > hi) [lo, hi] = [hi, lo];
  if (!opts.domain) {
    // 4% headroom (matplotlib's margins) so extreme points and markers do not sit on the frame;
    // ticks are then the nice values inside the domain.
    const pad = (hi - lo) * 0.04;
    lo -= pad;
    hi += pad;
  }
  let step = niceStep((hi - lo) / Math.max(1, opts.tickCount ?? 5));
  // A nice step can overshoot and leave one or two ticks in a padded domain; refine until ≥ 3.
  const count = (st: number): number => Math.floor(hi / st + 1e-9) - Math.ceil(lo / st - 1e-9) + 1;
  while (count(step) < 3) step = niceStep(step / 2.01);
  const decimals = decimalsFor(step);
  let ticks: number[];
  const spec = opts.ticks ?? 'auto';
  if (spec === 'auto') {
    ticks = [];
    for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) ticks.push(clean(k * step));
  } else if (spec === 'data') {
    ticks = [...new Set(finite)].sort((a, b) => a - b);
  } else {
    ticks = [...spec].filter((t) => t >= lo && t <= hi).sort((a, b) => a - b);
  }
  const [p0, p1] = opts.range;
  return {
    domain: [lo, hi],
    ticks,
    toPx: (v) => p0 + ((v - lo) / (hi - lo)) * (p1 - p0),
    format: opts.format ?? ((v) => (Math.max(Math.abs(lo), Math.abs(hi)) >= 1e4 ? formatCompact(v, 4) : spec === 'auto' ? v.toFixed(decimals) : formatSig(v, 4))),
  };
}

/** 1-2-5 × 10^k ticks inside [lo, hi]; thinned to decades, or expanded to 1..9, to keep 3–12 ticks. */
export function logTicks(lo: number, hi: number): number[] {
  const within = (mults: readonly number[]): number[] => {
    const out: number[] = [];
    for (let e = Math.floor(Math.log10(lo)) - 1; e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of mults) {
        const v = clean(m * 10 ** e);
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) out.push(v);
      }
    }
    return out;
  };
  let t = within([1, 2, 5]);
  if (t.length > 12) t = within([1]);
  if (t.length > 12) {
    const every = Math.ceil(t.length / 8);
    t = t.filter((v) => Math.round(Math.log10(v)) % every === 0);
  }
  if (t.length < 3) t = within([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  return t;
}

/** log10 scale over the positive `values`; the domain is padded by 4% of its width in log space. */
export function logScale(values: readonly number[], opts: ScaleOptions): Scale {
  const finite = values.filter(Number.isFinite);
  const bad = finite.find((v) => v <= 0);
  if (bad !== undefined) throw new TypeError(`a log axis needs positive values, got ${bad}`);
  let lo: number, hi: number;
  if (opts.domain) {
    [lo, hi] = opts.domain;
    if (!(lo > 0 && hi > 0)) throw new TypeError(`a log axis needs a positive domain, got [${lo}, ${hi}]`);
    if (lo > hi) [lo, hi] = [hi, lo];
    if (lo === hi) { lo /= 2; hi *= 2; }
  } else {
    lo = finite.length ? Math.min(...finite) : 1;
    hi = finite.length ? Math.max(...finite) : 10;
    const l = Math.log10(lo), h = Math.log10(hi);
    const pad = h > l ? 0.04 * (h - l) : 0.5;
    lo = 10 ** (l - pad);
    hi = 10 ** (h + pad);
  }
  const spec = opts.ticks ?? 'auto';
  const ticks = spec === 'auto' ? logTicks(lo, hi)
    : spec === 'data' ? [...new Set(finite)].sort((a, b) => a - b)
    : [...spec].filter((t) => t >= lo && t <= hi).sort((a, b) => a - b);
  const [p0, p1] = opts.range;
  const l0 = Math.log10(lo), l1 = Math.log10(hi);
  return {
    domain: [lo, hi],
    ticks,
    toPx: (v) => p0 + ((Math.log10(v) - l0) / (l1 - l0)) * (p1 - p0),
    format: opts.format ?? ((v) => formatCompact(v, 3)),
  };
}

/**
 * Drops ticks whose labels would overlap, keeping the first one (in the given priority order) and
 * then every tick at least `minGap(label)` pixels from all kept ones.
 */
export function thinTicks(ticks: readonly number[], scale: Pick<Scale, 'toPx' | 'format'>, labelWidth: (s: string) => number, priority: 'low-first' | 'high-first' = 'high-first'): number[] {
  const order = priority === 'high-first' ? [...ticks].sort((a, b) => b - a) : [...ticks].sort((a, b) => a - b);
  const kept: { v: number; px: number; w: number }[] = [];
  for (const v of order) {
    const px = scale.toPx(v);
    const w = labelWidth(scale.format(v));
    if (kept.every((k) => Math.abs(k.px - px) >= (k.w + w) / 2 + 6)) kept.push({ v, px, w });
  }
  return kept.map((k) => k.v).sort((a, b) => a - b);
}
