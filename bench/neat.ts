// NEAT benchmark: network evaluations per second, winnow's compiled programs vs neataptic 1.4.7's
// noTraceActivate, on identical topologies (the first XOR and double-pole-with-velocities winners of
// seed 1, rebuilt node for node and link for link in neataptic with the same steepened sigmoid and
// zero biases; outputs are checked equal first): winnow's TS Stepper (one input) and batch evaluator,
// and the native kernels (native/neat.cc) with one input per call and a batch per call; then a whole
// XOR population (150 genomes × 4 patterns) per genome in TS vs one native lockstep call; then
// generations per second of whole XOR runs at population 150 with native and TS evaluation.
// One evaluation = one forward pass of one input vector. Same process, same machine, single thread;
// ratios are what count.
import { createRequire } from 'node:module';
import { resolveConfig } from '../src/neat/config.js';
import type { Genome } from '../src/neat/genome.js';
import { BatchEvaluator, compile, Stepper, type Program } from '../src/neat/network.js';
import { runNeat } from '../src/neat/run.js';
import { InlineEvaluator } from '../src/neat/evaluate-parallel.js';
import { loadNativeBackend } from '../src/backend/native.js';
import { neatEvalOf, packPrograms, ProgramBatch, REFERENCE_NEAT_EVAL, type NeatEval } from '../src/neat/native-eval.js';
import { XOR_INPUT, xorTask } from '../src/neat/tasks/xor.js';
import { Rng } from '../src/util/rng.js';
import { checkArgs } from './util.js';

const USAGE = `Usage: node dist/bench/neat.js [--seconds 1.0] [--json]
NEAT network evaluations per second, one thread: winnow's compiled programs (TS and native, one input and
batched) against neataptic 1.4.7 on identical topologies, a whole XOR population in lockstep, and generations
per second of whole XOR runs (native and TS evaluation).
  --seconds S   timing budget per measurement in seconds; whole XOR runs take max(2, 3 S) (default 1.0)
  --json        also print the results as one JSON line (default off)
  -h, --help    print this and exit`;
checkArgs('neat', USAGE);

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const neataptic: any = require('neataptic');

const secArg = process.argv.indexOf('--seconds');
const SECONDS = secArg > 0 ? Number(process.argv[secArg + 1]) : 1.0;
const steep = (x: number) => 1 / (1 + Math.exp(-4.9 * x));
const nat = loadNativeBackend();
if ('error' in nat) throw new Error(`bench/neat: native NEAT kernels unavailable: ${nat.error}`);
const NATIVE: NeatEval = neatEvalOf(nat.backend);

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
  // native: one input per call (state kept, as a controller step), and a batch of B per call
  const values1 = new Float64Array(p.nSlots);
  const o0 = p.outSlot[0]!;
  const nSingle = time(() => {
    for (let i = 0; i < 20000; i++) { values1.set(inputs[i % K]!); NATIVE.forward(p, values1, 1, true); sink += values1[o0]!; }
    return 20000;
  });
  const nb = new ProgramBatch(p, NATIVE);
  const nBatch = time(() => { for (let r = 0; r < 20; r++) { nb.run(batchIn, B, batchOut); sink += batchOut[0]!; } return 20 * B; });
  const compileRate = time(() => { for (let r = 0; r < 200; r++) sink += compile(g).nEval; return 200; });
  if (sink === 42.4242) console.log('');
  const r = {
    neatapticPerSec: nea, tsSinglePerSec: single, tsBatchPerSec: batch, nativeSinglePerSec: nSingle, nativeBatchPerSec: nBatch,
    ratioTsSingle: single / nea, ratioTsBatch: batch / nea, ratioNativeSingle: nSingle / nea, ratioNativeBatch: nBatch / nea, compilesPerSec: compileRate,
  };
  const line = (label: string, v: number) => console.log(`  ${label.padEnd(34)} ${(v / 1e6).toFixed(2).padStart(8)} M evals/s   ×${(v / nea).toFixed(2)}`);
  console.log(`${name}: ${p.nEval - p.nOut} hidden, ${p.src.length} connections (ratios vs neataptic)`);
  line('neataptic noTraceActivate', nea);
  line('winnow TS Stepper (one input)', single);
  line(`winnow TS batch of ${B}`, batch);
  line(`winnow native (one input/call)`, nSingle);
  line(`winnow native batch of ${B}`, nBatch);
  console.log(`  compile genome → program            ${(compileRate / 1e3).toFixed(1)} k/s`);
  return r;
}

/** A whole XOR population's evaluation: 150 genomes × 4 patterns, per-genome TS vs one native lockstep call. */
function benchPopulation(genomes: Genome[]): Record<string, number> {
  const programs = genomes.map(compile);
  const nn = programs.map(toNeataptic);
  const pats = [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]];
  let sink = 0;
  const n = genomes.length * 4;
  const nea = time(() => { for (const net of nn) for (const x of pats) sink += net.noTraceActivate(x)[0]; return n; });
  const bes = programs.map((p) => new BatchEvaluator(p));
  const out = new Float64Array(4), outMany = new Float64Array(n);
  const ts = time(() => { for (const be of bes) { be.run(XOR_INPUT, 4, out); sink += out[0]!; } return n; });
  const pack = packPrograms(programs);
  const many = time(() => { NATIVE.forwardMany(pack, XOR_INPUT, 4, outMany); sink += outMany[0]!; return n; });
  const packAndMany = time(() => { NATIVE.forwardMany(packPrograms(programs), XOR_INPUT, 4, outMany); sink += outMany[0]!; return n; });
  if (sink === 42.4242) console.log('');
  const line = (label: string, v: number) => console.log(`  ${label.padEnd(34)} ${(v / 1e6).toFixed(2).padStart(8)} M evals/s   ×${(v / nea).toFixed(2)}`);
  console.log(`XOR population (${genomes.length} genomes of a run's generation, 4 patterns each):`);
  line('neataptic noTraceActivate', nea);
  line('winnow TS batch of 4 per genome', ts);
  line('winnow native lockstep (1 call)', many);
  line('  + packing the programs', packAndMany);
  return { neatapticPerSec: nea, tsPerGenomeBatchPerSec: ts, nativeLockstepPerSec: many, nativeLockstepWithPackPerSec: packAndMany,
    ratioTs: ts / nea, ratioNative: many / nea, ratioNativeWithPack: packAndMany / nea };
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

// a population to evaluate in lockstep: generation 20 of an XOR run (genomes with some structure)
let pop: Genome[] = [];
await runNeat({ task: { name: 'xor' }, config: { ...xorCfg, maxGenerations: 21 }, seed: 7, outDir: null,
  evaluator: { async evaluate(gs) { pop = gs.map((g) => ({ ...g, nodes: g.nodes.map((x) => ({ ...x })), conns: g.conns.map((c) => ({ ...c })) })); return xorTask(NATIVE).evaluateMany!(gs, { seed: 7, generation: 0, start: 0 }); }, async close() {} } });
results.xorPopulation = benchPopulation(pop);

// generations per second: whole XOR runs (evaluate + speciate + reproduce), population 150, one thread,
// with the native lockstep evaluation (the default) and with the TS evaluator
async function generationsPerSec(label: string, evalName: 'native' | 'ts'): Promise<number> {
  let gens = 0;
  const t0 = Date.now();
  let seed = 1;
  while ((Date.now() - t0) / 1000 < Math.max(2, SECONDS * 3)) {
    const evaluator = new InlineEvaluator(xorTask(evalName === 'ts' ? REFERENCE_NEAT_EVAL : NATIVE));
    const r = await runNeat({ task: { name: 'xor' }, config: xorCfg, seed: seed++, outDir: null, evaluator });
    gens += r.generations;
  }
  const gps = gens / ((Date.now() - t0) / 1000);
  console.log(`XOR, population 150, ${label}: ${gps.toFixed(0)} generations/s (${gens} generations over ${seed - 1} runs, 1 thread)`);
  return gps;
}
results.xorGenerationsPerSecNative = await generationsPerSec('native lockstep evaluation', 'native');
results.xorGenerationsPerSecTs = await generationsPerSec('TS evaluation', 'ts');
console.log(`native ISA: ${NATIVE.detail}`);
if (json) console.log(JSON.stringify(results));
