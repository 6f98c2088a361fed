// The list of CLI commands. Each module exports register(program) adding one command.
import type { Command } from 'commander';
import { registerRemaining } from './experiment-command.js';
import { register as train } from './train.js';
import { register as data } from './data.js';
import { register as evolve } from './evolve.js';
import { register as lottery } from './lottery.js';
import { register as runs } from './runs.js';
import { register as compress } from './compress.js';
import { register as infer } from './infer.js';
import { register as compare } from './compare.js';
import { register as neatVsTickets } from './neat-vs-tickets.js';
import { register as sweep } from './sweep.js';
import { register as serve } from './serve.js';
import { register as generate } from './generate.js';
import { register as sparseTrain } from './sparse-train.js';
import { register as sparseStudy } from './sparse-study.js';
import { register as importWeights } from './import-weights.js';
import { register as exportCmd } from './export.js';

export const commands: Array<(program: Command) => void> = [
  train,
  lottery,
  runs,
  data,
  evolve,
  compress,
  infer,
  compare,
  neatVsTickets,
  sparseTrain,
  sparseStudy,
  generate,
  importWeights,
  exportCmd,
  sweep,
  serve,
  // last: a command for each experiment without a file of its own
  registerRemaining,
];
