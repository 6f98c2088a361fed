// The list of CLI commands. Each module exports register(program) adding one command.
import type { Command } from 'commander';

export const commands: Array<(program: Command) => void> = [];
