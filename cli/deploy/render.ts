// Renders the Handlebars templates (one folder per service under templates/, each file named
// after the file it becomes) with the typed values from values.ts. No HTML escaping: these are
// configuration files. Strict mode: a name the values do not have is an error, not "".
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Handlebars from 'handlebars';
import { DeployError } from '../../lib/errors.js';
import { repoRoot } from '../../lib/repo-root.js';
import type { TemplateValues } from './values.js';

/** templates/ of this checkout (source tree or dist/ bundle), unless NMS_TEMPLATES says otherwise. */
export function defaultTemplatesDir(): string {
  if (process.env.NMS_TEMPLATES) return resolve(process.env.NMS_TEMPLATES);
  // cli/deploy/render.ts and dist/nms.mjs both sit below the repository root
  return join(repoRoot(), 'templates');
}

export class TemplateRenderer {
  private cache = new Map<string, HandlebarsTemplateDelegate>();
  constructor(readonly dir: string) {}

  /** Renders `templates/<name>` (e.g. `redis/redis.conf.hbs`). */
  render(name: string, values: TemplateValues): string {
    let tpl = this.cache.get(name);
    const file = join(this.dir, name);
    if (!tpl) {
      let src: string;
      try {
        src = readFileSync(file, 'utf8');
      } catch (err) {
        throw new DeployError(`template ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`, {
          hint: 'check --templates (or NMS_TEMPLATES)',
        });
      }
      tpl = Handlebars.compile(src, { noEscape: true, strict: true });
      this.cache.set(name, tpl);
    }
    try {
      return tpl(values);
    } catch (err) {
      throw new DeployError(`template ${file}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
}
