// `winnow export MODEL --to onnx|safetensors`: take a winnow network elsewhere.
import type { Command } from 'commander';
import { EXPORT_TARGETS, exportModel, type ExportTarget } from '../experiments/index.js';
import { choiceFlag } from '../util/flags.js';

export function register(program: Command): void {
  program.command('export')
    .description('export a model file or lottery ticket to ONNX (MLP, conv and gpt language models) or safetensors; quantized model files keep their codes (safetensors: every format; ONNX: int8/int4 via DequantizeLinear)')
    .argument('<model>', 'a model file or a lottery ticket: runs/<runId>:level=<L>[:replicate=<r>][:branch=ticket]')
    .requiredOption('--to <format>', EXPORT_TARGETS.join(' | '), choiceFlag('--to', EXPORT_TARGETS))
    .option('--out <file>', 'output file (default: <model>.<format> in the current directory)')
    .option('--store <dir>', 'experiment store holding lottery runs (for MODEL given as <runId>:level=<L>)')
    .option('--dense', 'write dequantized float32 weights even for a quantized model file')
    .option('--json', 'print the report as JSON on stdout')
    .action((modelArg: string, o: { to: ExportTarget; out?: string; store?: string; dense?: boolean; json?: boolean }) => {
      const r = exportModel(modelArg, o);
      if (o.json) { process.stdout.write(JSON.stringify(r, null, 2) + '\n'); return; }
      const size = r.sourceBytes !== undefined ? ` (source ${r.sourceBytes} B)` : '';
      console.log(`${r.source} → ${r.out}: ${r.spec} as ${r.to}, ${r.weights} weights, ${r.bytes} B${size}`);
      for (const n of r.notes) console.log(`  note: ${n}`);
    });
}
