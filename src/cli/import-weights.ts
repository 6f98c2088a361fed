// `winnow import-weights FILE --model SPEC --out model.wnn`: PyTorch state-dict weights (safetensors) into a
// winnow model file; `winnow import-weights [--gpt2] DIR --out lm.wnn`: a Hugging Face GPT-2 checkpoint and its
// BPE tokenizer into a winnow LM file (recognized by its wte.weight tensor when --model is not given).
import type { Command } from 'commander';
import { importGpt2Checkpoint, importWeights, looksLikeGpt2 } from '../experiments/index.js';
import { UserError } from '../util/errors.js';
import { intFlag } from '../util/flags.js';
import { addBackendOption } from './backend-option.js';

interface ImportFlags { model?: string; gpt2?: boolean; heads?: number; out: string; dataset: string; dataDir?: string; json?: boolean; backend: 'native' | 'reference' }

export function register(program: Command): void {
  const cmd = program.command('import-weights')
    .description('import PyTorch weights (a state dict saved as safetensors: fc1.weight [out, in], conv1.weight [out, in, kh, kw], …) into a winnow model file, '
      + 'or (--gpt2) a Hugging Face GPT-2 checkpoint with its tokenizer into a language-model file')
    .argument('<file>', 'a .safetensors file; with --gpt2 a directory holding model.safetensors, vocab.json, merges.txt (config.json optional)')
    .option('--model <spec>', 'the architecture the weights belong to: mlp:784-300-100-10, conv:4-pool/16, lenet300, conv2, …')
    .option('--gpt2', 'the file is a Hugging Face GPT-2 checkpoint (wte, wpe, h.N.attn.c_attn, …; also with the transformer. prefix); '
      + 'assumed without --model when the file names wte.weight')
    .option('--heads <n>', 'GPT-2: the number of attention heads when there is no config.json (default: n_embd / 64)', intFlag('--heads', 1, 1 << 16))
    .requiredOption('--out <file>', 'the winnow model file to write')
    .option('--dataset <name>', 'dataset giving the input shape and classes, and checked for accuracy', 'fashion-mnist-mini')
    .option('--data-dir <dir>', 'directory holding the IDX files')
    .option('--json', 'print the report as JSON on stdout');
  addBackendOption(cmd).action((file: string, o: ImportFlags) => {
    if (o.gpt2 || (o.model === undefined && looksLikeGpt2(file))) {
      if (o.model !== undefined) throw new UserError('--model: not used with --gpt2 (the architecture comes from the checkpoint)');
      const r = importGpt2Checkpoint(file, { out: o.out, heads: o.heads });
      if (o.json) { process.stdout.write(JSON.stringify(r, null, 2) + '\n'); return; }
      console.log(`${r.checkpoint}${r.prefix ? ` (names prefixed '${r.prefix}')` : ''}: ${r.spec}, ${r.parameters} parameters, vocabulary ${r.vocab}, ${r.tied ? 'tied' : 'untied'} head, heads from ${r.headsFrom}`);
      if (r.skipped.length) console.log(`skipped ${r.skipped.length} causal-mask buffer(s) (${r.skipped[0]}, …)`);
      console.log(`tokenizer: ${r.tokenizer.tokens} tokens, ${r.tokenizer.merges} merges (${r.tokenizer.vocabFile}, ${r.tokenizer.mergesFile})`);
      console.log(`→ ${r.out} (${r.bytes} B); try: winnow generate ${r.out} --prompt "Hello" --tokens 40`);
      return;
    }
    if (o.heads !== undefined) throw new UserError('--heads: only with --gpt2');
    if (o.model === undefined) throw new UserError("--model: required (the architecture of the weights), or --gpt2 for a Hugging Face GPT-2 checkpoint");
    const r = importWeights(file, { ...o, model: o.model, warn: (m) => process.stderr.write(m + '\n') });
    if (o.json) { process.stdout.write(JSON.stringify(r, null, 2) + '\n'); return; }
    for (const l of r.layers) console.log(`${l.layer.padEnd(8)} ← ${l.weight} [${l.shape.join(', ')}], ${l.bias}`);
    console.log(`${r.file} → ${r.out} (${r.bytes} B): ${r.model}, test accuracy on ${r.dataset} ${(100 * r.testAccuracy).toFixed(2)}%`);
  });
}
