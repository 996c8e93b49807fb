// /login and /logout. The login form carries a CSRF token that matches a cookie set with the
// form (there is no session yet); failures are slowed per client by LoginThrottle.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  checkLogin,
  createSession,
  endSession,
  LOGIN_COOKIE,
  newToken,
  SESSION_COOKIE,
  SESSION_IDLE_SECONDS,
} from '../common/auth.js';
import { html } from '../common/html.js';
import { cookie, htmlReply, redirect, safeNext, type Reply, type WebRequest } from '../common/http.js';
import { page } from '../common/layout.js';
import type { WebContext } from '../common/context.js';

function form(
  req: WebRequest,
  token: string,
  message: string,
  status: number,
  extra: Record<string, string> = {},
): Reply {
  const next = safeNext(req.query.get('next') ?? req.form.get('next'));
  const body = html`<form class="login" method="post" action="/login">
    <h1>Log in to nms</h1>
    ${message ? html`<p class="error" role="alert">${message}</p>` : ''}
    <input type="hidden" name="_csrf" value="${token}" /><input type="hidden" name="next" value="${next}" />
    <label>User name <input name="username" autocomplete="username" required autofocus /></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
    <button type="submit">Log in</button>
  </form>`;
  return htmlReply(page(req, 'Log in', body), status, {
    'Set-Cookie': cookie(LOGIN_COOKIE, token, '/login', 3600),
    ...extra,
  });
}

export async function loginPage(_ctx: WebContext, req: WebRequest): Promise<Reply> {
  return form(req, newToken(), '', 200);
}

export async function loginPost(ctx: WebContext, req: WebRequest): Promise<Reply> {
  const wait = ctx.throttle.waitSeconds(req.client);
  if (wait > 0) {
    ctx.log.warn('login_throttled', { from: req.client, wait });
    return form(req, newToken(), `Too many failed logins from your address: try again in ${wait} s.`, 429, {
      'Retry-After': String(wait),
    });
  }
  const username = (req.form.get('username') ?? '').slice(0, 255);
  const user = await checkLogin(ctx.db, username, req.form.get('password') ?? '');
  if (!user) {
    const delay = ctx.throttle.failed(req.client);
    ctx.log.warn('login_failed', { user: username, from: req.client });
    await sleep(delay);
    return form(req, newToken(), 'Wrong user name or password.', 401);
  }
  ctx.throttle.succeeded(req.client);
  const token = await createSession(ctx.db, user, req.client, req.userAgent);
  ctx.log.info('login', { user: user.username, from: req.client });
  return redirect(safeNext(req.form.get('next')), {
    'Set-Cookie': [cookie(SESSION_COOKIE, token, '/', SESSION_IDLE_SECONDS), cookie(LOGIN_COOKIE, '', '/login', 0)],
  });
}

export async function logoutPost(ctx: WebContext, req: WebRequest): Promise<Reply> {
  if (req.sessionId) await endSession(ctx.db, req.sessionId);
  ctx.log.info('logout', { user: req.user?.username, from: req.client });
  return redirect('/login', { 'Set-Cookie': cookie(SESSION_COOKIE, '', '/', 0) });
}
