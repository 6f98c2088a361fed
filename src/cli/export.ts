// `winnow export MODEL --to onnx|safetensors`: take a winnow network elsewhere.
import type { Command } from 'commander';
import { EXPORT_TARGETS, exportModel, type ExportTarget } from '../experiments/index.js';
import { choiceFlag } from '../util/flags.js';

export function register(program: Command): void {
  program.command('export')
    .description('export a model file or lottery ticket as dense float32 ONNX (MLP, conv and gpt language models) or as a PyTorch-style state dict in safetensors')
    .argument('<model>', 'a model file or a lottery ticket: runs/<runId>:level=<L>[:replicate=<r>][:branch=ticket]')
    .requiredOption('--to <format>', EXPORT_TARGETS.join(' | '), choiceFlag('--to', EXPORT_TARGETS))
    .option('--out <file>', 'output file (default: <model>.<format> in the current directory)')
    .option('--store <dir>', 'experiment store holding lottery runs (for MODEL given as <runId>:level=<L>)')
    .option('--json', 'print the report as JSON on stdout')
    .action((modelArg: string, o: { to: ExportTarget; out?: string; store?: string; json?: boolean }) => {
      const r = exportModel(modelArg, o);
      if (o.json) { process.stdout.write(JSON.stringify(r, null, 2) + '\n'); return; }
      console.log(`${r.source} → ${r.out}: ${r.spec} as ${r.to}, ${r.bytes} B`);
    });
}
