// NEAT's node activations by code (the kernels' numbering; neat/network.ts names them). Plain TypeScript,
// the reference the native NEAT kernels are diffed against.
export function activate(code: number, x: number): number {
  switch (code) {
    case 0: return 1 / (1 + Math.exp(-4.9 * x));
    case 1: return 1 / (1 + Math.exp(-x));
    case 2: return Math.tanh(x);
    case 3: return x > 0 ? x : 0;
    case 4: return x;
    case 5: return Math.exp(-x * x);
    case 6: return Math.sin(x);
    case 7: return Math.abs(x);
    default: throw new Error(`network: unknown activation code ${code}`);
  }
}
