// Run ids from hyper-parameters (open_lth's design): a canonical, sorted string of the hparams that
// differ from their defaults, hashed. Omitting defaults means adding a new hparam whose default
// reproduces the old behaviour keeps every existing id, so old runs are still found and resumed.
import { createHash } from 'node:crypto';
import { UserError } from '../util/errors.js';

const KIND_RE = /^[a-z][a-z0-9_]*$/;
// Keys become `a.b=value;` fragments, so these characters would make the string ambiguous.
const BAD_KEY_RE = /[.=;\s]/;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;
}

/** Canonical text of a leaf value: numbers as JS's shortest round-trip form (-0 as 0), strings JSON-quoted. */
function leaf(path: string, v: unknown): string {
  if (typeof v === 'number') {
    if (Number.isNaN(v)) throw new UserError(`hyper-parameter '${path}' is NaN; expected a number`);
    return Object.is(v, -0) ? '0' : String(v);
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map((x, i) => (isPlainObject(x) ? objectLeaf(`${path}[${i}]`, x) : leaf(`${path}[${i}]`, x))).join(',')}]`;
  throw new UserError(`hyper-parameter '${path}' has unsupported type ${typeof v}; expected number, string, boolean, null, array or object`);
}

/** An object inside an array cannot be flattened into dotted keys; print it as sorted {k:v}. */
function objectLeaf(path: string, o: Record<string, unknown>): string {
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${k}:${isPlainObject(o[k]) ? objectLeaf(`${path}.${k}`, o[k] as Record<string, unknown>) : leaf(`${path}.${k}`, o[k])}`).join(',')}}`;
}

/** Flattens nested plain objects into dotted keys → canonical leaf text. `undefined` means "not set". */
function flatten(obj: Record<string, unknown>, prefix: string, out: Map<string, string>): void {
  for (const [k, v] of Object.entries(obj)) {
    if (k === '' || BAD_KEY_RE.test(k)) throw new UserError(`hyper-parameter name '${prefix}${k}' must be non-empty without '.', '=', ';' or spaces`);
    if (v === undefined) continue;
    const path = prefix + k;
    if (isPlainObject(v)) flatten(v, path + '.', out);
    else out.set(path, leaf(path, v));
  }
}

/**
 * Canonical string of the hparams that differ from `defaults`: `key=value` pairs sorted by key
 * (code-unit order), joined by ';'. Keys absent from `defaults` are always included; keys absent
 * from `hparams` count as their default.
 */
export function canonicalHparams(hparams: Record<string, unknown>, defaults: Record<string, unknown>): string {
  const h = new Map<string, string>();
  const d = new Map<string, string>();
  flatten(hparams, '', h);
  flatten(defaults, '', d);
  const keys = [...h.keys()].filter((k) => h.get(k) !== d.get(k)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return keys.map((k) => `${k}=${h.get(k)}`).join(';');
}

export interface RunIdentity {
  /** `<kind>_<first 16 hex digits of sha256(canonical)>` */
  id: string;
  /** The canonical string that was hashed; log it beside the run (hparams.json). */
  canonical: string;
}

/** Id and canonical string of a run. `kind` (e.g. 'lottery', 'train') must match /^[a-z][a-z0-9_]*$/. */
export function describeRun(kind: string, hparams: Record<string, unknown>, defaults: Record<string, unknown>): RunIdentity {
  if (!KIND_RE.test(kind)) throw new UserError(`run kind '${kind}' must match ${KIND_RE.source}`);
  const canonical = canonicalHparams(hparams, defaults);
  const digest = createHash('sha256').update(canonical, 'utf8').digest('hex').slice(0, 16);
  return { id: `${kind}_${digest}`, canonical };
}

/** `<kind>_<16 hex>`: the run's directory name and database key. */
export function runId(kind: string, hparams: Record<string, unknown>, defaults: Record<string, unknown>): string {
  return describeRun(kind, hparams, defaults).id;
}
