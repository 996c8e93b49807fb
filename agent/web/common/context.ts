// What every page and route handler of the web UI gets besides the request.
import type { Logger } from '../../../lib/log.js';
import type { LoginThrottle, WebDb } from './auth.js';
import type { GraphRunner } from './graphs.js';

export interface WebContext {
  db: WebDb;
  throttle: LoginThrottle;
  graphs: GraphRunner;
  log: Logger;
}
