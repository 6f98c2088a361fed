// `winnow data info` and `winnow data fetch`: where datasets are, what is in them, and getting them.
import type { Command } from 'commander';
import { datasetInfo, DATASET_NAMES, fetchDataset, FETCH_SOURCES, fetchTargetDir, formatInfo, SYNTHETIC_NAMES } from '../experiments/index.js';
import { UserError } from '../util/errors.js';

export function register(program: Command): void {
  const data = program.command('data').description('Datasets: show where they are and what they hold, or download them');

  data.command('info')
    .description('Where each dataset was found (or every place searched), its files, split sizes, shape and class balance')
    .argument('[dataset]', `one dataset: ${[...DATASET_NAMES, ...SYNTHETIC_NAMES.map((s) => `${s}[?k=v&…]`)].join(', ')} (default: all file-backed ones)`)
    .option('--data-dir <dir>', 'also look here (a folder with <dataset>/ subfolders, or the dataset files themselves)')
    .option('--seed <n>', 'run seed deciding the validation split', '0')
    .option('--validation-size <n>', 'examples held out of the training set (default: 5000 for full sets, 1/6 of train otherwise)')
    .option('--json', 'print JSON instead of text')
    .action((dataset: string | undefined, o: { dataDir?: string; seed: string; validationSize?: string; json?: boolean }) => {
      const seed = parseNonNegInt(o.seed, '--seed');
      const validationSize = o.validationSize === undefined ? undefined : parseNonNegInt(o.validationSize, '--validation-size');
      const specs = dataset ? [dataset] : DATASET_NAMES;
      const infos = specs.map((s) => datasetInfo(s, { dataDir: o.dataDir, seed, ...(validationSize !== undefined ? { validationSize } : {}) }));
      if (o.json) process.stdout.write(JSON.stringify(dataset ? infos[0] : infos, null, 2) + '\n');
      else process.stdout.write(infos.map(formatInfo).join('\n\n') + '\n');
      // Asking for one dataset that is missing or broken is a failure; the overview is not.
      if (dataset && (!infos[0]!.found || infos[0]!.problem)) process.exitCode = 1;
    });

  data.command('fetch')
    .description('Download a dataset\'s four gzipped IDX files from the official source, checking each against a pinned SHA-256')
    .argument('<dataset>', Object.keys(FETCH_SOURCES).join(' | '))
    .option('--data-dir <dir>', `write into <dir>/<dataset>/ (default: ${fetchTargetDir('<dataset>')})`)
    .option('--force', 'download again even when a file with the right digest is present')
    .addHelpText('after', '\nFiles are written via a temporary file and a rename; a failed or corrupt download leaves nothing behind.')
    .action(async (dataset: string, o: { dataDir?: string; force?: boolean }) => {
      if (!FETCH_SOURCES[dataset]) throw new UserError(`cannot fetch '${dataset}': expected one of ${Object.keys(FETCH_SOURCES).join(', ')}`);
      const report = await fetchDataset(dataset, { dataDir: o.dataDir, force: o.force, log: (l) => process.stderr.write(`${l}\n`) });
      process.stdout.write(`${dataset}: ready in ${report.dir}\n`);
    });
}

function parseNonNegInt(v: string, flag: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 0) throw new UserError(`${flag} must be a whole number >= 0, got '${v}'`);
  return n;
}
