// What a connection keeps of each prepared statement. mysql2 caches a statement per connection
// (LRU of maxPreparedStatements) with the server's definition of every parameter: a
// ColumnDefinition object (~170 bytes) holding a reference to the network buffer it was read
// from. The ports upsert has up to 32 parameters a port (over 1,100 for a 48-port device in a
// poll), prepared on each connection of the pool: in a heap snapshot of an agent polling 10,000
// simulated devices, 45,120 of them, 7.9 MiB plus the buffers they pinned. mysql2 reads only
// two fields of a parameter's definition when it sends values (the type and the UNSIGNED flag,
// to size integers), so the cache keeps those two as one shared object per distinct pair
// instead. MariaDB describes a placeholder as type NULL; the values go out as they did.

/** A parameter's definition as mysql2's encoder reads it. */
interface ParamHint {
  readonly columnType: number;
  readonly flags: number;
}

const hints = new Map<string, ParamHint>();

function hintOf(def: ParamHint): ParamHint {
  const key = `${def.columnType}/${def.flags}`;
  let h = hints.get(key);
  if (!h) hints.set(key, (h = Object.freeze({ columnType: def.columnType, flags: def.flags })));
  return h;
}

/** The definitions of a statement's parameters reduced to the shared hints (same order). */
function compactHints(defs: readonly ParamHint[]): ParamHint[] {
  return defs.map(hintOf);
}

interface StatementCache {
  set(key: string, statement: { parameters?: ParamHint[] }): unknown;
}

/**
 * Makes a mysql2 connection keep compact parameter definitions in its statement cache. A
 * connection without the cache this expects (another mysql2) is left as it is.
 */
export function compactStatementCache(connection: unknown): void {
  const cache = (connection as { _statements?: StatementCache })._statements;
  if (!cache || typeof cache.set !== 'function') return;
  const set = cache.set.bind(cache);
  cache.set = (key, statement) => {
    if (Array.isArray(statement?.parameters) && statement.parameters.length > 0)
      statement.parameters = compactHints(statement.parameters);
    return set(key, statement);
  };
}
