// `winnow compress MODEL`: quantize + sparse-encode a trained network into a model file and report
// exact bytes (per tensor: indices / codes / scales) and test accuracy before and after.
import type { Command } from 'commander';
import { compress, ENCODING_NAMES, FORMAT_NAMES, type CompressReport, type EncodingName, type FormatName } from '../experiments/index.js';
import { formatTable } from '../report/table.js';
import { choiceFlag } from '../util/flags.js';
import { addBackendOption } from './backend-option.js';

interface CompressFlags {
  format: FormatName; encoding: EncodingName | 'auto'; prune24?: boolean; out?: string; dataset?: string; dataDir?: string;
  store?: string; json?: boolean; backend: 'native' | 'reference';
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
    .description('quantize and sparse-encode a trained network (model file or lottery ticket) into a winnow model file; report bytes and test accuracy before/after')
    .argument('<model>', 'a model file (winnow train --save) or a lottery ticket: runs/<runId>:level=<L>[:replicate=<r>][:branch=ticket]')
    .option('--format <name>', `number format of the weights: ${FORMAT_NAMES.join(', ')}`, choiceFlag('--format', FORMAT_NAMES), 'nvfp4')
    .option('--encoding <name>', `weight encoding: auto (smallest for the format) | ${ENCODING_NAMES.join(' | ')}`, choiceFlag('--encoding', ['auto', ...ENCODING_NAMES] as const), 'auto')
    .option('--prune24', 'prune every weight matrix to 2:4 (2 largest of every 4 along a row) before quantizing')
    .option('--out <file>', 'output model file (default: <model>.<format>.wnn in the current directory)')
    .option('--dataset <name>', 'dataset for the accuracy check (default: the one the model was trained on)')
    .option('--data-dir <dir>', 'directory holding the IDX files')
    .option('--store <dir>', 'experiment store holding lottery runs (for MODEL given as <runId>:level=<L>)')
    .option('--json', 'print the report as JSON on stdout');
  addBackendOption(cmd).action((modelArg: string, flags: CompressFlags) => {
    const report = compress(modelArg, { ...flags, warn: (m) => process.stderr.write(m + '\n') });
    if (flags.json) { process.stdout.write(JSON.stringify(report, null, 2) + '\n'); return; }
    printCompressReport(report);
  });
}
