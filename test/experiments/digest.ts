// Canonical records of finished runs, defined as in test/fixtures/release-0.1/README.md, computed from a
// store written by this release — so results can be compared bit-for-bit with release 0.1's digests.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/db.js';
import { jobFile } from '../../src/store/layout.js';
import { loadModelState } from '../../src/lottery/state-io.js';
import { lotteryResult } from '../../src/experiments/lottery/index.js';

export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/release-0.1/', import.meta.url));

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');
const n = (v: unknown): number | null => (typeof v !== 'number' || !Number.isFinite(v) ? null : v);
const bytes = (a: Float32Array | Uint8Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function finalStateDigest(path: string): string {
  const h = createHash('sha256');
  for (const [name, l] of Object.entries(loadModelState(path))) {
    h.update(Buffer.from(name, 'utf8')); h.update(bytes(l.weight)); h.update(bytes(l.bias)); h.update(bytes(l.mask));
  }
  return h.digest('hex');
}

type Rec = Record<string, unknown>;

export function lotteryRecords(root: string, runId?: string): Record<string, Rec> {
  const store = openStore(root, { create: false });
  try {
    const runs = store.listRuns('lottery').filter((r) => runId === undefined || r.id === runId);
    if (runs.length !== 1) throw new Error(`${root}: expected one lottery run, found ${runs.map((r) => r.id).join(', ') || 'none'}`);
    const id = runs[0]!.id;
    const out: Record<string, Rec> = {};
    for (const j of store.listJobs(id)) {
      if (j.status !== 'done') throw new Error(`${id} ${j.key} is ${j.status}`);
      const r = lotteryResult(j.result, j.key);
      const metrics = store.getMetrics(id, j.key).map((m) => [m.iteration, n(m['trainLoss']), n(m['valLoss']), n(m['valAccuracy']), n(m['testLoss']), n(m['testAccuracy'])]);
      out[`r${r.replicate}/l${r.level}/${r.branch}`] = {
        replicate: r.replicate, level: r.level, branch: r.branch, density: n(r.density), earlyStopIteration: n(r.earlyStopIteration),
        earlyStopValLoss: n(r.earlyStopValLoss), earlyStopTestAccuracy: n(r.earlyStopTestAccuracy), finalTestAccuracy: n(r.finalTestAccuracy),
        iterations: n(r.iterations), metrics, finalState: finalStateDigest(jobFile(root, id, j.key, 'weights-final.wt')),
      };
    }
    return out;
  } finally {
    store.close();
  }
}

const clean = (v: unknown): unknown =>
  typeof v === 'number' ? n(v) : Array.isArray(v) ? v.map(clean)
    : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clean(x)])) : v;

export function evolveRecords(doc: { runs: Rec[] }): Record<string, Rec> {
  return Object.fromEntries(doc.runs.map((r) => [`seed-${String(r['seed'])}`, clean({
    seed: r['seed'], solved: r['solved'], generations: r['generations'], evaluations: r['evaluations'], hidden: r['hidden'],
    enabled: r['enabled'], fitness: r['fitness'], task: r['task'], championCheck: r['championCheck'] ?? null, report: r['report'] ?? {},
  }) as Rec]));
}

export function compareRecords(doc: { points: Rec[] }): Record<string, Rec> {
  return Object.fromEntries(doc.points.map((p) => [String(p['label']), clean({
    label: p['label'], category: p['category'], source: p['source'], level: p['level'], density: p['density'], format: p['format'],
    encoding: p['encoding'], bytes: p['bytes'], bitsPerWeight: p['bitsPerWeight'], testAccuracy: p['testAccuracy'], testLoss: p['testLoss'],
  }) as Rec]));
}

export function digestOf(records: Record<string, Rec>): { jobs: Record<string, string>; all: string } {
  const keys = Object.keys(records).sort();
  const jobs: Record<string, string> = {};
  for (const k of keys) jobs[k] = sha256(JSON.stringify(records[k]));
  return { jobs, all: sha256(keys.map((k) => jobs[k]).join('')) };
}

/** Release 0.1's digest entry for this kernel level: `name@isa` where the ISA changes floating-point results. */
export function expected(name: string, isa: string): { jobs: Record<string, string>; all: string } {
  const all = JSON.parse(readFileSync(`${FIXTURES}digests.json`, 'utf8')) as Record<string, { jobs: Record<string, string>; all: string }>;
  const e = all[`${name}@${isa}`] ?? (isa === 'avx512' ? all[name] : undefined);
  if (!e) throw new Error(`no release-0.1 digest for ${name} at kernel level ${isa} (have: ${Object.keys(all).filter((k) => k.startsWith(name)).join(', ')})`);
  return e;
}
