#!/usr/bin/env node
// winnow's command-line entry point: one file per command under src/cli/, each exporting register().
import { Command, CommanderError } from 'commander';
import { UserError } from '../util/errors.js';
import { commands } from './commands.js';

const program = new Command('winnow')
  .description('Sparse neural networks, measured: train, find lottery tickets, evolve with NEAT, quantize, compare.')
  .version('0.1.0')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof UserError) {
    process.stderr.write(`winnow: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
