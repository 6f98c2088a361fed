// The list of CLI commands. Each module exports register(program) adding one command.
import type { Command } from 'commander';
import { register as train } from './train.js';
import { register as data } from './data.js';
import { register as evolve } from './evolve.js';
import { register as lottery } from './lottery.js';

export const commands: Array<(program: Command) => void> = [
  train,
  lottery,
  data,
  evolve,
];
