// Single pole balancing — a smoke test only (not in the NEAT paper). Stanley's C++ pole1_test /
// cart_pole(): Sutton–Anderson equations, Euler integration τ = 0.02 s, g = 9.8, m_cart 1.0, m_pole 0.1,
// half-length 0.5, bang-bang ±10 N chosen by comparing the two outputs, failure at |x| > 2.4 m or
// |θ| > 12°, random start (x ∈ ±2.4, ẋ ∈ ±1, θ ∈ ±0.2, θ̇ ∈ ±1.5) drawn from a stream derived from
// (seed, generation, genome index), solved at 100,000 steps.
import type { Genome } from '../genome.js';
import { compile, Stepper, type RecurrentMode } from '../network.js';
import { evalRng, type Task } from './task.js';

const TWELVE_DEGREES = 0.2094384;

export interface CartState { x: number; xDot: number; theta: number; thetaDot: number }

/** One Euler step of the C++ cart_pole(); action 1 pushes right (+10 N), 0 left. */
export function cartPoleStep(action: number, s: CartState): void {
  const GRAVITY = 9.8, MASSCART = 1.0, MASSPOLE = 0.1, TOTAL_MASS = MASSPOLE + MASSCART, LENGTH = 0.5;
  const POLEMASS_LENGTH = MASSPOLE * LENGTH, FORCE_MAG = 10.0, TAU = 0.02, FOURTHIRDS = 1.3333333333333;
  const force = action > 0 ? FORCE_MAG : -FORCE_MAG;
  const costheta = Math.cos(s.theta), sintheta = Math.sin(s.theta);
  const temp = (force + POLEMASS_LENGTH * s.thetaDot * s.thetaDot * sintheta) / TOTAL_MASS;
  const thetaacc = (GRAVITY * sintheta - costheta * temp) / (LENGTH * (FOURTHIRDS - (MASSPOLE * costheta * costheta) / TOTAL_MASS));
  const xacc = temp - (POLEMASS_LENGTH * thetaacc * costheta) / TOTAL_MASS;
  s.x += TAU * s.xDot;
  s.xDot += TAU * xacc;
  s.theta += TAU * s.thetaDot;
  s.thetaDot += TAU * thetaacc;
}

export function poleSingleTask(opts: { maxSteps?: number; recurrentMode?: RecurrentMode } = {}): Task {
  const maxSteps = opts.maxSteps ?? 100_000;
  return {
    name: 'pole',
    nIn: 5,
    nOut: 2,
    evaluate(g: Genome, ctx) {
      const rng = evalRng(ctx, 'pole-start');
      const s: CartState = { x: rng.uniform(-2.4, 2.4), xDot: rng.uniform(-1, 1), theta: rng.uniform(-0.2, 0.2), thetaDot: rng.uniform(-1.5, 1.5) };
      const net = new Stepper(compile(g), opts.recurrentMode);
      const inp = new Float64Array(5), out = new Float64Array(2);
      let steps = 0;
      while (steps < maxSteps) {
        inp[0] = (s.x + 2.4) / 4.8; inp[1] = (s.xDot + 0.75) / 1.5; inp[2] = (s.theta + TWELVE_DEGREES) / 0.41; inp[3] = (s.thetaDot + 1.0) / 2.0; inp[4] = 1.0;
        net.activate(inp, out);
        cartPoleStep(out[0]! > out[1]! ? 0 : 1, s);
        if (s.x < -2.4 || s.x > 2.4 || s.theta < -TWELVE_DEGREES || s.theta > TWELVE_DEGREES) break;
        steps++;
      }
      return { fitness: steps, solved: steps >= maxSteps };
    },
  };
}
