// Hyperparameters declared once: each with its flag, help text, parser and default. The CLI derives its
// options, --help and validation from these tables, and the run id hashes the values that differ from the
// defaults (open_lth's scheme), so rerunning a command finds its run and resumes it.
import { UserError } from '../util/errors.js';

export interface Param<T> {
  /** commander syntax: `--lr <rate>`, or `--no-controls` / `--flag` for booleans */
  flag: string;
  help: string;
  /** string → value; throws a UserError naming the flag */
  parse?: (v: string) => T;
  default: T;
}

export type Params<H> = { [K in keyof H]-?: Param<H[K]> };

export function defaultsOf<H>(params: Params<H>): H {
  return Object.fromEntries(Object.entries(params).map(([k, p]) => [k, (p as Param<unknown>).default])) as H;
}

/** `weightDecay` → `--weight-decay` (the flag of a key, for messages). */
export function flagOf<H>(params: Params<H>, key: keyof H): string {
  return params[key].flag.split(/[ ,]/)[0]!;
}

export interface Presets<H> { flag: string; help: string; values: Record<string, { summary: string; values: Partial<H> }> }

/**
 * Hyperparameters: the defaults, then a preset's pinned values, then the given ones (which may not
 * contradict the preset), then the experiment's own derivations and checks. Unknown keys are refused.
 */
export function resolveHparams<H>(exp: { params: Params<H>; presets?: Presets<H>; resolve?(h: H, given: ReadonlySet<keyof H>): H },
  given: Partial<H>, presetName?: string): H {
  const params = exp.params;
  for (const k of Object.keys(given)) if (!(k in params)) throw new UserError(`unknown hyperparameter '${k}' (expected ${Object.keys(params).join(', ')})`);
  let pinned: Partial<H> = {};
  if (presetName !== undefined) {
    const flag = exp.presets?.flag.split(' ')[0] ?? '--preset';
    const preset = exp.presets?.values[presetName];
    if (!preset) throw new UserError(`${flag}: unknown value '${presetName}' (expected ${Object.keys(exp.presets?.values ?? {}).join(', ')})`);
    pinned = preset.values;
  }
  const h = { ...defaultsOf(params), ...pinned };
  const keys = new Set<keyof H>(Object.keys(pinned) as (keyof H)[]);
  for (const [k, v] of Object.entries(given) as Array<[keyof H & string, H[keyof H & string]]>) {
    if (v === undefined) continue;
    if (k in pinned && JSON.stringify(pinned[k]) !== JSON.stringify(v)) {
      throw new UserError(`${flagOf(params, k)} ${String(v)} conflicts with ${exp.presets!.flag.split(' ')[0]} ${presetName}, which pins it to ${String(pinned[k])}`);
    }
    h[k] = v as H[keyof H & string];
    keys.add(k);
  }
  return exp.resolve ? exp.resolve(h, keys) : h;
}
