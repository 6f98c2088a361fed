// `winnow import-weights FILE --model SPEC --out model.wnn`: PyTorch state-dict weights (safetensors) into a
// winnow model file.
import type { Command } from 'commander';
import { importWeights } from '../experiments/index.js';
import { addBackendOption } from './backend-option.js';

export function register(program: Command): void {
  const cmd = program.command('import-weights')
    .description('import PyTorch weights (a state dict saved as safetensors: fc1.weight [out, in], conv1.weight [out, in, kh, kw], …) into a winnow model file')
    .argument('<file>', 'a .safetensors file')
    .requiredOption('--model <spec>', 'the architecture the weights belong to: mlp:784-300-100-10, conv:4-pool/16, lenet300, conv2, …')
    .requiredOption('--out <file>', 'the winnow model file to write')
    .option('--dataset <name>', 'dataset giving the input shape and classes, and checked for accuracy', 'fashion-mnist-mini')
    .option('--data-dir <dir>', 'directory holding the IDX files')
    .option('--json', 'print the report as JSON on stdout');
  addBackendOption(cmd).action((file: string, o: { model: string; out: string; dataset: string; dataDir?: string; json?: boolean; backend: 'native' | 'reference' }) => {
    const r = importWeights(file, { ...o, warn: (m) => process.stderr.write(m + '\n') });
    if (o.json) { process.stdout.write(JSON.stringify(r, null, 2) + '\n'); return; }
    for (const l of r.layers) console.log(`${l.layer.padEnd(8)} ← ${l.weight} [${l.shape.join(', ')}], ${l.bias}`);
    console.log(`${r.file} → ${r.out} (${r.bytes} B): ${r.model}, test accuracy on ${r.dataset} ${(100 * r.testAccuracy).toFixed(2)}%`);
  });
}
