// `winnow train`: train one network (dense, or with a random mask of a given density).
import type { Command } from 'commander';
import { loadDataset } from '../data/registry.js';
import { INIT_KINDS, type InitKind } from '../nn/init.js';
import { OPTIMIZER_KINDS, type OptimizerKind } from '../optim/optimizer.js';
import { trainModel } from '../train/run.js';
import { saveModel } from '../io/model-io.js';
import { UserError } from '../util/errors.js';
import { addBackendOption, backendFrom } from './backend-option.js';
import { choiceFlag, intFlag, numberFlag } from './options.js';
import { progressBar } from './progress.js';

interface TrainFlags {
  model: string; dataset: string; dataDir?: string; epochs?: number; iterations?: number; batchSize: number;
  optimizer: OptimizerKind; lr?: number; momentum: number; weightDecay: number; init: InitKind;
  density: number; seed: number; evalEvery?: number; validation?: number; backend: 'native' | 'reference'; json?: boolean; save?: string;
}

const DEFAULT_LR: Record<OptimizerKind, number> = { sgd: 0.1, momentum: 0.01, adam: 1.2e-3 };

export function register(program: Command): void {
  const cmd = program.command('train')
    .description('train a network and report test accuracy at the early-stopping iteration (minimum validation loss)')
    .option('--model <spec>', 'lenet300 | conv2 | conv4 | conv6 | mlp:784-300-10 | conv:32-pool/128', 'lenet300')
    .option('--dataset <name>', 'fashion-mnist | mnist | fashion-mnist-mini (embedded) | synthetic:blobs | synthetic:images', 'fashion-mnist')
    .option('--data-dir <dir>', 'directory holding the IDX files (else $WINNOW_DATA, the user cache, system paths)')
    .option('--epochs <n>', 'training length in epochs (default 1)', intFlag('--epochs', 1, 100000))
    .option('--iterations <n>', 'training length in optimizer steps (instead of --epochs)', intFlag('--iterations', 1))
    .option('--batch-size <n>', 'mini-batch size', intFlag('--batch-size', 1, 65536), 60)
    .option('--optimizer <kind>', 'sgd | momentum | adam', choiceFlag('--optimizer', OPTIMIZER_KINDS), 'adam')
    .option('--lr <rate>', 'learning rate (default: adam 1.2e-3, sgd 0.1, momentum 0.01)', numberFlag('--lr', 0, 100, true))
    .option('--momentum <mu>', 'momentum coefficient', numberFlag('--momentum', 0, 1), 0.9)
    .option('--weight-decay <wd>', 'L2 weight decay', numberFlag('--weight-decay', 0, 1), 0)
    .option('--init <kind>', INIT_KINDS.join(' | '), choiceFlag('--init', INIT_KINDS), 'glorot-normal')
    .option('--density <d>', 'keep a random fraction d of every weight layer, in (0, 1] (sparse execution below the threshold)', numberFlag('--density', 0, 1, true), 1)
    .option('--seed <n>', 'random seed (init, data order, masks)', intFlag('--seed', 0, 2 ** 32 - 1), 0)
    .option('--eval-every <n>', 'evaluate on validation and test every n iterations (default: once per epoch)', intFlag('--eval-every', 1))
    .option('--validation <n>', 'training images held out for validation (default 5000 for the full datasets)', intFlag('--validation', 0))
    .option('--save <path>', 'write the trained network (final weights, fp32, smallest lossless encoding) as a winnow model file for compress/infer')
    .option('--json', 'print a JSON summary on stdout');
  addBackendOption(cmd).action((flags: TrainFlags) => {
    if (flags.epochs !== undefined && flags.iterations !== undefined) throw new UserError('--epochs and --iterations are mutually exclusive: give one');
    const be = backendFrom(flags.backend);
    const data = loadDataset(flags.dataset, { dataDir: flags.dataDir, seed: flags.seed, validationSize: flags.validation });
    const perEpoch = Math.floor(data.train.count / flags.batchSize);
    if (perEpoch < 1) throw new UserError(`--batch-size ${flags.batchSize} exceeds the ${data.train.count} training images of ${data.name}`);
    const iterations = flags.iterations ?? (flags.epochs ?? 1) * perEpoch;
    const bar = progressBar('train', iterations, 'loss {loss}');
    let last = 0;
    const { summary, model } = trainModel(be, data, {
      model: flags.model, batchSize: flags.batchSize, iterations, evalEvery: flags.evalEvery ?? perEpoch, seed: flags.seed,
      init: flags.init, density: flags.density,
      optimizer: { kind: flags.optimizer, lr: flags.lr ?? DEFAULT_LR[flags.optimizer], momentum: flags.momentum, weightDecay: flags.weightDecay },
    }, {
      onStep: (it, _total, loss) => { if (it - last >= 20 || it === iterations) { bar.update(it, { loss: loss.toFixed(4) }); last = it; } },
    });
    bar.stop();
    const saved = flags.save === undefined ? null
      : saveModel(flags.save, model, { spec: flags.model, inputShape: [data.shape[0], data.shape[1], data.shape[2]], classes: data.classes, dataset: data.name },
        { format: 'fp32', encoding: 'auto', meta: { seed: flags.seed, testAccuracy: summary.final.testAccuracy } });
    if (saved) (flags.json ? process.stderr : process.stdout).write(`saved ${saved.path} (${saved.bytes} bytes, final weights)\n`);
    if (flags.json) { process.stdout.write(JSON.stringify(summary, null, 2) + '\n'); return; }
    const pct = (v: number): string => (100 * v).toFixed(2) + '%';
    console.log(`model ${summary.model} on ${summary.dataset} (${data.source}), backend ${be.name} (${be.detail}), seed ${summary.seed}`);
    for (const l of summary.layers) console.log(`  ${l.name.padEnd(6)} ${String(l.shape[0]).padStart(4)}×${String(l.shape[1]).padEnd(5)} density ${pct(l.density).padStart(7)}  ${l.storage}`);
    console.log(`trained ${summary.iterations} iterations (${summary.epochs.toFixed(2)} epochs) in ${summary.wallSeconds.toFixed(2)} s (${summary.stepSeconds.toFixed(2)} s in steps)`);
    console.log(`early stop at iteration ${summary.earlyStop.iteration}: validation loss ${summary.earlyStop.valLoss.toFixed(4)}, test accuracy ${pct(summary.earlyStop.testAccuracy)}`);
    console.log(`final test accuracy ${pct(summary.final.testAccuracy)}`);
  });
}
