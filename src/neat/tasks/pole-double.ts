// Double pole balancing exactly as NEAT was benchmarked: Gomez's RK4 code from Stanley's C++ CartPole
// class (Wieland's equations). g = −9.8, cart 1.0 kg, poles 0.1 kg / half-length 0.5 m and 0.01 kg /
// 0.05 m, hinge friction μp = 0.000002, track friction (0.0005) defined but NOT used, F = (out − 0.5)·2·10 N,
// each control step = two RK4 steps of h = 0.01 s, failure at |x| > 2.4 m or |θ1| or |θ2| > 0.628329 rad
// (36°), start x = ẋ = θ̇1 = θ2 = θ̇2 = 0, θ1 = 0.07 rad (≈4.01°, the C++ value; configurable).
//
// DPV  (markov):     inputs x/4.8, ẋ/2, θ1/0.52, θ̇1/2, θ2/0.52, θ̇2/2, bias 0.5; fitness = steps balanced;
//                    solved at 100,000 steps.
// DPNV (non-markov): inputs x/4.8, θ1/0.52, θ2/0.52, bias 0.5; up to 1,000 steps, Gruau's damping fitness
//                    f = 0.1·t/1000 + 0.9·0.75/Σ_{last 100 steps}(|x|+|ẋ|+|θ1|+|θ̇1|) if t > 100, else 0.1·t/1000.
//                    A genome that balances the full 1,000 steps is a candidate; the generation's champion
//                    must then balance 100,000 steps from the standard start and keep the poles up for 1,000
//                    steps from ≥ 200 of the 625 generalization starts.
import type { Genome } from '../genome.js';
import { compile, Stepper, type RecurrentMode } from '../network.js';
import type { ChampionCheck, Task } from './task.js';

export const DP = {
  GRAVITY: -9.8,
  MASSCART: 1.0,
  MASSPOLE_1: 0.1,
  LENGTH_1: 0.5,
  MASSPOLE_2: 0.01,
  LENGTH_2: 0.05,
  MUP: 0.000002,
  MUC: 0.0005, // defined but not used, as in Gomez's/Stanley's code
  FORCE_MAG: 10.0,
  TAU: 0.01,
  TRACK_EDGE: 2.4,
  THIRTYSIX_DEGREES: 0.628329,
} as const;

/** State [x, ẋ, θ1, θ̇1, θ2, θ̇2]; writes d/dt of it under force (N). */
export function dpDerivs(force: number, st: ArrayLike<number>, d: Float64Array): void {
  const { GRAVITY, MASSCART, MASSPOLE_1, LENGTH_1, MASSPOLE_2, LENGTH_2, MUP } = DP;
  const costheta_1 = Math.cos(st[2]!), sintheta_1 = Math.sin(st[2]!), gsintheta_1 = GRAVITY * sintheta_1;
  const costheta_2 = Math.cos(st[4]!), sintheta_2 = Math.sin(st[4]!), gsintheta_2 = GRAVITY * sintheta_2;
  const ml_1 = LENGTH_1 * MASSPOLE_1, ml_2 = LENGTH_2 * MASSPOLE_2;
  const temp_1 = (MUP * st[3]!) / ml_1, temp_2 = (MUP * st[5]!) / ml_2;
  const fi_1 = ml_1 * st[3]! * st[3]! * sintheta_1 + 0.75 * MASSPOLE_1 * costheta_1 * (temp_1 + gsintheta_1);
  const fi_2 = ml_2 * st[5]! * st[5]! * sintheta_2 + 0.75 * MASSPOLE_2 * costheta_2 * (temp_2 + gsintheta_2);
  const mi_1 = MASSPOLE_1 * (1 - 0.75 * costheta_1 * costheta_1);
  const mi_2 = MASSPOLE_2 * (1 - 0.75 * costheta_2 * costheta_2);
  d[0] = st[1]!;
  d[1] = (force + fi_1 + fi_2) / (mi_1 + mi_2 + MASSCART);
  d[2] = st[3]!;
  d[3] = (-0.75 * (d[1] * costheta_1 + gsintheta_1 + temp_1)) / LENGTH_1;
  d[4] = st[5]!;
  d[5] = (-0.75 * (d[1] * costheta_2 + gsintheta_2 + temp_2)) / LENGTH_2;
}

const k1 = new Float64Array(6), k2 = new Float64Array(6), k3 = new Float64Array(6), k4 = new Float64Array(6), yt = new Float64Array(6);

/** Numerical Recipes rk4: one step of size h from y with derivative dydx at y, into yout (may alias y). */
export function rk4(force: number, y: Float64Array, dydx: Float64Array, yout: Float64Array, h = DP.TAU): void {
  const hh = h * 0.5, h6 = h / 6;
  for (let i = 0; i < 6; i++) yt[i] = y[i]! + hh * dydx[i]!;
  dpDerivs(force, yt, k2);
  for (let i = 0; i < 6; i++) yt[i] = y[i]! + hh * k2[i]!;
  dpDerivs(force, yt, k3);
  for (let i = 0; i < 6; i++) { yt[i] = y[i]! + h * k3[i]!; k3[i] = k3[i]! + k2[i]!; }
  dpDerivs(force, yt, k4);
  for (let i = 0; i < 6; i++) yout[i] = y[i]! + h6 * (dydx[i]! + k4[i]! + 2 * k3[i]!);
}

/** One control step (0.02 s): network output in [0,1] → force, then two RK4 steps of 0.01 s. */
export function dpStep(output: number, st: Float64Array): void {
  const force = (output - 0.5) * DP.FORCE_MAG * 2;
  for (let i = 0; i < 2; i++) {
    dpDerivs(force, st, k1);
    rk4(force, st, k1, st);
  }
}

export function dpOutside(st: Float64Array): boolean {
  return st[0]! < -DP.TRACK_EDGE || st[0]! > DP.TRACK_EDGE || st[2]! < -DP.THIRTYSIX_DEGREES || st[2]! > DP.THIRTYSIX_DEGREES ||
    st[4]! < -DP.THIRTYSIX_DEGREES || st[4]! > DP.THIRTYSIX_DEGREES;
}

export interface DoublePoleOptions {
  markov: boolean;
  /** Initial θ1 in rad (C++: 0.07). */
  theta1?: number;
  /** DPV success / DPNV long test, steps (100,000). */
  longSteps?: number;
  /** DPNV fitness trial length (1,000). */
  trialSteps?: number;
  recurrentMode?: RecurrentMode;
}

function setInputs(markov: boolean, st: Float64Array, inp: Float64Array): void {
  if (markov) {
    inp[0] = st[0]! / 4.8; inp[1] = st[1]! / 2; inp[2] = st[2]! / 0.52; inp[3] = st[3]! / 2; inp[4] = st[4]! / 0.52; inp[5] = st[5]! / 2; inp[6] = 0.5;
  } else {
    inp[0] = st[0]! / 4.8; inp[1] = st[2]! / 0.52; inp[2] = st[4]! / 0.52; inp[3] = 0.5;
  }
}

/** Runs a controller from state st for up to maxSteps; returns steps balanced; jiggle[t] = |x|+|ẋ|+|θ1|+|θ̇1| after step t. */
export function runDoublePole(net: Stepper, markov: boolean, st: Float64Array, maxSteps: number, jiggle?: Float64Array): number {
  const inp = new Float64Array(markov ? 7 : 4), out = new Float64Array(1);
  let t = 0;
  while (t < maxSteps) {
    setInputs(markov, st, inp);
    net.activate(inp, out);
    dpStep(out[0]!, st);
    if (jiggle) jiggle[t] = Math.abs(st[0]!) + Math.abs(st[1]!) + Math.abs(st[2]!) + Math.abs(st[3]!);
    if (dpOutside(st)) break;
    t++;
  }
  return t;
}

export function initialState(theta1 = 0.07): Float64Array {
  return new Float64Array([0, 0, theta1, 0, 0, 0]);
}

/** Gruau's damping fitness for DPNV from steps balanced t and the jiggle trace. */
export function dampingFitness(t: number, jiggle: Float64Array): number {
  if (t > 100) {
    let sum = 0;
    for (let i = t - 100; i < t; i++) sum += jiggle[i]!;
    return 0.1 * (t / 1000) + 0.9 * (0.75 / sum);
  }
  return 0.1 * (t / 1000);
}

const GEN_FRACTIONS = [0.05, 0.25, 0.5, 0.75, 0.95];

/** Generalization test: 625 starts on a 5⁴ grid (C++ constants), 1,000 steps each; returns successes. */
export function generalizationScore(g: Genome, markov: boolean, mode?: RecurrentMode, steps = 1000): number {
  const net = new Stepper(compile(g), mode);
  let ok = 0;
  const st = new Float64Array(6);
  for (const f0 of GEN_FRACTIONS) for (const f1 of GEN_FRACTIONS) for (const f2 of GEN_FRACTIONS) for (const f3 of GEN_FRACTIONS) {
    st[0] = f0 * 4.32 - 2.16;
    st[1] = f1 * 2.7 - 1.35;
    st[2] = f2 * 0.12566304 - 0.06283152;
    st[3] = f3 * 0.30019504 - 0.15009752;
    st[4] = 0; st[5] = 0;
    net.reset();
    if (runDoublePole(net, markov, st, steps) >= steps) ok++;
  }
  return ok;
}

export function doublePoleTask(opts: DoublePoleOptions): Task {
  const markov = opts.markov;
  const theta1 = opts.theta1 ?? 0.07;
  const longSteps = opts.longSteps ?? 100_000;
  const trialSteps = opts.trialSteps ?? 1000;
  const mode = opts.recurrentMode;
  const jiggle = new Float64Array(trialSteps);
  return {
    name: markov ? 'double-pole' : 'double-pole-nv',
    nIn: markov ? 7 : 4,
    nOut: 1,
    evaluate(g) {
      const net = new Stepper(compile(g), mode);
      if (markov) {
        const t = runDoublePole(net, true, initialState(theta1), longSteps);
        return { fitness: t, solved: t >= longSteps };
      }
      const t = runDoublePole(net, false, initialState(theta1), trialSteps, jiggle);
      return { fitness: dampingFitness(t, jiggle), solved: t >= trialSteps };
    },
    checkChampion: markov ? undefined : (g): ChampionCheck => {
      const net = new Stepper(compile(g), mode);
      const long = runDoublePole(net, false, initialState(theta1), longSteps);
      if (long < longSteps) return { solved: false, info: { longSteps: long } };
      const gen = generalizationScore(g, false, mode);
      return { solved: gen >= 200, info: { longSteps: long, generalization: gen } };
    },
    report(g) {
      return { generalization: generalizationScore(g, markov, mode) };
    },
  };
}
