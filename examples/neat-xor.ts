// Evolve XOR with NEAT (the paper's settings), watch each generation, and run the champion.
// Run: node dist/examples/neat-xor.js
import { compileGenome, resolveNeatConfig, runNeat, Stepper } from 'winnow';

const config = resolveNeatConfig('xor');
const result = await runNeat({
  task: { name: 'xor' }, config, seed: 3, outDir: null,
  onGeneration: (s) => { if (s.generation % 10 === 0 || s.solved) console.log(`generation ${s.generation}: best fitness ${s.bestFitness.toFixed(3)}, ${s.speciesCount} species`); },
});
console.log(`solved: ${result.solved} after ${result.generations} generations`);

// The champion as a network: reset before each input (XOR needs no memory). Inputs are (a, b, bias 1),
// as in Stanley's protocol.
const champion = new Stepper(compileGenome(result.best));
const out = new Float64Array(1);
for (const [a, b] of [[0, 0], [0, 1], [1, 0], [1, 1]] as const) {
  champion.reset();
  champion.activate([a, b, 1], out);
  console.log(`  ${a} xor ${b} → ${out[0]!.toFixed(3)}`);
}
