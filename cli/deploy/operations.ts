// Shell commands that change a host, one builder per kind of operation. Each is idempotent on
// its own and small enough to read; decide.ts uses one only when facts showed a difference.
// File contents and SQL are never part of a command: they travel on the command's stdin.
import { shq } from '../ssh/connection.js';
import type { HandlerKey } from './profile.js';
import type { DirSpec, FileSpec } from './plan.js';
import { NMS_USER, PENDING_RESTARTS, STATE_DIR } from './values.js';

/** Where the previous version of a replaced file is kept (same path below it; root only). */
export const BACKUP_DIR = `${STATE_DIR}/backup`;

/** Exit code of writeFileCommand when the service's checker rejected the candidate. */
export const CHECK_FAILED_EXIT = 65;

export function ensureUserCommand(user = NMS_USER): string {
  const u = shq(user);
  return [
    `getent group ${u} >/dev/null || groupadd --system ${u}`,
    `id -u ${u} >/dev/null 2>&1 || ` +
      `useradd --system --gid ${u} --home-dir ${STATE_DIR} --no-create-home --shell /usr/sbin/nologin ${u}`,
  ].join(' && ');
}

export function ensureDirCommand(d: DirSpec): string {
  const p = shq(d.path);
  return `mkdir -p ${p} && chown ${shq(d.owner)}:${shq(d.group)} ${p} && chmod ${d.mode.toString(8)} ${p}`;
}

/** Appends handler names to the host's pending list (once each), before anything acts on them. */
export function recordPendingCommand(handlers: HandlerKey[]): string {
  if (!handlers.length) return ':';
  return (
    `mkdir -p ${STATE_DIR} && ` +
    handlers
      .map((h) => `{ grep -qx ${h} ${PENDING_RESTARTS} 2>/dev/null || echo ${h} >> ${PENDING_RESTARTS}; }`)
      .join(' && ')
  );
}

export function clearPendingCommand(handler: HandlerKey): string {
  return `[ ! -f ${PENDING_RESTARTS} ] || sed -i '/^${handler}$/d' ${PENDING_RESTARTS}`;
}

/**
 * Writes stdin to a candidate beside the target, checks it with the service's own checker,
 * records the handlers it notifies, keeps the old file below BACKUP_DIR and moves the
 * candidate into place (same directory: an atomic rename). A rejected candidate is removed
 * and the old file is left as it was; the checker's own message goes to stderr.
 */
export function writeFileCommand(f: FileSpec, notify: HandlerKey[]): string {
  const dest = shq(f.path);
  const tmp = shq(`${f.path}.nms-new`);
  const dir = shq(f.path.slice(0, f.path.lastIndexOf('/')) || '/');
  const lines = [
    'set -e',
    'umask 077',
    `mkdir -p ${dir}`,
    `cat > ${tmp}`,
    `chown ${shq(f.owner)}:${shq(f.group)} ${tmp}`,
    `chmod ${f.mode.toString(8)} ${tmp}`,
  ];
  if (f.remoteCheck) {
    lines.push(
      `if ! out=$(${f.remoteCheck.replace(/\{\}/g, tmp)} 2>&1); ` +
        `then rm -f ${tmp}; printf '%s\\n' "$out" >&2; exit ${CHECK_FAILED_EXIT}; fi`,
    );
  }
  // pending first: killed after this line, the next run restarts anyway
  if (notify.length) lines.push(recordPendingCommand(notify));
  // backups live apart from the live tree: a copy in /etc/init.d or on PATH would be picked up
  const bak = `${BACKUP_DIR}${f.path}`;
  lines.push(
    `if [ -f ${dest} ]; then mkdir -p ${shq(bak.slice(0, bak.lastIndexOf('/')))} && cp -p ${dest} ${shq(bak)}; fi`,
  );
  lines.push(`mv -f ${tmp} ${dest}`);
  return lines.join('\n');
}

/** Owner and mode only (contents already right). */
export function fileAttrsCommand(f: FileSpec): string {
  const p = shq(f.path);
  return `chown ${shq(f.owner)}:${shq(f.group)} ${p} && chmod ${f.mode.toString(8)} ${p}`;
}

/** Present once a self-signed pair was written completely. */
export function selfSignedMarker(cert: string): string {
  return `${cert}.complete`;
}

/** A self-signed certificate, made on the host so the key never leaves it. */
export function selfSignedCertCommand(cert: string, key: string, serverName: string): string {
  return [
    'set -e',
    'umask 077',
    `mkdir -p ${shq(cert.slice(0, cert.lastIndexOf('/')))}`,
    'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 ' +
      `-subj ${shq(`/CN=${serverName}`)} -addext ${shq(`subjectAltName=DNS:${serverName}`)} ` +
      `-keyout ${shq(key + '.nms-new')} -out ${shq(cert + '.nms-new')} 2>&1`,
    `chmod 600 ${shq(key + '.nms-new')} && chmod 644 ${shq(cert + '.nms-new')}`,
    `rm -f ${shq(selfSignedMarker(cert))}`,
    `mv -f ${shq(key + '.nms-new')} ${shq(key)}`,
    `mv -f ${shq(cert + '.nms-new')} ${shq(cert)}`,
    // the pair is complete only with this marker: a run killed between the two moves redoes both
    `touch ${shq(selfSignedMarker(cert))}`,
  ].join('\n');
}

export type ServiceAction = 'start' | 'restart' | 'enable';

/** Starts, restarts or enables a service through systemd or its init script. */
export function serviceCommand(name: string, action: ServiceAction, systemd: boolean, firewallConf?: string): string {
  if (firewallConf) {
    // the firewall is a ruleset, not a daemon: loading the file is both start and restart
    if (action === 'enable') return systemd ? 'systemctl enable -q nftables' : ':';
    return `nft -f ${shq(firewallConf)}`;
  }
  const n = shq(name);
  if (systemd)
    return action === 'enable' ? `systemctl enable -q ${n}` : `systemctl daemon-reload && systemctl ${action} ${n}`;
  if (action === 'enable')
    return (
      `update-rc.d ${n} defaults >/dev/null 2>&1; update-rc.d ${n} enable >/dev/null 2>&1; ` +
      `ls /etc/rc2.d/S*${name} >/dev/null 2>&1`
    );
  // init scripts print to stdout; </dev/null so a daemon does not hold the SSH channel open
  // a subshell, so that `&& <next step>` after it still runs
  return (
    `(/etc/init.d/${n} ${action} </dev/null >/tmp/.nms-svc.$$ 2>&1; rc=$?; ` +
    '[ $rc = 0 ] || cat /tmp/.nms-svc.$$ >&2; rm -f /tmp/.nms-svc.$$; exit $rc)'
  );
}
