// `winnow compress MODEL`: quantize + sparse-encode a trained network into a model file and report
// exact bytes (per tensor: indices / codes / scales) and test accuracy before and after.
import type { Command } from 'commander';
import {
  compress, compressLm, ENCODING_NAMES, FORMAT_NAMES, isLmPath, PRUNE_METHODS, QUANT_METHODS,
  type CompressReport, type EncodingName, type FormatName, type LmCompressReport, type PruneMethod, type QuantMethod,
} from '../experiments/index.js';
import { formatTable } from '../report/table.js';
import { UserError } from '../util/errors.js';
import { choiceFlag, intFlag, numberFlag } from '../util/flags.js';
import { addBackendOption } from './backend-option.js';

interface CompressFlags {
  format: FormatName; encoding: EncodingName | 'auto'; prune24?: boolean; out?: string; dataset?: string; dataDir?: string;
  store?: string; json?: boolean; backend: 'native' | 'reference';
  prune?: PruneMethod; sparsity?: number; nm?: string; quant?: QuantMethod; embeddingFormat?: FormatName; calibration?: string;
  calibrationSamples?: number; seed?: number; damp?: number; blocksize?: number; evalTokens?: number;
}

const LM_ONLY = ['prune', 'sparsity', 'nm', 'quant', 'embeddingFormat', 'calibration', 'calibrationSamples', 'seed', 'damp', 'blocksize', 'evalTokens'] as const;
const kebab = (k: string): string => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

export function printLmCompressReport(r: LmCompressReport): void {
  console.log(`${r.source} → ${r.out}: ${r.spec}, ${r.method}`);
  console.log(formatTable(
    ['tensor', 'shape', 'density', 'format', 'encoding', 'index B', 'codes B', 'scales B', 'total B', 'bits/weight'],
    r.tensors.filter((t) => t.name.endsWith('.weight')).map((t) => [t.name, t.shape.join('×'), pct(t.nnz / t.numel), t.format, t.encoding, t.indexBytes, t.codeBytes, t.scaleBytes, t.bytes, t.bitsPerWeight.toFixed(3)]),
  ));
  const w = r.weights;
  console.log(`weights: ${w.nnz} of ${w.numel} nonzero (${pct(w.density)}), ${w.bytes} B = ${w.bitsPerWeight.toFixed(3)} bits/weight`);
  console.log(`file: ${r.fileBytes} B vs ${r.fp32DenseBytes} B as fp32 dense = ${pct(r.ratio)} (${(1 / r.ratio).toFixed(1)}× smaller)`);
  console.log(`calibration: ${r.calibration.sequences} sequences × ${r.calibration.tokens / r.calibration.sequences} characters of ${r.calibration.source}, seed ${r.calibration.seed}; ${r.seconds.toFixed(1)} s`);
  const d = r.after.loss - r.before.loss;
  console.log(`validation loss on ${r.dataset} (${r.after.tokens} characters): before ${r.before.loss.toFixed(4)} nats (${r.before.bitsPerChar.toFixed(4)} bits/char) → after ${r.after.loss.toFixed(4)} nats (${r.after.bitsPerChar.toFixed(4)} bits/char), ${d >= 0 ? '+' : ''}${d.toFixed(4)} nats`);
}

const pct = (v: number): string => (100 * v).toFixed(2) + '%';

/** A weight tensor's density after quantization (the reloaded layer's, as infer reports it). */
function densityAfter(r: CompressReport, tensor: string): string | undefined {
  const l = r.layers.find((x) => `${x.name}.weight` === tensor);
  return l ? pct(l.density) : undefined;
}

export function printCompressReport(r: CompressReport): void {
  console.log(`${r.source} → ${r.out}: ${r.spec}, format ${r.format}, encoding ${r.encoding}${r.prune24 ? ', 2:4-pruned' : ''}`);
  console.log(formatTable(
    ['tensor', 'shape', 'kept', 'density', 'format', 'encoding', 'index B', 'codes B', 'scales B', 'total B', 'bits/weight', 'bits/nnz'],
    r.tensors.map((t) => [t.name, t.shape.join('×'), pct(t.nnz / t.numel), densityAfter(r, t.name) ?? pct(t.nnz / t.numel), t.format, t.encoding, t.indexBytes, t.codeBytes, t.scaleBytes, t.bytes,
      t.bitsPerWeight.toFixed(3), Number.isFinite(t.bitsPerNonzero) ? t.bitsPerNonzero.toFixed(2) : '–']),
  ));
  const w = r.weights;
  const after = w.nonzeroAfterQuantization !== undefined && w.densityAfterQuantization !== undefined
    ? `; ${w.nonzeroAfterQuantization} nonzero after quantization (density ${pct(w.densityAfterQuantization)}, as winnow infer counts)` : '';
  console.log(`weights: ${w.nnz} of ${w.numel} kept (${pct(w.density)})${after}`);
  console.log(`storage: ${w.bytes} B = ${w.bitsPerWeight.toFixed(3)} bits/weight, ${w.bitsPerNonzero.toFixed(2)} bits/nonzero (values + indices + scales)`);
  console.log(`file: ${r.fileBytes} B vs ${r.fp32DenseBytes} B as fp32 dense = ${pct(r.ratio)} (${(1 / r.ratio).toFixed(1)}× smaller)`);
  console.log(`test accuracy on ${r.dataset}: before ${pct(r.before.testAccuracy)} → after ${pct(r.after.testAccuracy)} (${((r.after.testAccuracy - r.before.testAccuracy) * 100).toFixed(2)} points)`);
  console.log(`inference storage after loading: ${r.layers.map((l) => `${l.name} ${l.storage}`).join(', ')}`);
}

export function register(program: Command): void {
  const cmd = program.command('compress')
    .description('quantize and sparse-encode a trained network (model file or lottery ticket) into a winnow model file; report bytes and test accuracy before/after. For a language model: one-shot pruning (magnitude, Wanda, SparseGPT) and quantization (RTN, GPTQ), validation loss before/after')
    .argument('<model>', 'a model file (winnow train --save) or a lottery ticket: runs/<runId>:level=<L>[:replicate=<r>][:branch=ticket]')
    .option('--format <name>', `number format of the weights: ${FORMAT_NAMES.join(', ')}`, choiceFlag('--format', FORMAT_NAMES), 'nvfp4')
    .option('--encoding <name>', `weight encoding: auto (smallest for the format) | ${ENCODING_NAMES.join(' | ')}`, choiceFlag('--encoding', ['auto', ...ENCODING_NAMES] as const), 'auto')
    .option('--prune24', 'prune every weight matrix to 2:4 (2 largest of every 4 along a row) before quantizing')
    .option('--out <file>', 'output model file (default: <model>.<format>.wnn in the current directory)')
    .option('--dataset <name>', 'dataset for the accuracy check (default: the one the model was trained on)')
    .option('--data-dir <dir>', 'directory holding the IDX files')
    .option('--store <dir>', 'experiment store holding lottery runs (for MODEL given as <runId>:level=<L>)')
    .option('--json', 'print the report as JSON on stdout')
    .option('--prune <method>', `language models: one-shot pruning of every block matrix, layer by layer: ${PRUNE_METHODS.filter((m) => m !== 'none').join(' | ')}`, choiceFlag('--prune', PRUNE_METHODS))
    .option('--sparsity <s>', 'language models: fraction of each matrix\'s weights removed, in [0, 1) (unstructured)', numberFlag('--sparsity', -Infinity, Infinity))
    .option('--nm <N:M>', 'language models: keep N of every M weights along a row (2:4, 4:8)')
    .option('--quant <method>', 'language models: rtn (round to nearest in --format) | gptq (error-compensated, integer formats; with --prune sparsegpt: the joint mode)', choiceFlag('--quant', QUANT_METHODS))
    .option('--embedding-format <name>', 'language models: format of the embeddings, which are not pruned (default: --format)', choiceFlag('--embedding-format', FORMAT_NAMES))
    .option('--calibration <file>', 'language models: calibration text (UTF-8, in the model\'s vocabulary; default: the training split)')
    .option('--calibration-samples <n>', 'language models: calibration sequences of the context length (default: 64)', intFlag('--calibration-samples', 1, 1 << 20))
    .option('--seed <n>', 'language models: seed of the calibration windows (default: 0)', intFlag('--seed', 0, 2 ** 32 - 1))
    .option('--damp <f>', 'language models: SparseGPT/GPTQ damping, fraction of the mean Hessian diagonal (default: 0.01)', numberFlag('--damp', 0, 10))
    .option('--blocksize <n>', 'language models: SparseGPT/GPTQ column block (default: 128)', intFlag('--blocksize', 1, 1 << 16))
    .option('--eval-tokens <n>', 'language models: measure the validation loss on the first n characters (default: all)', intFlag('--eval-tokens', 0));
  addBackendOption(cmd).action((modelArg: string, flags: CompressFlags) => {
    const warn = (m: string) => process.stderr.write(m + '\n');
    if (isLmPath(modelArg)) {
      const r = compressLm(modelArg, { ...flags, warn, onLayer: flags.json ? undefined : (l, i, n) => process.stderr.write(`[${i + 1}/${n}] ${l.name}: density ${pct(l.density)} (${l.seconds.toFixed(1)} s)\n`) });
      if (flags.json) { process.stdout.write(JSON.stringify(r, null, 2) + '\n'); return; }
      printLmCompressReport(r);
      return;
    }
    for (const k of LM_ONLY) if (flags[k] !== undefined) throw new UserError(`${kebab(k)}: one-shot compression applies to language models (winnow-lm files from 'winnow train --model gpt:…'); ${modelArg} is not one`);
    const report = compress(modelArg, { ...flags, warn });
    if (flags.json) { process.stdout.write(JSON.stringify(report, null, 2) + '\n'); return; }
    printCompressReport(report);
  });
}
