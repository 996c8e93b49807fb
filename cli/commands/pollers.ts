// Placeholder: the `pollers` command(s) are registered here by their owner.
import type { Command } from 'commander';

export function register(_program: Command): void {}
