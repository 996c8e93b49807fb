// The varbinds of a reply: GET, GETNEXT and GETBULK answered from a device's layout (mib.ts)
// into one reused buffer, with the error status and index, cut to the room the message leaves.
// The message around them (community or USM) is the agent's (agent.ts).
import { BerWriter, intContentSize, oidContentSize, TAG, tlvSize } from './ber.js';
import { compareOid, isKnownObject, lowerBound, upperBound, writeValue, type DeviceView, type Layout } from './mib.js';
import { E_NO_ACCESS, E_NO_SUCH_NAME, E_TOO_BIG, type Request } from './request.js';

export class PduResponder {
  /** The response varbinds (their contents, without the enclosing sequence header). */
  readonly vb = new BerWriter(70000);
  errorStatus = 0;
  errorIndex = 0;
  private vbLimit = 0;

  constructor(
    private readonly req: Request,
    private readonly view: DeviceView,
  ) {}

  /** No varbinds, no error. */
  reset(): void {
    this.vb.reset();
    this.errorStatus = 0;
    this.errorIndex = 0;
  }

  /** Fills vb with the response varbinds within vbLimit bytes and sets errorStatus/errorIndex. */
  answer(layout: Layout, vbLimit: number): void {
    const req = this.req;
    this.reset();
    this.vbLimit = vbLimit;
    const v1 = req.version === 0;
    switch (req.pduType) {
      case TAG.GetRequest:
      case TAG.GetNextRequest:
        for (let i = 0; i < req.oids.length; i++) {
          const found =
            req.pduType === TAG.GetRequest ? this.get(layout, req.oids[i], v1) : this.next(layout, req.oids[i], v1);
          if (!found) return this.fail(E_NO_SUCH_NAME, i + 1);
          // checked per varbind so a request of thousands of OIDs cannot outgrow the buffers
          if (this.overSize()) return this.fail(E_TOO_BIG, 0);
        }
        break;
      case TAG.GetBulkRequest:
        this.bulk(layout);
        break;
      default: // SetRequest: the simulated devices are read-only
        return this.fail(v1 ? E_NO_SUCH_NAME : E_NO_ACCESS, 1);
    }
  }

  /** An error response carries the request's varbinds back (with NULL values). */
  fail(status: number, index: number): void {
    this.errorStatus = status;
    this.errorIndex = index;
    this.vb.reset();
    if (status === E_TOO_BIG && this.req.version !== 0) return;
    for (const oid of this.req.oids) this.varbindNull(oid, TAG.Null);
  }

  pduContentSize(vbLen: number, reqId: number): number {
    return (
      tlvSize(intContentSize(reqId)) +
      tlvSize(intContentSize(this.errorStatus)) +
      tlvSize(intContentSize(this.errorIndex)) +
      tlvSize(vbLen)
    );
  }

  pduSize(vbLen: number, reqId: number): number {
    return tlvSize(this.pduContentSize(vbLen, reqId));
  }

  writePdu(w: BerWriter, tag: number, reqId: number): void {
    const vbLen = this.vb.pos;
    w.header(tag, this.pduContentSize(vbLen, reqId));
    w.int(reqId);
    w.int(this.errorStatus);
    w.int(this.errorIndex);
    w.header(TAG.Sequence, vbLen);
    w.buf.set(this.vb.buf.subarray(0, vbLen), w.pos);
    w.pos += vbLen;
  }

  private overSize(): boolean {
    return this.vb.pos > this.vbLimit;
  }

  private varbindNull(oid: number[], tag: number): void {
    const w = this.vb;
    w.header(TAG.Sequence, tlvSize(oidContentSize(oid)) + 2);
    w.oid(oid);
    w.nul(tag);
  }

  /** Writes entry k as a varbind. */
  private varbind(layout: Layout, k: number): void {
    const w = this.vb;
    const oidBer = layout.oidBer[k];
    // value first, behind room for the longest varbind header, then the header in front of it
    const start = w.pos;
    w.pos = start + 4 + oidBer.length;
    writeValue(w, layout.code[k], layout.row[k], this.view);
    const valueLen = w.pos - (start + 4 + oidBer.length);
    const content = oidBer.length + valueLen;
    const headerLen = tlvSize(content) - content;
    w.buf.copyWithin(start + headerLen + oidBer.length, start + 4 + oidBer.length, w.pos);
    w.pos = start;
    w.header(TAG.Sequence, content);
    w.raw(oidBer);
    w.pos += valueLen;
  }

  private get(layout: Layout, oid: number[], v1: boolean): boolean {
    const k = lowerBound(layout, oid);
    if (k < layout.oids.length && compareOid(layout.oids[k], oid) === 0 && !(v1 && layout.is64[k])) {
      this.varbind(layout, k);
      return true;
    }
    if (v1) return false;
    this.varbindNull(oid, isKnownObject(layout, oid, k) ? TAG.NoSuchInstance : TAG.NoSuchObject);
    return true;
  }

  private nextIndex(layout: Layout, k: number, v1: boolean): number {
    if (v1) while (k < layout.oids.length && layout.is64[k]) k++;
    return k;
  }

  private next(layout: Layout, oid: number[], v1: boolean): boolean {
    const k = this.nextIndex(layout, upperBound(layout, oid), v1);
    if (k < layout.oids.length) {
      this.varbind(layout, k);
      return true;
    }
    if (v1) return false;
    this.varbindNull(oid, TAG.EndOfMibView);
    return true;
  }

  /**
   * GETBULK as real agents answer it: the non-repeaters once, then up to max-repetitions rows
   * of one varbind per repeating column, cut to whole rows where the response would exceed the
   * message size (a partial first row when not even one fits, so a walk always progresses).
   */
  private bulk(layout: Layout): void {
    const req = this.req;
    const n = layout.oids.length;
    const nonRep = Math.min(Math.max(req.nonRepeaters, 0), req.oids.length);
    for (let i = 0; i < nonRep; i++) {
      this.next(layout, req.oids[i], false);
      if (this.overSize()) return this.fail(E_TOO_BIG, 0);
    }
    const cols = req.oids.length - nonRep;
    if (cols === 0) return;
    const cursor: number[] = [];
    for (let j = 0; j < cols; j++) cursor.push(upperBound(layout, req.oids[nonRep + j]));
    const maxRep = Math.max(req.maxRepetitions, 0);
    for (let rep = 0; rep < maxRep; rep++) {
      const rowStart = this.vb.pos;
      let ended = 0;
      for (let j = 0; j < cols; j++) {
        const before = this.vb.pos;
        const k = cursor[j];
        if (k < n) {
          this.varbind(layout, k);
          cursor[j] = k + 1;
        } else {
          ended++;
          // the name of an endOfMibView is the one that was asked for at this step
          this.varbindNull(
            k === upperBound(layout, req.oids[nonRep + j]) ? req.oids[nonRep + j] : Array.from(layout.oids[n - 1]),
            TAG.EndOfMibView,
          );
        }
        if (this.overSize()) {
          this.vb.pos = rep === 0 ? before : rowStart;
          return;
        }
      }
      if (ended === cols) return;
    }
  }
}
