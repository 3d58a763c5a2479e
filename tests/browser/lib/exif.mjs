// Test photos with the metadata that gives a source away: an Exif APP1
// segment holding a camera model, the time taken and GPS coordinates,
// an XMP packet and a comment, put into a real JPEG; and a PNG with
// text, time and eXIf chunks. Built by hand so the tests need no image
// tools, and so they know exactly which bytes must disappear.

function u16(n) {
  return [n & 0xff, (n >> 8) & 0xff];
}
function u32(n) {
  return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
}
const ascii = (s) => Array.from(s, (c) => c.charCodeAt(0));

export const GPS_MARK = 'Malyava-test-camera';
export const XMP_MARK = 'malyava-test-xmp-location';

// Little-endian TIFF: IFD0 (Model, DateTime, GPS pointer), GPS IFD with
// 55°45'N 37°37'E.
export function exifApp1() {
  const model = ascii(GPS_MARK + '\0');
  const date = ascii('2026:11:01 12:34:56\0');
  const ifd0At = 8;
  const ifd0Entries = 3;
  const ifd0Size = 2 + 12 * ifd0Entries + 4;
  const modelAt = ifd0At + ifd0Size;
  const dateAt = modelAt + model.length;
  const gpsAt = dateAt + date.length;
  const gpsEntries = 4;
  const gpsSize = 2 + 12 * gpsEntries + 4;
  const latAt = gpsAt + gpsSize;
  const lonAt = latAt + 24;
  const t = [...ascii('II'), ...u16(42), ...u32(ifd0At)];
  t.push(...u16(ifd0Entries));
  t.push(...u16(0x0110), ...u16(2), ...u32(model.length), ...u32(modelAt));
  t.push(...u16(0x0132), ...u16(2), ...u32(date.length), ...u32(dateAt));
  t.push(...u16(0x8825), ...u16(4), ...u32(1), ...u32(gpsAt));
  t.push(...u32(0));
  t.push(...model, ...date);
  t.push(...u16(gpsEntries));
  t.push(...u16(1), ...u16(2), ...u32(2), ...ascii('N\0\0\0'));
  t.push(...u16(2), ...u16(5), ...u32(3), ...u32(latAt));
  t.push(...u16(3), ...u16(2), ...u32(2), ...ascii('E\0\0\0'));
  t.push(...u16(4), ...u16(5), ...u32(3), ...u32(lonAt));
  t.push(...u32(0));
  for (const v of [55, 45, 0, 37, 37, 0]) t.push(...u32(v), ...u32(1));
  return segment(0xe1, [...ascii('Exif\0\0'), ...t]);
}

export function xmpApp1() {
  return segment(0xe1, ascii(`http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><rdf:Description exif:GPSLatitude="55,45N" note="${XMP_MARK}"/></x:xmpmeta>`));
}

function segment(marker, data) {
  const len = data.length + 2;
  return Uint8Array.from([0xff, marker, len >> 8, len & 0xff, ...data]);
}

// The JPEG with Exif, XMP and a comment inserted after its SOI (and after
// APP0 JFIF when present), plus a trailer after EOI as some phones add.
export function withMetadata(jpeg) {
  let at = 2;
  if (jpeg[2] === 0xff && jpeg[3] === 0xe0) at = 4 + ((jpeg[4] << 8) | jpeg[5]);
  const extra = [exifApp1(), xmpApp1(), segment(0xfe, ascii('taken by ' + GPS_MARK))];
  const trailer = Uint8Array.from(ascii('TRAILER-' + GPS_MARK));
  let n = jpeg.length + trailer.length;
  for (const e of extra) n += e.length;
  const out = new Uint8Array(n);
  out.set(jpeg.subarray(0, at), 0);
  let o = at;
  for (const e of extra) {
    out.set(e, o);
    o += e.length;
  }
  out.set(jpeg.subarray(at), o);
  out.set(trailer, o + jpeg.length - at);
  return out;
}

export function contains(hay, needle) {
  const n = typeof needle === 'string' ? Uint8Array.from(ascii(needle)) : needle;
  outer: for (let i = 0; i + n.length <= hay.length; i++) {
    for (let j = 0; j < n.length; j++) if (hay[i + j] !== n[j]) continue outer;
    return true;
  }
  return false;
}

// A structurally valid baseline JPEG (8x8, one grey block) for tests that
// do not decode pixels: SOI, APP0 JFIF, DQT, SOF0, DHT, SOS, data, EOI.
export function tinyJpeg() {
  const b = [0xff, 0xd8];
  b.push(...segment(0xe0, [...ascii('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]));
  b.push(...segment(0xdb, [0, ...new Array(64).fill(1)]));
  b.push(...segment(0xc0, [8, 0, 8, 0, 8, 1, 1, 0x11, 0]));
  b.push(...segment(0xc4, [0x00, 0, 1, ...new Array(14).fill(0), 0]));
  b.push(...segment(0xc4, [0x10, 0, 1, ...new Array(14).fill(0), 0]));
  b.push(...segment(0xda, [1, 1, 0, 0, 63, 0]));
  // Entropy data with a stuffed 0xff00 and a restart marker.
  b.push(0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56, 0xff, 0xd9);
  return Uint8Array.from(b);
}

function crc32(bytes) {
  let c = ~0;
  for (const x of bytes) {
    c ^= x;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function chunk(type, data) {
  const body = [...ascii(type), ...data];
  const len = data.length;
  const crc = crc32(Uint8Array.from(body));
  return [len >>> 24, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff, ...body,
    crc >>> 24, (crc >> 16) & 0xff, (crc >> 8) & 0xff, crc & 0xff];
}

// A PNG (1x1) with tEXt, iTXt (XMP), tIME and eXIf, and a trailer.
export function pngWithMetadata() {
  const b = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  b.push(...chunk('IHDR', [0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
  b.push(...chunk('tEXt', ascii('Author\0' + GPS_MARK)));
  b.push(...chunk('iTXt', ascii(`XML:com.adobe.xmp\0\0\0\0\0${XMP_MARK}`)));
  b.push(...chunk('tIME', [0x07, 0xea, 11, 1, 12, 34, 56]));
  b.push(...chunk('gAMA', [0, 0, 0xb1, 0x8f]));
  b.push(...chunk('eXIf', Array.from(exifApp1().subarray(10))));
  b.push(...chunk('IDAT', [0x78, 0x9c, 0x63, 0x60, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01]));
  b.push(...chunk('IEND', []));
  b.push(...ascii('TRAILER'));
  return Uint8Array.from(b);
}

// A real JPEG from Chromium's encoder, then Exif with GPS, XMP, a comment
// and a trailer put into it.
export async function makePhoto(page) {
  const bytes = await page.evaluate(async () => {
    const cv = document.createElement('canvas');
    cv.width = 64;
    cv.height = 48;
    const g = cv.getContext('2d');
    g.fillStyle = '#3a6';
    g.fillRect(0, 0, 64, 48);
    g.fillStyle = '#c33';
    g.fillRect(10, 10, 20, 20);
    const blob = await new Promise((r) => cv.toBlob(r, 'image/jpeg', 0.9));
    return Array.from(new Uint8Array(await blob.arrayBuffer()));
  });
  return withMetadata(Uint8Array.from(bytes));
}

