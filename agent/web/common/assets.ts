// Everything the pages load, served by nms itself (no asset from the internet): the style
// sheet, one small script, and the OS icons (a coloured tile with a short label per OS name,
// a generic one for any OS not listed).

const CSS = `
*{box-sizing:border-box}body{margin:0;font:14px/1.4 system-ui,sans-serif;color:#1d2330;background:#f4f6f9}
header{display:flex;align-items:center;gap:1.5em;background:#1f2d3d;color:#fff;padding:.5em 1em}
header a{color:#cfd8e3;text-decoration:none}header a.active,header a:hover{color:#fff}
header .brand{font-weight:700;font-size:1.2em;color:#fff}header nav{display:flex;gap:1em;flex:1}
.logout{display:flex;gap:.5em;align-items:center}.logout button{cursor:pointer}
main{padding:1em 1.5em;max-width:1400px}h1{font-size:1.4em;margin:.2em 0 .6em}h2{font-size:1.1em;margin:1.2em 0 .4em}
table{border-collapse:collapse;background:#fff;width:100%;margin-bottom:1em}
th,td{padding:.35em .6em;border-bottom:1px solid #e3e7ee;text-align:left;vertical-align:middle}
th{background:#e9edf3;font-weight:600}th a{color:inherit}tbody tr:hover{background:#f7f9fc}
a{color:#1f5fa8}.badge{display:inline-block;padding:0 .5em;border-radius:3px;font-size:.85em;color:#fff}
.up{background:#2e9d4a}.down{background:#c8382e}.grey{background:#8a94a3}
.cards{display:flex;flex-wrap:wrap;gap:1em;margin-bottom:1em}
.card{background:#fff;padding:.8em 1.2em;border-radius:4px;min-width:9em}
.card b{display:block;font-size:1.6em}.empty{color:#6b7685;font-style:italic}
.tabs{display:flex;gap:.2em;border-bottom:2px solid #c9d1dc;margin-bottom:1em}
.tabs a{padding:.4em .9em;text-decoration:none;background:#e9edf3;border-radius:4px 4px 0 0}
.tabs a.active{background:#1f2d3d;color:#fff}.ranges a{margin-right:.6em}.ranges a.active{font-weight:700}
dl.head{display:grid;grid-template-columns:max-content 1fr max-content 1fr;gap:.2em 1em;background:#fff;
  padding:.8em;border-radius:4px}
dl.head dt{color:#6b7685}dl.head dd{margin:0}img.os{vertical-align:middle;margin-right:.3em}
img.graph{display:block;background:#fff;max-width:100%}.graphs{display:flex;flex-wrap:wrap;gap:1em}
.graphs figure{margin:0;background:#fff;padding:.4em;border-radius:4px}figcaption{font-weight:600;margin-bottom:.3em}
form.filters{display:flex;flex-wrap:wrap;gap:.6em;align-items:end;margin-bottom:1em}
form.filters label{display:flex;flex-direction:column;font-size:.85em;color:#4b5563}
input,select,button{font:inherit;padding:.3em .5em}.pager{display:flex;gap:1em;align-items:center}
.login{max-width:22em;margin:4em auto;background:#fff;padding:1.5em;border-radius:6px}
.login label{display:block;margin:.6em 0}.login input{width:100%}.error{color:#c8382e}
`;

const JS = `'use strict';
// Filters submit themselves when a select changes; the search box still needs Enter.
document.addEventListener('change', function (e) {
  var t = e.target;
  if (t && t.matches && t.matches('form.filters select')) t.form.requestSubmit();
});
`;

const FAVICON =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">' +
  '<rect width="16" height="16" rx="3" fill="#1f2d3d"/>' +
  '<path d="M2 12l4-5 3 3 5-7" stroke="#4fc36b" stroke-width="2" fill="none"/></svg>';

/** OS name → [label, colour]. Names as LibreNMS's definitions give them. */
const OS_ICONS: Record<string, [string, string]> = {
  linux: ['Lx', '#333333'],
  ios: ['IOS', '#1ba0d7'],
  iosxe: ['XE', '#1ba0d7'],
  iosxr: ['XR', '#1ba0d7'],
  nxos: ['NX', '#1ba0d7'],
  asa: ['ASA', '#1ba0d7'],
  junos: ['Jn', '#84b135'],
  windows: ['Win', '#0078d4'],
  freebsd: ['BSD', '#ab2b28'],
  openbsd: ['OB', '#d6a800'],
  routeros: ['MT', '#293a4d'],
  arista_eos: ['EOS', '#3d5a80'],
  procurve: ['HP', '#0096d6'],
  vmware: ['VM', '#607078'],
  fortigate: ['FG', '#ee3124'],
  pfsense: ['pf', '#212121'],
  edgeos: ['UB', '#0559c9'],
  unifi: ['UB', '#0559c9'],
  netsnmp: ['SN', '#555d66'],
  printer: ['Pr', '#7a5c99'],
  generic: ['?', '#8a94a3'],
};

export function osIconName(os: string): string {
  return Object.hasOwn(OS_ICONS, os) ? os : 'generic';
}

function osSvg(name: string): string {
  const [label, colour] = OS_ICONS[name];
  const size = label.length > 2 ? 7 : 9;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 20">` +
    `<rect width="20" height="20" rx="4" fill="${colour}"/>` +
    `<text x="10" y="14" font-family="sans-serif" font-size="${size}" font-weight="700" fill="#fff"` +
    ` text-anchor="middle">${label}</text></svg>`
  );
}

export interface Asset {
  type: string;
  body: string;
}

export const ASSETS: Map<string, Asset> = new Map([
  ['/static/app.css', { type: 'text/css; charset=utf-8', body: CSS }],
  ['/static/app.js', { type: 'text/javascript; charset=utf-8', body: JS }],
  ['/static/favicon.svg', { type: 'image/svg+xml', body: FAVICON }],
  ...Object.keys(OS_ICONS).map((n): [string, Asset] => [
    `/static/os/${n}.svg`,
    { type: 'image/svg+xml', body: osSvg(n) },
  ]),
]);
