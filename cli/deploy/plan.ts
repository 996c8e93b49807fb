// The wanted state of one host: the layout (layout.ts: packages, the service user, directories,
// files with owner, mode, checker and handlers, services) with every file's contents rendered
// or read, once. Pure apart from reading templates and local files: built from the inventory
// and a few facts (OS, init system, NODE_ID, Node runtime); decide.ts compares it with the facts.
import { createHash, randomUUID } from 'node:crypto';
import { DeployError } from '../../lib/errors.js';
import { planLayout, type FileLayout, type FileSpec, type HostLayout, type LayoutInputs } from './layout.js';
import type { TemplateRenderer } from './render.js';
import { AGENT_NODE, buildValues, type TemplateValues } from './values.js';

export type { DirSpec, FileSpec, ServiceSpec } from './layout.js';
export { hostMasterServices } from './layout.js';

export interface HostPlan extends Omit<HostLayout, 'files'> {
  values: TemplateValues;
  files: FileSpec[];
  nodeId: string;
}

export interface PlanInputs extends LayoutInputs {
  renderer: TemplateRenderer;
  /** NODE_ID found on the host, if any. */
  existingNodeId?: string;
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

// hashing the 4 MB agent bundle for every host and every plan is measurable: reuse the digest
const digests = new WeakMap<Buffer, string>();

function digestOf(content: Buffer): string {
  let digest = digests.get(content);
  if (!digest) {
    digest = sha256(content);
    if (content.length > 64 * 1024) digests.set(content, digest);
  }
  return digest;
}

/** The layout with contents: each template rendered once, local files read once per run. */
export function buildPlan(p: PlanInputs): HostPlan {
  const layout = planLayout(p);
  const nodeId = p.existingNodeId ?? randomUUID();
  const values = buildValues({
    inventory: p.inventory,
    host: p.host,
    profile: p.profile,
    nodeId,
    nodePath: p.hostNode ?? AGENT_NODE,
  });
  const files = layout.files.map((f) => renderFile(f, p.renderer, values));
  return { ...layout, values, files, nodeId };
}

function renderFile(f: FileLayout, renderer: TemplateRenderer, values: TemplateValues): FileSpec {
  const { template, read, ...spec } = f;
  const raw = template ? renderer.render(template, values) : read!();
  const content = Buffer.isBuffer(raw) ? raw : Buffer.from(raw);
  return { ...spec, content, sha256: digestOf(content) };
}

/** Runs each file's workstation checker; the first problem fails the host before any change. */
export function checkRendered(plan: HostPlan): void {
  for (const f of plan.files) {
    const problem = f.localCheck?.(f.content.toString('utf8'));
    if (problem) throw new DeployError(`${f.path} (from ${f.source}) is not valid: ${problem}`);
  }
}
