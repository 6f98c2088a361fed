// `winnow compress MODEL`: quantize + sparse-encode a trained network (model file or lottery ticket) into a
// model file, with exact bytes and test accuracy before and after.
import { basename } from 'node:path';
import { getBackend } from '../../backend/index.js';
import { compressModel, type CompressReport } from '../../compare/compress.js';
import { resolveModel } from '../../compare/model-source.js';
import { loadDataset } from '../../data/registry.js';
import type { FormatName } from '../../quant/formats.js';
import type { EncodingName } from '../../sparse/encodings.js';
import { UserError } from '../../util/errors.js';

export { FORMAT_NAMES, type FormatName } from '../../quant/formats.js';
export { ENCODING_NAMES, type EncodingName } from '../../sparse/encodings.js';
export type { CompressReport } from '../../compare/compress.js';

export interface CompressOptions {
  format: FormatName; encoding: EncodingName | 'auto'; prune24?: boolean; out?: string; dataset?: string; dataDir?: string;
  store?: string; backend: 'native' | 'reference'; warn?: (msg: string) => void;
}

export function defaultOut(model: string, format: string, ticket?: { runId: string; level: number; branch: string; replicate: number }): string {
  const stem = ticket ? `${ticket.runId}-r${ticket.replicate}-L${ticket.level}-${ticket.branch}` : basename(model).replace(/\.wnn$/, '');
  return `${stem}.${format}.wnn`;
}

export function compress(modelArg: string, flags: CompressOptions): CompressReport {
  const be = getBackend(flags.backend, { warn: flags.warn });
  const { resolved, data: own } = resolveModel(modelArg, { store: flags.store });
  const datasetName = flags.dataset ?? resolved.info.dataset;
  if (!datasetName) throw new UserError(`${modelArg}: the model file names no dataset; give --dataset`);
  const data = flags.dataset === undefined && own ? own
    : loadDataset(datasetName, { dataDir: flags.dataDir, seed: resolved.seed, validationSize: resolved.validation });
  const out = flags.out ?? defaultOut(modelArg, flags.format, resolved.ticket);
  if (resolved.kind === 'file' && out === modelArg) throw new UserError(`--out ${out} would overwrite the input model; choose another path`);
  return compressModel(be, resolved.model, resolved.info, data, { format: flags.format, encoding: flags.encoding, prune24: flags.prune24, out }, {
    source: resolved.origin, meta: { seed: resolved.seed, source: resolved.origin },
  });
}
