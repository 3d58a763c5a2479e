// Photo cleaning: every byte that could place or date the source goes,
// everything a viewer needs stays, and a file the parser cannot follow
// is reported rather than passed as cleaned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageKind, stripImage, StripError } from '../../../dropbox/web/js/strip.js';
import { contains, GPS_MARK, pngWithMetadata, tinyJpeg, withMetadata, XMP_MARK } from '../lib/exif.mjs';

test('JPEG: Exif with GPS, XMP, comments and trailing data are removed; the image stays', () => {
  const plain = tinyJpeg();
  const dirty = withMetadata(plain);
  assert.ok(contains(dirty, GPS_MARK) && contains(dirty, XMP_MARK) && contains(dirty, 'Exif\0\0'));
  const clean = stripImage(dirty);
  assert.ok(!contains(clean, GPS_MARK), 'camera model, comment and trailer gone');
  assert.ok(!contains(clean, XMP_MARK), 'XMP gone');
  assert.ok(!contains(clean, 'Exif'), 'Exif gone');
  assert.deepEqual(clean, plain, 'exactly the image without its metadata');
  assert.deepEqual(stripImage(plain), plain, 'a clean image is unchanged');
});

test('JPEG: a JFIF thumbnail, MPF images and APP13 go; the colour profile stays', () => {
  const seg = (m, s) => { const d = Array.from(s, (c) => c.charCodeAt(0)); const l = d.length + 2; return [0xff, m, l >> 8, l & 0xff, ...d]; };
  const base = tinyJpeg();
  const icc = seg(0xe2, 'ICC_PROFILE\0\x01\x01profile');
  const mpf = seg(0xe2, 'MPF\0second image here');
  const iptc = seg(0xed, 'Photoshop 3.0\0city');
  const jfxx = seg(0xe0, 'JFXX\0\x10thumbnail');
  const img = Uint8Array.from([...base.subarray(0, 20), ...icc, ...mpf, ...iptc, ...jfxx, ...base.subarray(20)]);
  const clean = stripImage(img);
  assert.ok(contains(clean, 'ICC_PROFILE'));
  assert.ok(!contains(clean, 'MPF') && !contains(clean, 'Photoshop') && !contains(clean, 'JFXX'));
});

test('JPEG: a cut or malformed file is refused, not passed as cleaned', () => {
  const dirty = withMetadata(tinyJpeg());
  for (const cut of [3, 10, 40, 200]) {
    assert.throws(() => stripImage(dirty.subarray(0, cut)), StripError, `cut at ${cut}`);
  }
  const bad = dirty.slice();
  bad[4] = 0xff; // segment length 0xff.. past the end
  bad[5] = 0xff;
  assert.throws(() => stripImage(bad), StripError);
});

test('PNG: text, XMP, time and Exif chunks and trailing bytes are removed; image chunks stay', () => {
  const dirty = pngWithMetadata();
  const clean = stripImage(dirty);
  assert.equal(imageKind(clean), 'png');
  assert.ok(!contains(clean, GPS_MARK) && !contains(clean, XMP_MARK));
  for (const gone of ['tEXt', 'iTXt', 'tIME', 'eXIf', 'TRAILER']) assert.ok(!contains(clean, gone), gone);
  for (const kept of ['IHDR', 'gAMA', 'IDAT', 'IEND']) assert.ok(contains(clean, kept), kept);
  assert.throws(() => stripImage(dirty.subarray(0, 30)), StripError);
});

test('other files are not images and are left alone', () => {
  assert.equal(stripImage(new TextEncoder().encode('%PDF-1.7 hello')), null);
  assert.equal(imageKind(Uint8Array.of(0xff, 0xd8)), null);
});
