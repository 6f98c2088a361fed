// Flag parsers shared by the commands: each rejects bad input with a UserError naming the flag,
// what was expected and what was found.
import { UserError } from '../util/errors.js';

export function intFlag(flag: string, min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v: string) => {
    if (!/^-?\d+$/.test(v.trim())) throw new UserError(`${flag}: expected an integer, got '${v}'`);
    const n = Number(v);
    if (n < min || n > max) throw new UserError(`${flag}: expected an integer in [${min}, ${max}], got ${n}`);
    return n;
  };
}

/** A finite number in the interval; `openLow` excludes the lower bound. */
export function numberFlag(flag: string, low: number, high: number, openLow = false): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new UserError(`${flag}: expected a number, got '${v}'`);
    if ((openLow ? n <= low : n < low) || n > high) {
      throw new UserError(`${flag}: expected a number in ${openLow ? '(' : '['}${low}, ${high}], got ${n}`);
    }
    return n;
  };
}

export function choiceFlag<T extends string>(flag: string, choices: readonly T[]): (v: string) => T {
  return (v: string) => {
    if (!(choices as readonly string[]).includes(v)) throw new UserError(`${flag}: expected one of ${choices.join(', ')}, got '${v}'`);
    return v as T;
  };
}
