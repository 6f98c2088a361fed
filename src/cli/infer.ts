// `winnow infer MODEL`: load a (compressed) network and run it — layers below the sparse threshold on
// the CSR kernels — over a dataset's test split (accuracy, throughput) or over inputs from a JSON file
// (predictions).
import type { Command } from 'commander';
import { infer, inferLm, isLmPath } from '../experiments/index.js';
import { intFlag } from '../util/flags.js';
import { addBackendOption } from './backend-option.js';

interface InferFlags {
  dataset?: string; dataDir?: string; input?: string; batch: number; store?: string; json?: boolean; backend: 'native' | 'reference';
}

export function register(program: Command): void {
  const cmd = program.command('infer')
    .description('run a model file (or lottery ticket) through the sparse kernels: test accuracy and throughput, or predictions for JSON inputs; for a language model, validation loss (nats, bits/char)')
    .argument('<model>', 'a model file (winnow compress / train --save) or a ticket runs/<runId>:level=<L>')
    .option('--dataset <name>', 'evaluate on this dataset\'s test split (default: the one the model names)')
    .option('--data-dir <dir>', 'directory holding the IDX files')
    .option('--input <file.json>', 'predict for these samples instead: [[x0, x1, …], …] (row-major features)')
    .option('--batch <n>', 'samples per forward pass (classifiers; a language model is measured 16 windows at a time)', intFlag('--batch', 1, 65536), 256)
    .option('--store <dir>', 'experiment store holding lottery runs')
    .option('--json', 'print JSON on stdout')
    .option('--eval-tokens <n>', 'language models: validation loss over the first n characters only (default: all)', intFlag('--eval-tokens', 0));
  addBackendOption(cmd).action((modelArg: string, flags: InferFlags & { evalTokens?: number }) => {
    if (isLmPath(modelArg)) {
      const r = inferLm(modelArg, { ...flags, warn: (m) => process.stderr.write(m + '\n') });
      if (flags.json) { process.stdout.write(JSON.stringify(r, null, 2) + '\n'); return; }
      console.log(`${r.model} (${r.spec}, ${r.fileBytes} B) on ${r.dataset} validation (${r.tokens} characters), backend ${r.backend}`);
      for (const l of r.layers) console.log(`  ${l.name.padEnd(18)} density ${(100 * l.density).toFixed(2).padStart(6)}%  ${l.storage}`);
      console.log(`validation loss ${r.loss.toFixed(4)} nats = ${r.bitsPerChar.toFixed(4)} bits/char; forward passes ${r.milliseconds.toFixed(1)} ms = ${Math.round(r.tokensPerSecond)} characters/s`);
      return;
    }
    const r = infer(modelArg, { ...flags, warn: (m) => process.stderr.write(m + '\n') });
    if (r.kind === 'predictions') {
      const out = r.out, n = out.n, layers = out.layers, ms = out.milliseconds, pred = out.predictions;
      const resolved = { origin: out.model };
    if (flags.json) { process.stdout.write(JSON.stringify(out, null, 2) + '\n'); return; }
      console.log(`${resolved.origin}: ${n} sample(s) in ${ms.toFixed(3)} ms; storage ${layers.map((l) => `${l.name} ${l.storage}`).join(', ')}`);
      for (let i = 0; i < n; i++) console.log(`  ${i}: class ${pred[i]}  logits ${out.logits[i]!.map((x) => x.toFixed(3)).join(' ')}`);
      return;
    }
    const out = r.out, layers = out.layers, ms = out.milliseconds;
    const resolved = { origin: out.model }, data = { name: out.dataset }, split = { count: out.samples }, bs = out.batch;
    if (flags.json) { process.stdout.write(JSON.stringify(out, null, 2) + '\n'); return; }
    console.log(`${resolved.origin} on ${data.name} test (${split.count} samples, batch ${bs}), backend ${out.backend}`);
    for (const l of layers) console.log(`  ${l.name.padEnd(6)} density ${(100 * l.density).toFixed(2).padStart(6)}%  ${l.storage}`);
    console.log(`test accuracy ${(100 * out.testAccuracy).toFixed(2)}%; forward passes ${ms.toFixed(1)} ms = ${Math.round(out.samplesPerSecond)} samples/s`);
  });
}
