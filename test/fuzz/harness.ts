// Fuzz harness: fast-check drives mutations of valid seed inputs (byte-level and, for JSON formats,
// tree-level) into a reader. Every case must return or throw a UserError — any other exception fails —
// and must finish within MAX_CASE_MS; resident memory must stay under MAX_RSS_MB throughout.
// WINNOW_FUZZ_RUNS (default 10,000 per reader) and WINNOW_FUZZ_SEED (default fixed) override.
import fc from 'fast-check';
import { UserError } from '../../src/util/errors.js';

export const RUNS = Number(process.env['WINNOW_FUZZ_RUNS'] ?? 10_000);
export const SEED = process.env['WINNOW_FUZZ_SEED'] !== undefined ? Number(process.env['WINNOW_FUZZ_SEED']) : 15;
export const MAX_CASE_MS = 500;
export const MAX_RSS_MB = 1024;

export interface FuzzStats { cases: number; accepted: number; refused: number; slowestMs: number; peakRssMB: number }

/** Runs `reader` on every generated input; returns how many were accepted and refused. */
export function fuzz<T>(arb: fc.Arbitrary<T>, reader: (input: T) => void, runs = RUNS): FuzzStats {
  const stats: FuzzStats = { cases: 0, accepted: 0, refused: 0, slowestMs: 0, peakRssMB: 0 };
  fc.assert(fc.property(arb, (input) => {
    const t0 = performance.now();
    try {
      reader(input);
      stats.accepted++;
    } catch (e) {
      if (!(e instanceof UserError)) throw new Error(`not a UserError: ${e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e)}`);
      if (/\n/.test(e.message)) throw new Error(`UserError message spans lines: ${e.message}`);
      stats.refused++;
    }
    const ms = performance.now() - t0;
    stats.slowestMs = Math.max(stats.slowestMs, ms);
    if (ms > MAX_CASE_MS) throw new Error(`case took ${ms.toFixed(0)} ms (limit ${MAX_CASE_MS})`);
    if (++stats.cases % 250 === 0) {
      const rss = process.memoryUsage().rss / 2 ** 20;
      stats.peakRssMB = Math.max(stats.peakRssMB, rss);
      if (rss > MAX_RSS_MB) throw new Error(`resident memory ${rss.toFixed(0)} MB (limit ${MAX_RSS_MB})`);
    }
  }), { numRuns: runs, seed: SEED, endOnFailure: true });
  return stats;
}

// ---- byte-level mutations ----

const INTERESTING_U32 = [0, 1, 2, 3, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 1_000_000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

export type ByteMutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; v: number }
  | { kind: 'u32'; at: number; v: number; le: boolean }
  | { kind: 'truncate'; at: number }
  | { kind: 'delete'; at: number; len: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'dup'; at: number; len: number };

export const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), v: fc.constantFrom(...INTERESTING_U32), le: fc.boolean() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }),
  fc.record({ kind: fc.constant('dup' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 256 }) }),
);

export function mutateBytes(src: Uint8Array, muts: readonly ByteMutation[]): Uint8Array {
  let b = Uint8Array.from(src);
  for (const m of muts) {
    const at = m.at % (b.length + 1);
    switch (m.kind) {
      case 'flip': if (at < b.length) b[at] ^= 1 << m.bit; break;
      case 'set': if (at < b.length) b[at] = m.v; break;
      case 'u32': if (at + 4 <= b.length) new DataView(b.buffer).setUint32(at, m.v, m.le); break;
      case 'truncate': b = b.slice(0, at); break;
      case 'delete': b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + m.len)]); break;
      case 'insert': b = Uint8Array.from([...b.subarray(0, at), ...m.bytes, ...b.subarray(at)]); break;
      case 'dup': b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at, at + m.len), ...b.subarray(at)]); break;
    }
  }
  return b;
}

/** A seed picked from `seeds` with 1–4 byte mutations applied. */
export function mutatedBytes(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.array(byteMutation, { minLength: 1, maxLength: 4 }))
    .map(([i, muts]) => mutateBytes(seeds[i]!, muts));
}

// ---- JSON tree mutations ----

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const INTERESTING_JSON: Json[] = [
  null, true, false, 0, -0, 1, -1, 0.5, 2, 3, 1e8, -1e8, 1e300, -1e300, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 5e-324,
  '', 'x', '0', '1e8', '__proto__', 'constructor', 'mlp:784-100000000-10', 'conv:100000-pool/16', 'lenet300', 'relu', 'hidden',
  [], {}, [0], [1, 2], [1e8, 1e8], [[]], { a: 1 },
];

export type JsonMutation =
  | { kind: 'replace'; at: number; value: Json }
  | { kind: 'delete'; at: number }
  | { kind: 'dup'; at: number }
  | { kind: 'empty'; at: number };

export const jsonMutation: fc.Arbitrary<JsonMutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: fc.constantFrom(...INTERESTING_JSON) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json> }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dup' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('empty' as const), at: fc.nat() }) },
);

/** Every (parent, key) slot of a JSON tree, pre-order (the root is the slot of a one-element wrapper). */
function slots(root: { v: Json }): Array<{ parent: Json[] | { [k: string]: Json }; key: string | number }> {
  const out: Array<{ parent: Json[] | { [k: string]: Json }; key: string | number }> = [{ parent: root as unknown as { [k: string]: Json }, key: 'v' }];
  const walk = (v: Json): void => {
    if (Array.isArray(v)) v.forEach((x, i) => { out.push({ parent: v, key: i }); walk(x); });
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) { out.push({ parent: v, key: k }); walk(v[k]!); }
  };
  walk(root.v);
  return out;
}

export function mutateJson(src: unknown, muts: readonly JsonMutation[]): unknown {
  const root = { v: structuredClone(src) as Json };
  for (const m of muts) {
    const all = slots(root);
    const { parent, key } = all[m.at % all.length]!;
    const get = (): Json => (parent as Record<string | number, Json>)[key]!;
    switch (m.kind) {
      case 'replace': (parent as Record<string | number, Json>)[key] = structuredClone(m.value); break;
      case 'delete':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else if (parent !== (root as unknown)) delete (parent as Record<string, Json>)[key];
        break;
      case 'dup':
        if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(get()));
        else { const v = get(); if (Array.isArray(v) && v.length) v.push(structuredClone(v[0]!)); }
        break;
      case 'empty': { const v = get(); if (Array.isArray(v)) v.length = 0; else if (v && typeof v === 'object') for (const k of Object.keys(v)) delete v[k]; break; }
    }
  }
  return root.v;
}

/** A seed document with 1–3 tree mutations. */
export function mutatedJson(seeds: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc.tuple(fc.nat({ max: seeds.length - 1 }), fc.array(jsonMutation, { minLength: 1, maxLength: 3 }))
    .map(([i, muts]) => mutateJson(seeds[i], muts));
}

/** JSON text: mostly tree mutations of the seeds (serialized), sometimes byte mutations of their text. */
export function mutatedJsonText(seeds: readonly unknown[]): fc.Arbitrary<string> {
  const texts = seeds.map((s) => new TextEncoder().encode(JSON.stringify(s)));
  return fc.oneof(
    { weight: 4, arbitrary: mutatedJson(seeds).map((v) => JSON.stringify(v) ?? 'undefined') },
    { weight: 1, arbitrary: mutatedBytes(texts).map((b) => Buffer.from(b).toString('utf8')) },
  );
}
