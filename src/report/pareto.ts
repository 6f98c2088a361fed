// Pareto frontier for accuracy-versus-cost plots: maximize y (accuracy), minimize x (size, time).

/**
 * The points no other point dominates (q dominates p when q.x ≤ p.x and q.y ≥ p.y, one strictly),
 * sorted by x ascending (y is then strictly increasing, except exact duplicates, which are all
 * kept, in input order). Points with a non-finite x or y are ignored.
 */
export function paretoFrontier<T extends { x: number; y: number }>(points: readonly T[]): T[] {
  const order = points
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => Number.isFinite(p.x) && Number.isFinite(p.y))
    .sort((a, b) => a.p.x - b.p.x || b.p.y - a.p.y || a.i - b.i);
  const out: T[] = [];
  let bestY = -Infinity;
  let bestX = NaN;
  for (const { p } of order) {
    if (p.y > bestY) {
      bestY = p.y;
      bestX = p.x;
      out.push(p);
    } else if (p.y === bestY && p.x === bestX) {
      out.push(p); // an exact duplicate of a frontier point is not dominated by it
    }
  }
  return out;
}
