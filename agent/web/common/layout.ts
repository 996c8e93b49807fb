// The frame of every page (navigation, the logout form with its CSRF token) and small helpers
// shared by the pages: tables, time and rate formatting, the OS icon, the "not collected" note.
import { html, raw, type Html, type HtmlValue } from './html.js';
import type { WebRequest } from './http.js';
import { osIconName } from './assets.js';

const NAV: [string, string][] = [
  ['/', 'Overview'],
  ['/devices', 'Devices'],
  ['/pollers', 'Pollers'],
  ['/eventlog', 'Event log'],
];

export function page(req: WebRequest, title: string, body: HtmlValue): Html {
  const current = '/' + (req.path.split('/')[1] ?? '');
  const nav = NAV.map(([href, label]) => {
    const active = href === current || (href === '/devices' && current === '/device');
    return html`<a href="${href}" ${active ? raw(' class="active"') : ''}>${label}</a>`;
  });
  const user = req.user
    ? html`<form method="post" action="/logout" class="logout">
        <span>${req.user.username}</span> <input type="hidden" name="_csrf" value="${req.csrf ?? ''}" /><button
          type="submit"
        >
          Log out
        </button>
      </form>`
    : '';
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · nms</title>
        <link rel="stylesheet" href="/static/app.css" />
        <link rel="icon" href="/static/favicon.svg" />
        <script src="/static/app.js" defer></script>
      </head>
      <body>
        <header>
          <a class="brand" href="/">nms</a>
          <nav>${nav}</nav>
          ${user}
        </header>
        <main>${body}</main>
      </body>
    </html> `;
}

export function table(headers: HtmlValue[], rows: HtmlValue[][], empty = 'nothing to show'): Html {
  if (!rows.length) return html`<p class="empty">${empty}</p>`;
  return html`<table>
    <thead>
      <tr>
        ${headers.map((h) => html`<th>${h}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (r) =>
          html`<tr>
            ${r.map((c) => html`<td>${c}</td>`)}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** A labelled `<select>` of a filter form: "any" first, then the values, the current one selected. */
export function selectBox(label: string, name: string, values: string[], current: string, anyLabel = 'any'): Html {
  const option = (v: string, text: string) =>
    html`<option value="${v}" ${v === current ? raw(' selected') : ''}>${text}</option>`;
  const options = [option('', anyLabel), ...values.map((v) => option(v, v))];
  return html`<label
    >${label}
    <select name="${name}">
      ${options}
    </select></label
  >`;
}

export const notCollected = (what: string): Html => html`<p class="empty">${what}: not collected.</p>`;

export function osIcon(os: unknown): Html {
  const name = osIconName(typeof os === 'string' ? os : '');
  return html`<img class="os" src="/static/os/${name}.svg" alt="" width="20" height="20" />`;
}

export function statusBadge(d: Record<string, unknown>): Html {
  if (Number(d.disabled)) return html`<span class="badge grey">disabled</span>`;
  if (Number(d.ignore)) return html`<span class="badge grey">ignored</span>`;
  return Number(d.status) ? html`<span class="badge up">up</span>` : html`<span class="badge down">down</span>`;
}

export function portStatus(oper: unknown, admin: unknown): Html {
  if (admin === 'down') return html`<span class="badge grey">shutdown</span>`;
  if (oper === 'up') return html`<span class="badge up">up</span>`;
  return html`<span class="badge down">${String(oper ?? 'unknown')}</span>`;
}

/** 1234567 → "1.23 M" with SI prefixes (bits, packets). */
export function si(v: unknown, unit = ''): string {
  const n = Number(v);
  if (v === null || v === undefined || !Number.isFinite(n)) return '–';
  const prefixes = ['', 'k', 'M', 'G', 'T', 'P'];
  let x = Math.abs(n);
  let i = 0;
  while (x >= 1000 && i < prefixes.length - 1) {
    x /= 1000;
    i++;
  }
  return `${n < 0 ? '-' : ''}${x.toFixed(x >= 100 || i === 0 ? 0 : 2)} ${prefixes[i]}${unit}`;
}

export function duration(seconds: unknown): string {
  const s = Number(seconds);
  if (seconds === null || seconds === undefined || !Number.isFinite(s) || s < 0) return '–';
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d ? `${d}d ${h}h ${m}m` : h ? `${h}h ${m}m` : `${m}m ${Math.floor(s % 60)}s`;
}

export function when(v: unknown): string {
  if (v === null || v === undefined || v === '') return 'never';
  const d = v instanceof Date ? v : new Date(String(v).replace(' ', 'T') + (String(v).includes('Z') ? '' : 'Z'));
  return Number.isNaN(d.getTime()) ? String(v) : d.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
}

/** A graph image (the URL works alone; see graphs.ts), lazily loaded. */
export function graphImg(
  type: string,
  id: number,
  from: string,
  to: string | undefined,
  w: number,
  h: number,
  legend = true,
): Html {
  const p = new URLSearchParams({ type, id: String(id), from, width: String(w), height: String(h) });
  if (to) p.set('to', to);
  if (!legend) p.set('legend', 'no');
  const src = `/graph?${p.toString()}`;
  return html`<img class="graph" loading="lazy" src="${src}" alt="${type} graph" width="${w}" height="${h}" />`;
}

export const RANGES: [string, string][] = [
  ['-6h', '6 h'],
  ['-1d', '1 day'],
  ['-1w', '1 week'],
  ['-1m', '1 month'],
  ['-1y', '1 year'],
];

/** Range links for a page showing graphs, keeping the page's path. */
export function rangeBar(path: string, from: string): Html {
  const links = RANGES.map(([v, label]) => {
    const active = v === from ? raw(' class="active"') : '';
    return html`<a href="${path}?from=${v}" ${active}>${label}</a> `;
  });
  return html`<p class="ranges">${links}</p>`;
}
