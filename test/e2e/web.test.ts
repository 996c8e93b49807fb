// The web UI in a real browser (Debian's chromium driven by playwright-core; nothing downloads a
// browser) against a lab cluster deployed with `nms deploy`: log in, device list, search, a
// device, a port whose traffic graph shows what the simulator produced (pixels of the In area
// drawn in the page), the health tab's sensors, the device whose sysName, sysLocation and
// ifAlias carry `<script>alert(1)</script>` shown as text with no script run, log out and be
// refused afterwards. Screenshots of each page go to $NMS_WEB_SCREENSHOTS (default
// /tmp/nms-web-e2e). Needs root and `node scripts/build.mjs`; the e2e tier holds the lab lock.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { parse } from 'yaml';
import { ensureLab } from './helpers/lab.js';
import { HOSTILE_DEVICE, HOSTILE_TEXT } from '../../simulator/model.js';
import { SENSORS } from '../../simulator/health.js';
import { copyLabInventory, deployOrFail, editFile, writeDevices } from './helpers/deploy.js';

const BASE = 'https://198.18.0.10';
const SHOTS = process.env.NMS_WEB_SCREENSHOTS ?? '/tmp/nms-web-e2e';
const work = mkdtempSync(join(tmpdir(), 'nms-web-e2e-'));
const INV = join(work, 'inv');
const DEVICES = [0, 1, HOSTILE_DEVICE];
const GREEN = [0x4f, 0xc3, 0x6b];
/** A custom range of the last 15 minutes: the lab's data is young, a day would be a sliver. */
const recent = () => `from=${Math.floor(Date.now() / 1000) - 900}`;

let browser: Browser;
let context: BrowserContext;
let page: Page;
let password: string;
const dialogs: string[] = [];
const consoleErrors: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

/** Pixels of the In colour in the first graph image on the page, counted in the page itself. */
async function greenPixels(selector: string): Promise<number> {
  await page.waitForFunction(
    (s) => [...document.querySelectorAll<HTMLImageElement>(s)].every((i) => i.complete),
    selector,
    { timeout: 30_000 },
  );
  return page.evaluate(
    ([s, [r, g, b]]) => {
      const img = document.querySelector<HTMLImageElement>(s as string)!;
      if (!img.naturalWidth) return -1;
      const c = document.createElement('canvas');
      c.width = img.naturalWidth;
      c.height = img.naturalHeight;
      const ctx = c.getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4)
        if (Math.abs(d[i] - r) < 24 && Math.abs(d[i + 1] - g) < 24 && Math.abs(d[i + 2] - b) < 24) n++;
      return n;
    },
    [selector, GREEN] as const,
  );
}

describe('the web UI in chromium', { timeout: 600_000 }, () => {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    await ensureLab(1, HOSTILE_DEVICE + 1);
    copyLabInventory(INV);
    // short polls (and RRD steps) so that graphs have data within a minute
    editFile(join(INV, 'hosts.yaml'), (t) =>
      t.replace(/service_poller_frequency: \d+/, 'service_poller_frequency: 10'),
    );
    // device i answers on 198.19.(i div 250).(1 + i mod 250), port 161 (docs/lab.md)
    const devices = DEVICES.map(
      (i) => `  - { hostname: 198.19.0.${1 + i}, poller_group: 0, snmp: { version: v2c, community: public } }`,
    );
    writeDevices(INV, devices);
    await deployOrFail(INV, 600_000);
    password = (parse(readFileSync(join(INV, 'secrets.yaml'), 'utf8')) as { web_admin_password: string })
      .web_admin_password;
    assert.ok(password, 'deploy wrote the admin password into secrets.yaml');
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    page.on('dialog', (dlg) => {
      dialogs.push(dlg.message());
      void dlg.dismiss();
    });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  });

  after(async () => {
    await browser?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('sends a visitor without a session to the login page; graphs answer 401', async () => {
    await page.goto(`${BASE}/devices`);
    assert.match(page.url(), /\/login\?next=%2Fdevices$/);
    assert.equal((await context.request.get(`${BASE}/graph?type=port_bits&id=1`)).status(), 401);
    await shot('login');
  });

  it('logs in and lists, searches and opens devices', async () => {
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', password);
    await Promise.all([page.waitForURL(/\/devices$/), page.click('button[type=submit]')]);
    // the devices appear once discovery has run
    const deadline = Date.now() + 120_000;
    while ((await page.locator('tbody tr').count()) < DEVICES.length && Date.now() < deadline) {
      await page.waitForTimeout(3000);
      await page.reload();
    }
    assert.equal(await page.locator('tbody tr').count(), DEVICES.length);
    await shot('devices');
    await page.fill('input[name=q]', 'sim-1');
    await Promise.all([page.waitForURL(/q=sim-1/), page.press('input[name=q]', 'Enter')]);
    const names = await page.locator('tbody tr td:nth-child(2) a').allTextContents();
    assert.ok(names.length >= 2 && names.every((n) => n.startsWith('sim-1')), `search: ${names.join(', ')}`);
  });

  it('shows hostile device text as text and runs no script from it', async () => {
    await page.goto(`${BASE}/devices?q=${encodeURIComponent(`sim-${HOSTILE_DEVICE}`)}`);
    await page.click('tbody tr td:nth-child(2) a');
    await page.waitForURL(/\/device\/\d+$/);
    const h1 = await page.locator('h1').textContent();
    assert.ok(h1?.includes(HOSTILE_TEXT), `sysName as text: ${h1}`);
    // sysName and sysLocation in the header, as text
    assert.ok((await page.locator('dl.head').textContent())?.includes(HOSTILE_TEXT), 'header text as text');
    const location = await page.evaluate(
      () =>
        [...document.querySelectorAll('dl.head dt')].find((dt) => dt.textContent === 'Location')?.nextElementSibling
          ?.textContent ?? null,
    );
    assert.ok(location?.includes(HOSTILE_TEXT), `sysLocation as text: ${location}`);
    await page.click('nav.tabs >> text=Ports');
    await page.waitForURL(/\/ports$/);
    assert.ok((await page.locator('table').textContent())?.includes(HOSTILE_TEXT), 'ifAlias as text');
    assert.equal(await page.locator('script').count(), 1, 'only our own script element');
    await shot('device-hostile-ports');
    assert.deepEqual(dialogs, []);
  });

  it("opens a port whose traffic graph shows the simulator's traffic", async () => {
    await page.goto(`${BASE}/devices?q=${encodeURIComponent('sim-0')}`);
    await page.click('tbody tr td:nth-child(2) a');
    await page.waitForURL(/\/device\/\d+$/);
    await shot('device');
    await page.click('nav.tabs >> text=Ports');
    await page.click('tbody tr:first-child td:first-child a');
    await page.waitForURL(/\/port\/\d+$/);
    const portUrl = page.url();
    await page.goto(`${portUrl}?${recent()}`);
    // port 1 is always up and counting; two polls make a rate, a step boundary a data point
    const deadline = Date.now() + 120_000;
    let drawn = await greenPixels('img.graph');
    while (drawn < 1000 && Date.now() < deadline) {
      await page.waitForTimeout(5000);
      await page.goto(`${portUrl}?${recent()}`);
      drawn = await greenPixels('img.graph');
    }
    assert.ok(drawn >= 1000, `the In area of the traffic graph is drawn (${drawn} pixels)`);
    await shot('port');
  });

  it("lists the device's sensors on the health tab", async () => {
    const url = new URL(page.url());
    const device = /\/device\/(\d+)/.exec(url.pathname)![1];
    await page.goto(`${BASE}/device/${device}/health`);
    const text = (await page.locator('main').textContent()) ?? '';
    for (const s of SENSORS) assert.ok(text.includes(s.name), `sensor ${s.name}`);
    await shot('health');
    await page.goto(`${BASE}/device/${device}?${recent()}`);
    await page.waitForFunction(
      () => [...document.querySelectorAll<HTMLImageElement>('img.graph')].every((i) => i.complete),
      null,
      { timeout: 30_000 },
    );
    await shot('device');
    for (const p of ['/', '/pollers', '/eventlog']) {
      await page.goto(BASE + p);
      await shot(p === '/' ? 'overview' : p.slice(1));
    }
  });

  it('logs out and is refused afterwards', async () => {
    await page.goto(`${BASE}/`);
    await Promise.all([page.waitForURL(/\/login$/), page.click('form.logout button')]);
    await page.goto(`${BASE}/device/1`);
    assert.match(page.url(), /\/login\?next=/);
    assert.equal((await context.request.get(`${BASE}/graph?type=port_bits&id=1`)).status(), 401);
    assert.deepEqual(dialogs, [], 'no dialog opened');
    // a small graph whose RRD file the first polls have not written yet answers 404: not a script error
    assert.deepEqual(
      consoleErrors.filter((e) => !/Failed to load resource/.test(e)),
      [],
      'no console errors (CSP violations included)',
    );
  });
});
