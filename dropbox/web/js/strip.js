// Removing what a photo says about where, when and on what it was taken:
// EXIF (with GPS), XMP, IPTC, comments, embedded thumbnails and trailing
// data from JPEG; text, time and Exif chunks from PNG. Only what a viewer
// needs to draw the picture is kept. Formats are recognised by their
// first bytes, never by the name or the type the browser guesses.
//
// A file these parsers cannot follow is reported as not cleaned
// (StripError): the page then says so rather than promise what it did not do.

export class StripError extends Error {}

const MAX_SEGMENTS = 65536;
const MAX_CHUNKS = 1024 * 1024;

export function imageKind(head) {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (head.length >= 8 && png.every((b, i) => head[i] === b)) return 'png';
  return null;
}

function startsWith(b, off, text) {
  for (let i = 0; i < text.length; i++) if (b[off + i] !== text.charCodeAt(i)) return false;
  return true;
}

// APPn segments a decoder needs: JFIF without a thumbnail, the colour
// profile, Adobe's colour transform flag. Every other APPn (Exif and XMP
// in APP1, MPF's extra images in APP2, IPTC in APP13, makers' own) goes.
function keepApp(b, marker, off, len) {
  const data = off + 4;
  if (marker === 0xe0) return len === 16 && startsWith(b, data, 'JFIF\0') && b[data + 12] === 0 && b[data + 13] === 0;
  if (marker === 0xe2) return startsWith(b, data, 'ICC_PROFILE\0');
  if (marker === 0xee) return startsWith(b, data, 'Adobe');
  return false;
}

export function stripJpeg(b) {
  const keep = [];
  let pos = 2;
  let segments = 0;
  keep.push([0, 2]);
  for (;;) {
    if (++segments > MAX_SEGMENTS) throw new StripError('too many segments');
    if (pos >= b.length || b[pos] !== 0xff) throw new StripError('expected a marker');
    while (pos < b.length && b[pos] === 0xff) pos++; // fill bytes
    if (pos >= b.length) throw new StripError('cut short');
    const marker = b[pos];
    const start = pos - 1;
    pos++;
    if (marker === 0xd9) {
      keep.push([start, pos]); // EOI: anything after it (a second image, a video) is dropped
      break;
    }
    if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      keep.push([start, pos]);
      continue;
    }
    if (marker === 0xd8 || marker === 0x00) throw new StripError('unexpected marker');
    if (pos + 2 > b.length) throw new StripError('cut short');
    const len = (b[pos] << 8) | b[pos + 1];
    if (len < 2 || pos + len > b.length) throw new StripError('bad segment length');
    const end = pos + len;
    const isApp = marker >= 0xe0 && marker <= 0xef;
    if (!(isApp && !keepApp(b, marker, start, len)) && marker !== 0xfe) keep.push([start, end]);
    pos = end;
    if (marker === 0xda) {
      // Entropy-coded data runs to the next marker that is not a stuffed
      // 0xff00 or a restart marker.
      const dataStart = pos;
      while (pos + 1 < b.length && !(b[pos] === 0xff && b[pos + 1] !== 0x00 && !(b[pos + 1] >= 0xd0 && b[pos + 1] <= 0xd7))) pos++;
      if (pos + 1 >= b.length) throw new StripError('scan cut short');
      keep.push([dataStart, pos]);
    }
  }
  return gather(b, keep);
}

const PNG_KEEP = new Set(['tRNS', 'gAMA', 'cHRM', 'sRGB', 'iCCP', 'sBIT', 'bKGD', 'pHYs', 'hIST', 'sPLT',
  'acTL', 'fcTL', 'fdAT', 'cICP', 'mDCv', 'cLLi']);

// Critical chunks (upper-case first letter) always stay; ancillary ones
// only from the list above: tEXt, zTXt, iTXt (XMP), eXIf and tIME go.
export function stripPng(b) {
  const keep = [[0, 8]];
  let pos = 8;
  for (let n = 0; ; n++) {
    if (n > MAX_CHUNKS) throw new StripError('too many chunks');
    if (pos + 12 > b.length) throw new StripError('cut short');
    const len = ((b[pos] << 24) >>> 0) + (b[pos + 1] << 16) + (b[pos + 2] << 8) + b[pos + 3];
    const type = String.fromCharCode(b[pos + 4], b[pos + 5], b[pos + 6], b[pos + 7]);
    if (!/^[A-Za-z]{4}$/.test(type) || len > 0x7fffffff || pos + 12 + len > b.length) throw new StripError('bad chunk');
    const end = pos + 12 + len;
    const critical = type.charCodeAt(0) < 0x61;
    if (critical || PNG_KEEP.has(type)) keep.push([pos, end]);
    pos = end;
    if (type === 'IEND') break;
  }
  return gather(b, keep);
}

function gather(b, ranges) {
  let n = 0;
  for (const [s, e] of ranges) n += e - s;
  const out = new Uint8Array(n);
  let o = 0;
  for (const [s, e] of ranges) {
    out.set(b.subarray(s, e), o);
    o += e - s;
  }
  return out;
}

// -> Uint8Array of the cleaned image, or null when `bytes` is neither
// JPEG nor PNG; throws StripError when it is one but cannot be followed.
export function stripImage(bytes) {
  const kind = imageKind(bytes);
  if (kind === 'jpeg') return stripJpeg(bytes);
  if (kind === 'png') return stripPng(bytes);
  return null;
}
