// A minimal PNG reader for tests (8-bit RGB/RGBA/grey, not interlaced: what rrdtool and Chromium
// write), so a test can count the pixels a graph actually drew.
import { inflateSync } from 'node:zlib';

export interface Png {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel. */
  pixels: Buffer;
}

export function decodePng(buf: Buffer): Png {
  if (buf.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
  let off = 8;
  let width = 0,
    height = 0,
    colorType = 0;
  let palette: Buffer | undefined;
  const idat: Buffer[] = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.subarray(off + 4, off + 8).toString('latin1');
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0) throw new Error('only 8-bit, non-interlaced PNGs');
      colorType = data[9];
    } else if (type === 'PLTE') palette = data;
    else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const bpp = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  const out = Buffer.alloc(width * height * 4);
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? line[i - bpp] : 0,
        b = prev[i],
        c = i >= bpp ? prev[i - bpp] : 0;
      const p = a + b - c,
        pa = Math.abs(p - a),
        pb = Math.abs(p - b),
        pc = Math.abs(p - c);
      const pred =
        f === 1
          ? a
          : f === 2
            ? b
            : f === 3
              ? (a + b) >> 1
              : f === 4
                ? pa <= pb && pa <= pc
                  ? a
                  : pb <= pc
                    ? b
                    : c
                : 0;
      line[i] = (line[i] + pred) & 255;
    }
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4,
        s = x * bpp;
      let rgba: number[];
      if (colorType === 2) rgba = [line[s], line[s + 1], line[s + 2], 255];
      else if (colorType === 6) rgba = [line[s], line[s + 1], line[s + 2], line[s + 3]];
      else if (colorType === 3)
        rgba = [palette![line[s] * 3], palette![line[s] * 3 + 1], palette![line[s] * 3 + 2], 255];
      else rgba = [line[s], line[s], line[s], colorType === 4 ? line[s + 1] : 255];
      out.set(rgba, o);
    }
    prev = line;
  }
  return { width, height, pixels: out };
}

/** Pixels within `tol` of the colour. */
export function countColour(png: Png, [r, g, b]: [number, number, number], tol = 24): number {
  let n = 0;
  for (let i = 0; i < png.pixels.length; i += 4) {
    if (
      Math.abs(png.pixels[i] - r) <= tol &&
      Math.abs(png.pixels[i + 1] - g) <= tol &&
      Math.abs(png.pixels[i + 2] - b) <= tol
    )
      n++;
  }
  return n;
}
