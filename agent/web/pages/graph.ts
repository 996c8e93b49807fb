// /graph?type=<type>&id=<id>&from=<…>&to=<…>: one PNG graph (common/graphs.ts checks the query
// and runs rrdtool). The RRD paths come from the database through safeName(), never from the request.
import type mysql from 'mysql2/promise';
import { safeName } from '../../rrd/layout.js';
import { rrdHost } from '../../poll/result.js';
import { HttpError, type Reply, type WebRequest } from '../common/http.js';
import type { WebContext } from '../common/context.js';
import type { WebDb } from '../common/auth.js';
import type { GraphDef } from '../common/graph-types.js';
import { graphArgs, parseGraphQuery } from '../common/graphs.js';

type Row = mysql.RowDataPacket;

/** The RRD files (relative to rrdcached's base directory) behind a graph, from the database. */
async function rrdFilesOf(db: WebDb, def: GraphDef, id: number): Promise<string[]> {
  let rows: Row[];
  try {
    [rows] = await db.query<Row[]>(def.sql, [id]);
  } catch (err) {
    // a table another part of nms has not created yet: nothing to draw
    const code = (err as { code?: string }).code;
    if (code === 'ER_NO_SUCH_TABLE') throw new HttpError(404, 'nothing collected for this graph yet');
    throw err;
  }
  if (!rows.length) throw new HttpError(404, `no ${def.what} with id ${id}`);
  return rows.map((r) => {
    const dir = safeName(rrdHost({ hostname: String(r.hostname), port: Number(r.port) }));
    if (dir === '.' || dir === '..') throw new HttpError(404, 'no RRD directory for this device');
    return `${dir}/${def
      .file(r)
      .map((p) => safeName(String(p)))
      .join('-')}.rrd`;
  });
}

export async function graphRoute(ctx: WebContext, req: WebRequest): Promise<Reply> {
  const g = parseGraphQuery(req.query);
  const files = await rrdFilesOf(ctx.db, g.def, g.id);
  let png: Buffer;
  try {
    png = await ctx.graphs.draw(
      graphArgs(
        g,
        files.map((f) => ctx.graphs.path(f)),
        ctx.graphs.daemon,
      ),
    );
  } catch (err) {
    const msg = (err as Error).message;
    if (/No such file|opening '|does not exist|realpath/i.test(msg)) {
      throw new HttpError(404, 'no data for this graph yet (its RRD file does not exist)');
    }
    ctx.log.error('graph_failed', { type: g.def.name, id: g.id, error: msg.slice(0, 300) });
    throw new HttpError(503, 'the graph could not be drawn (rrdtool or rrdcached failed; details in the agent log)');
  }
  return { type: 'image/png', body: png, headers: { 'Cache-Control': 'private, max-age=60' } };
}
