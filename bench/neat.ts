// NEAT benchmark: network evaluations per second, winnow's compiled programs vs neataptic 1.4.7's
// noTraceActivate, on identical topologies (the first XOR and double-pole-with-velocities winners of
// seed 1, rebuilt node for node and link for link in neataptic with the same steepened sigmoid and
// zero biases; outputs are checked equal first), plus generations per second of whole XOR runs at
// population 150. One evaluation = one forward pass of one input vector. Same process, same machine,
// single thread; ratios are what count.
// Usage: node dist/bench/neat.js [--seconds 1.0]
import { createRequire } from 'node:module';
import { resolveConfig } from '../src/neat/config.js';
import type { Genome } from '../src/neat/genome.js';
import { BatchEvaluator, compile, Stepper, type Program } from '../src/neat/network.js';
import { runNeat } from '../src/neat/run.js';
import { Rng } from '../src/util/rng.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const neataptic: any = require('neataptic');

const secArg = process.argv.indexOf('--seconds');
const SECONDS = secArg > 0 ? Number(process.argv[secArg + 1]) : 1.0;
const steep = (x: number) => 1 / (1 + Math.exp(-4.9 * x));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function toNeataptic(p: Program): any {
  const net = new neataptic.Network(p.nIn, p.nOut);
  for (const c of [...net.connections]) net.disconnect(c.from, c.to);
  const inputs = net.nodes.slice(0, p.nIn);
  const outputs = net.nodes.slice(p.nIn);
  const bySlot: unknown[] = [...inputs];
  for (let k = 0; k < p.nEval; k++) {
    const id = p.nodeIds[k]!;
    const isOut = id >= p.nIn && id < p.nIn + p.nOut;
    const node = isOut ? outputs[id - p.nIn] : new neataptic.Node('hidden');
    node.bias = p.bias[k];
    node.squash = steep;
    bySlot.push(node);
  }
  net.nodes = bySlot;
  for (let k = 0; k < p.nEval; k++) {
    for (let c = p.start[k]!; c < p.start[k + 1]!; c++) net.connect(bySlot[p.src[c]!], bySlot[p.nIn + k], p.weight[c]);
  }
  return net;
}

function time(fn: () => number): number {
  // returns evaluations per second; fn does a chunk of work and returns how many evaluations it did
  let n = fn(); // warm-up
  const t0 = process.hrtime.bigint();
  n = 0;
  let el = 0;
  while (el < SECONDS) { n += fn(); el = Number(process.hrtime.bigint() - t0) / 1e9; }
  return n / el;
}

function benchNetwork(name: string, g: Genome, inputs: Float64Array[], B: number): Record<string, number> {
  const p = compile(g);
  const nn = toNeataptic(p);
  const st = new Stepper(p);
  const o = new Float64Array(p.nOut);
  for (const inp of inputs.slice(0, 16)) {
    const a = nn.noTraceActivate(Array.from(inp));
    st.reset(); st.activate(inp, o);
    for (let k = 0; k < p.nOut; k++) if (Math.abs(a[k] - o[k]!) > 1e-12) throw new Error(`${name}: neataptic and winnow disagree (${a[k]} vs ${o[k]})`);
  }
  const K = inputs.length;
  const plain = inputs.map((x) => Array.from(x));
  let sink = 0;
  const nea = time(() => { for (let i = 0; i < 20000; i++) sink += nn.noTraceActivate(plain[i % K])[0]; return 20000; });
  const single = time(() => { for (let i = 0; i < 20000; i++) { st.activate(inputs[i % K]!, o); sink += o[0]!; } return 20000; });
  const be = new BatchEvaluator(p);
  const batchIn = new Float64Array(p.nIn * B);
  for (let b = 0; b < B; b++) for (let i = 0; i < p.nIn; i++) batchIn[i * B + b] = inputs[b % K]![i]!;
  const batchOut = new Float64Array(p.nOut * B);
  const batch = time(() => { for (let r = 0; r < 20; r++) { be.run(batchIn, B, batchOut); sink += batchOut[0]!; } return 20 * B; });
  const compileRate = time(() => { for (let r = 0; r < 200; r++) sink += compile(g).nEval; return 200; });
  if (sink === 42.4242) console.log('');
  const r = { neatapticPerSec: nea, winnowSinglePerSec: single, winnowBatchPerSec: batch, ratioSingle: single / nea, ratioBatch: batch / nea, compilesPerSec: compileRate };
  console.log(`${name}: ${p.nEval - p.nOut} hidden, ${p.src.length} connections`);
  console.log(`  neataptic noTraceActivate     ${(nea / 1e6).toFixed(2)} M evals/s`);
  console.log(`  winnow Stepper (one input)    ${(single / 1e6).toFixed(2)} M evals/s   ×${(single / nea).toFixed(2)}`);
  console.log(`  winnow batch of ${B}`.padEnd(31) + ` ${(batch / 1e6).toFixed(2)} M evals/s   ×${(batch / nea).toFixed(2)}`);
  console.log(`  compile genome → program      ${(compileRate / 1e3).toFixed(1)} k/s`);
  return r;
}

const json = process.argv.includes('--json');
const xorCfg = resolveConfig('xor');
const xorWin = await runNeat({ task: { name: 'xor' }, config: xorCfg, seed: 1, outDir: null });
const dpvWin = await runNeat({ task: { name: 'double-pole' }, config: resolveConfig('double-pole'), seed: 1, outDir: null });
const rng = new Rng(123);
const xorInputs = [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]].map((x) => Float64Array.from(x));
const dpInputs = Array.from({ length: 1024 }, () => Float64Array.from([rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), rng.uniform(-0.5, 0.5), 0.5]));
const results: Record<string, unknown> = {};
results.xor = benchNetwork(`XOR winner (seed 1)`, xorWin.best, xorInputs, 1024);
results.doublePole = benchNetwork(`double-pole (DPV) winner (seed 1)`, dpvWin.best, dpInputs, 1024);

// generations per second: whole XOR runs (evaluate + speciate + reproduce), population 150, one thread
let gens = 0;
const t0 = Date.now();
let seed = 1;
while ((Date.now() - t0) / 1000 < Math.max(2, SECONDS * 3)) {
  const r = await runNeat({ task: { name: 'xor' }, config: xorCfg, seed: seed++, outDir: null });
  gens += r.generations;
}
const gps = gens / ((Date.now() - t0) / 1000);
results.xorGenerationsPerSec = gps;
console.log(`XOR, population 150: ${gps.toFixed(0)} generations/s (${gens} generations over ${seed - 1} runs, 1 thread)`);
if (json) console.log(JSON.stringify(results));
