// Every route of the web UI in one table, each with its guard beside it:
//   public       anyone (the login form, static files)
//   session      a logged-in user; without a session a GET is redirected to /login
//   session-401  a logged-in user; without a session the answer is 401 (graphs: images, no redirect)
// and, for forms (POST), the CSRF token checked before the handler runs: `session` (the
// session's token) or `login` (the login form's double-submit cookie).
import { ASSETS } from './common/assets.js';
import type { WebContext } from './common/context.js';
import { HttpError, type Reply, type WebRequest } from './common/http.js';
import { graphRoute } from './pages/graph.js';
import { loginPage, loginPost, logoutPost } from './pages/login.js';
import { overviewPage } from './pages/overview.js';
import { devicesPage } from './pages/devices.js';
import { devicePage } from './pages/device.js';
import { portPage } from './pages/port.js';
import { pollersPage } from './pages/pollers.js';
import { eventlogPage } from './pages/eventlog.js';

export interface WebRoute {
  method: 'GET' | 'POST';
  pattern: RegExp;
  guard: 'public' | 'session' | 'session-401';
  csrf?: 'session' | 'login';
  handle(ctx: WebContext, req: WebRequest): Promise<Reply>;
}

async function staticFile(_ctx: WebContext, req: WebRequest): Promise<Reply> {
  const asset = ASSETS.get(req.path);
  if (!asset) throw new HttpError(404, 'no such file');
  return { type: asset.type, body: asset.body, headers: { 'Cache-Control': 'public, max-age=3600' } };
}

export const DEVICE_TABS = ['ports', 'health', 'inventory', 'neighbours', 'events', 'syslog'] as const;

export const WEB_ROUTES: WebRoute[] = [
  { method: 'GET', pattern: /^\/login$/, guard: 'public', handle: loginPage },
  { method: 'POST', pattern: /^\/login$/, guard: 'public', csrf: 'login', handle: loginPost },
  { method: 'POST', pattern: /^\/logout$/, guard: 'session', csrf: 'session', handle: logoutPost },
  { method: 'GET', pattern: /^\/static\/[a-z0-9_/-]+\.(?:css|js|svg)$/, guard: 'public', handle: staticFile },
  { method: 'GET', pattern: /^\/$/, guard: 'session', handle: overviewPage },
  { method: 'GET', pattern: /^\/devices$/, guard: 'session', handle: devicesPage },
  {
    method: 'GET',
    pattern: new RegExp(`^/device/(\\d{1,10})(?:/(${DEVICE_TABS.join('|')}))?$`),
    guard: 'session',
    handle: devicePage,
  },
  { method: 'GET', pattern: /^\/device\/(\d{1,10})\/port\/(\d{1,10})$/, guard: 'session', handle: portPage },
  { method: 'GET', pattern: /^\/pollers$/, guard: 'session', handle: pollersPage },
  { method: 'GET', pattern: /^\/eventlog$/, guard: 'session', handle: eventlogPage },
  { method: 'GET', pattern: /^\/graph$/, guard: 'session-401', handle: graphRoute },
];
