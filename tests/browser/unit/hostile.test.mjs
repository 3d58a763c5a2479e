// The pages' parsers of bytes from outside (photos the source picks,
// envelopes and answers from the server, the manifest) on damaged and
// random input: each refuses with its own error type, never another
// exception, never a hang, and an authenticated envelope never opens
// after any change. A deterministic generator keeps failures reproducible.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sodium from 'libsodium-wrappers';

import { fromHex } from '../../../dropbox/web/js/bytes.js';
import { EnvelopeError, openEnvelope, splitReplies } from '../../../dropbox/web/js/envelope.js';
import { ManifestError, parseOrgKey, verifyManifest } from '../../../dropbox/web/js/manifest.js';
import { parsePayload, PayloadError } from '../../../dropbox/web/js/payload.js';
import { stripImage, StripError } from '../../../dropbox/web/js/strip.js';
import { pngWithMetadata, tinyJpeg, withMetadata } from '../lib/exif.mjs';

await sodium.ready;
const VEC = fileURLToPath(new URL('../../vectors/', import.meta.url));

// xorshift32: the same sequence every run.
function rng(seed) {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

function mutate(bytes, r) {
  const b = bytes.slice();
  switch (r(4)) {
    case 0:
      b[r(b.length)] ^= 1 << r(8);
      return b;
    case 1:
      return b.subarray(0, r(b.length));
    case 2: {
      for (let i = 0; i < 1 + r(8); i++) b[r(b.length)] = r(256);
      return b;
    }
    default: {
      const at = r(b.length);
      const n = 1 + r(16);
      const out = new Uint8Array(b.length + n);
      out.set(b.subarray(0, at));
      for (let i = 0; i < n; i++) out[at + i] = [0xff, 0x00, 0xd9, 0xda, 0xe1, r(256)][r(6)];
      out.set(b.subarray(at), at + n);
      return out;
    }
  }
}

test('photo cleaning: damaged JPEG and PNG give a cleaned image or StripError, nothing else', () => {
  const r = rng(1);
  for (const base of [withMetadata(tinyJpeg()), pngWithMetadata()]) {
    for (let i = 0; i < 3000; i++) {
      const input = mutate(base, r);
      try {
        const out = stripImage(input);
        assert.ok(out === null || out instanceof Uint8Array);
        if (out) assert.ok(out.length <= input.length, 'never longer than the input');
      } catch (e) {
        assert.ok(e instanceof StripError, `case ${i}: ${e}`);
      }
    }
  }
});

test('envelopes: any change to any byte is refused with an EnvelopeError', () => {
  const v = JSON.parse(readFileSync(VEC + 'envelope-2.json', 'utf8'));
  const env = new Uint8Array(readFileSync(VEC + 'envelope-2.bin'));
  const kp = { publicKey: fromHex(v.recipients[1].public_key), secretKey: fromHex(v.recipients[1].secret_key) };
  const r = rng(2);
  for (let i = 0; i < 300; i++) {
    const input = mutate(env, r);
    if (input.length === env.length && input.every((x, j) => x === env[j])) continue;
    assert.throws(() => parsePayload(sodium, openEnvelope(sodium, input, kp).plaintext),
      (e) => e instanceof EnvelopeError, `case ${i}`);
  }
});

test('payloads: a damaged plaintext is refused with a PayloadError, never accepted half', () => {
  const v = JSON.parse(readFileSync(VEC + 'envelope-1.json', 'utf8'));
  const kp = { publicKey: fromHex(v.recipients[0].public_key), secretKey: fromHex(v.recipients[0].secret_key) };
  const plain = openEnvelope(sodium, new Uint8Array(readFileSync(VEC + 'envelope-1.bin')), kp).plaintext;
  const r = rng(3);
  for (let i = 0; i < 2000; i++) {
    const input = mutate(plain, r);
    try {
      const p = parsePayload(sodium, input);
      // Only a change the format cannot see (inside the text) may pass.
      assert.equal(typeof p.record, 'object');
    } catch (e) {
      assert.ok(e instanceof PayloadError, `case ${i}: ${e}`);
    }
  }
});

test('manifests: every damaged text or signature is refused with a ManifestError', () => {
  const org = parseOrgKey(sodium, readFileSync(VEC + 'manifest-org.pub', 'utf8').split('\n')[1]);
  const text = readFileSync(VEC + 'manifest-valid');
  const sig = readFileSync(VEC + 'manifest-valid.minisig');
  const dec = new TextDecoder();
  const r = rng(4);
  for (let i = 0; i < 600; i++) {
    const t = i % 2 ? mutate(text, r) : text;
    const s = i % 2 ? sig : mutate(sig, r);
    if (Buffer.from(t).equals(text) && Buffer.from(s).equals(sig)) continue;
    assert.throws(() => verifyManifest(sodium, org, dec.decode(t), dec.decode(s), 20468),
      (e) => e instanceof ManifestError, `case ${i}`);
  }
});

test('the replies answer: random and cut bodies are refused with an EnvelopeError', () => {
  const r = rng(5);
  const good = new Uint8Array([2, 0, 0, 0, 3, 0, 0, 0, 1, 2, 3, 1, 0, 0, 0, 9]);
  assert.equal(splitReplies(good).length, 2);
  for (let i = 0; i < 2000; i++) {
    const input = i % 2 ? mutate(good, r) : Uint8Array.from({ length: r(64) }, () => r(256));
    try {
      const list = splitReplies(input);
      assert.ok(list.length <= 32);
    } catch (e) {
      assert.ok(e instanceof EnvelopeError, `case ${i}: ${e}`);
    }
  }
});
