// `winnow generate MODEL`: sample from a language-model file, or measure its loss on a text file.
import type { Command } from 'commander';
import { evaluateText, generateText } from '../experiments/index.js';
import { UserError } from '../util/errors.js';
import { intFlag, numberFlag } from '../util/flags.js';
import { addBackendOption } from './backend-option.js';

interface GenerateFlags { prompt?: string; tokens: number; temperature: number; topK: number; seed: number; evalText?: string; context?: number; json?: boolean; cache: boolean; backend: 'native' | 'reference' }

export function register(program: Command): void {
  const cmd = program.command('generate')
    .description('sample text from a language model (winnow train --model gpt:… --save, winnow import-weights --gpt2), or measure its loss and perplexity on a text file')
    .argument('<model>', 'a language-model file')
    .option('--prompt <text>', 'text to continue (default: a newline; <|endoftext|> for GPT-2 tokenizers)')
    .option('--tokens <n>', 'tokens to generate (characters for a character-level model)', intFlag('--tokens', 0, 1_000_000), 200)
    .option('--temperature <t>', 'divide the logits by t (0: always the most likely token)', numberFlag('--temperature', 0, 100), 1)
    .option('--top-k <k>', 'sample among the k most likely tokens (0: all)', intFlag('--top-k', 0, 1 << 20), 0)
    .option('--seed <n>', 'random seed of the sampler', intFlag('--seed', 0, 2 ** 32 - 1), 0)
    .option('--eval-text <file>', 'instead: loss on this UTF-8 text file (nats per token, perplexity; bits per character for character-level models)')
    .option('--context <n>', 'with --eval-text: window length in tokens (default and maximum: the model\'s context)', intFlag('--context', 1, 1 << 20))
    .option('--no-cache', 'recompute the whole window for every character (the slow reference path; same text)')
    .option('--json', 'print JSON on stdout (with tokensPerSecond and the matrix formats used)')
    .addHelpText('after', '\nSampling keeps a key/value cache while the text fits the model\'s context (one column per character through\n' +
      'every layer); each matrix runs dense, CSR (below 12% density) or 2:4 (when every group of 4 keeps at most 2).\n' +
      'Past the context the last CONTEXT characters are recomputed every step, as before.');
  addBackendOption(cmd).action((model: string, f: GenerateFlags) => {
    const warn = (m: string): void => { process.stderr.write(m + '\n'); };
    if (f.evalText !== undefined) {
      const r = evaluateText(model, f.evalText, { backend: f.backend, context: f.context, warn });
      if (f.json) { process.stdout.write(JSON.stringify(r, null, 2) + '\n'); return; }
      const per = r.bitsPerChar !== undefined ? `${r.bitsPerChar.toFixed(4)} bits per character` : `${r.bitsPerToken.toFixed(4)} bits per token`;
      console.log(`${r.model} (${r.spec}) on ${r.file}: ${r.tokens} ${r.tokenizer === 'char' ? 'characters' : 'tokens'} predicted in windows of ${r.context}, `
        + `loss ${r.loss.toFixed(4)} nats per token = ${per}, perplexity ${r.perplexity.toFixed(3)}`);
      return;
    }
    if (f.context !== undefined) throw new UserError('--context: only with --eval-text (generation always sees up to the model\'s context)');
    const r = generateText(model, { prompt: f.prompt, tokens: f.tokens, temperature: f.temperature, topK: f.topK, seed: f.seed, backend: f.backend, cache: f.cache, warn });
    if (f.json) { process.stdout.write(JSON.stringify(r, null, 2) + '\n'); return; }
    process.stdout.write(r.prompt + r.text + '\n');
  });
}
