// The --backend flag shared by every command that runs networks.
import type { Command } from 'commander';
import { choiceFlag } from '../util/flags.js';

export function addBackendOption(cmd: Command): Command {
  return cmd.option('--backend <name>', 'kernel backend: native (C++, falls back to reference with a warning) or reference (plain TypeScript)',
    choiceFlag('--backend', ['native', 'reference'] as const), 'native');
}
