// The --backend flag shared by every command that runs networks.
import type { Command } from 'commander';
import type { Backend } from '../backend/backend.js';
import { getBackend } from '../backend/index.js';
import { choiceFlag } from './options.js';

export function addBackendOption(cmd: Command): Command {
  return cmd.option('--backend <name>', 'kernel backend: native (C++, falls back to reference with a warning) or reference (plain TypeScript)',
    choiceFlag('--backend', ['native', 'reference'] as const), 'native');
}

export function backendFrom(name: 'native' | 'reference'): Backend {
  return getBackend(name, { warn: (msg) => process.stderr.write(msg + '\n') });
}
