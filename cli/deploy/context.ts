// What a deploy run shares with each host's deploy (the inventory, the renderer, the flags, the
// database host's readiness) and what each host reports back. Its own module so that the
// runner and the per-host deploy both depend on it, not on each other.
import type { Inventory } from '../inventory/types.js';
import type { SecretMasker } from './diff.js';
import type { TemplateRenderer } from './render.js';

export type HostStatus = 'ok' | 'changed' | 'failed' | 'unreachable';

export interface HostResult {
  host: string;
  status: HostStatus;
  /** Operations that found the host as wanted. */
  ok: number;
  /** Operations that changed (or in --check would change) something. */
  changed: number;
  changes: string[];
  /** Unified diffs (--diff), secrets masked. */
  diffs: string[];
  warnings: string[];
  error?: string;
  durationMs: number;
  /** Where the time went: SSH connection and handshake, the facts round trip. */
  timings: { connectMs: number; factsMs: number };
}

/** A promise with its resolve exposed: pollers wait on the database host's readiness. */
export class Barrier {
  readonly done: Promise<void>;
  open!: () => void;
  constructor() {
    this.done = new Promise((r) => (this.open = r));
  }
}

export interface DeployContext {
  inventory: Inventory;
  renderer: TemplateRenderer;
  masker: SecretMasker;
  agentBundle: Buffer;
  check: boolean;
  diff: boolean;
  prune: boolean;
  /** Opens when the database host has its accounts, schema and devices (or gave up). */
  databaseReady: Barrier;
  emit: (host: string, message: string) => void;
}

export function emptyHostResult(host: string): HostResult {
  return {
    host,
    status: 'ok',
    ok: 0,
    changed: 0,
    changes: [],
    diffs: [],
    warnings: [],
    durationMs: 0,
    timings: { connectMs: 0, factsMs: 0 },
  };
}
