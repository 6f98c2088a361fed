// `winnow compress MODEL`: quantize + sparse-encode a trained network into a model file and report
// exact bytes (per tensor: indices / codes / scales) and test accuracy before and after.
import { basename } from 'node:path';
import type { Command } from 'commander';
import { compressModel, type CompressReport } from '../compare/compress.js';
import { resolveModel } from '../compare/model-source.js';
import { loadDataset } from '../data/registry.js';
import { FORMAT_NAMES, type FormatName } from '../quant/formats.js';
import { ENCODING_NAMES, type EncodingName } from '../sparse/encodings.js';
import { formatTable } from '../report/table.js';
import { UserError } from '../util/errors.js';
import { addBackendOption, backendFrom } from './backend-option.js';
import { choiceFlag } from './options.js';

interface CompressFlags {
  format: FormatName; encoding: EncodingName | 'auto'; prune24?: boolean; out?: string; dataset?: string; dataDir?: string;
  store?: string; json?: boolean; backend: 'native' | 'reference';
}

const pct = (v: number): string => (100 * v).toFixed(2) + '%';

export function defaultOut(model: string, format: string, ticket?: { runId: string; level: number; branch: string; replicate: number }): string {
  const stem = ticket ? `${ticket.runId}-r${ticket.replicate}-L${ticket.level}-${ticket.branch}` : basename(model).replace(/\.wnn$/, '');
  return `${stem}.${format}.wnn`;
}

export function printCompressReport(r: CompressReport): void {
  console.log(`${r.source} → ${r.out}: ${r.spec}, format ${r.format}, encoding ${r.encoding}${r.prune24 ? ', 2:4-pruned' : ''}`);
  console.log(formatTable(
    ['tensor', 'shape', 'density', 'format', 'encoding', 'index B', 'codes B', 'scales B', 'total B', 'bits/weight', 'bits/nnz'],
    r.tensors.map((t) => [t.name, t.shape.join('×'), pct(t.nnz / t.numel), t.format, t.encoding, t.indexBytes, t.codeBytes, t.scaleBytes, t.bytes,
      t.bitsPerWeight.toFixed(3), Number.isFinite(t.bitsPerNonzero) ? t.bitsPerNonzero.toFixed(2) : '–']),
  ));
  const w = r.weights;
  console.log(`weights: ${w.nnz} of ${w.numel} kept (${pct(w.density)}), ${w.bytes} B = ${w.bitsPerWeight.toFixed(3)} bits/weight, ${w.bitsPerNonzero.toFixed(2)} bits/nonzero (values + indices + scales)`);
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
    const be = backendFrom(flags.backend);
    const { resolved, data: own } = resolveModel(modelArg, { store: flags.store });
    const datasetName = flags.dataset ?? resolved.info.dataset;
    if (!datasetName) throw new UserError(`${modelArg}: the model file names no dataset; give --dataset`);
    const data = flags.dataset === undefined && own ? own
      : loadDataset(datasetName, { dataDir: flags.dataDir, seed: resolved.seed, validationSize: resolved.validation });
    const out = flags.out ?? defaultOut(modelArg, flags.format, resolved.ticket);
    if (resolved.kind === 'file' && out === modelArg) throw new UserError(`--out ${out} would overwrite the input model; choose another path`);
    const report = compressModel(be, resolved.model, resolved.info, data, { format: flags.format, encoding: flags.encoding, prune24: flags.prune24, out }, {
      source: resolved.origin, meta: { seed: resolved.seed, source: resolved.origin },
    });
    if (flags.json) { process.stdout.write(JSON.stringify(report, null, 2) + '\n'); return; }
    printCompressReport(report);
  });
}
