// Turns what a device printed into the text kept in history: Unix line ends, no trailing
// blanks, no lines its OS definition marks as changing on every read (timestamps, clock
// corrections, byte counts), one final newline. Pure: the unit tests feed it recorded output.

/** Compiles a definition's `config.strip` patterns (each matched against one line). */
export function stripPatterns(sources: readonly string[]): RegExp[] {
  return sources.map((s) => new RegExp(s));
}

export function normaliseConfig(raw: string, strip: readonly RegExp[]): string {
  const lines = raw
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.replace(/\s+$/, ''))
    .filter((l) => !strip.some((re) => re.test(l)));
  while (lines.length && lines[0] === '') lines.shift();
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** A file name for a device in the repository: its hostname, made safe (LibreNMS's RRD rule). */
export function configFileName(hostname: string): string {
  const safe = hostname.replace(/[^A-Za-z0-9,._-]/g, '_').replace(/^\.+/, '_');
  return safe || '_';
}
