// The browser's sealer against the C opener: an envelope made by these
// modules, for an organisation made by malyava-keys, opens with
// `malyava open` to the same text, fields and bytes, with the same
// receipt. MALYAVA and MALYAVA_KEYS name the binaries (meson sets them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sodium from 'libsodium-wrappers';

import { toHex } from '../../../dropbox/web/js/bytes.js';
import * as codename from '../../../dropbox/web/js/codename.js';
import { parseOrgKey, verifyManifest } from '../../../dropbox/web/js/manifest.js';
import { digestOf, encodeRecord, memorySource, PayloadSealer } from '../../../dropbox/web/js/payload.js';
import { stripImage } from '../../../dropbox/web/js/strip.js';
import { tinyJpeg, withMetadata } from '../lib/exif.mjs';

await sodium.ready;
const MALYAVA = process.env.MALYAVA;
const KEYS = process.env.MALYAVA_KEYS;
const run = (...args) => execFileSync(args[0], args.slice(1), { encoding: 'utf8' });

test('an envelope sealed here opens with malyava open, byte for byte', async () => {
  assert.ok(MALYAVA && KEYS, 'MALYAVA and MALYAVA_KEYS must name the built binaries');
  const dir = mkdtempSync(join(tmpdir(), 'malyava-js-'));
  try {
    const org = join(dir, 'org');
    const pass = join(dir, 'pass');
    writeFileSync(pass, 'correct horse battery staple\n');
    run(KEYS, '--dir', org, 'init', '--kdf', 'interactive', '--passphrase-file', pass);
    for (const n of ['alice', 'bob']) run(KEYS, '--dir', org, 'editor', 'new', n, '--kdf', 'interactive', '--passphrase-file', pass);
    run(KEYS, '--dir', org, 'manifest', 'sign', '--add', join(org, 'editors/alice.pub'), '--add', join(org, 'editors/bob.pub'),
      '--passphrase-file', pass);
    const orgKey = parseOrgKey(sodium, readFileSync(join(org, 'org.pub'), 'utf8').split('\n')[1]);
    const m = verifyManifest(sodium, orgKey, readFileSync(join(org, 'manifest'), 'utf8'),
      readFileSync(join(org, 'manifest.minisig'), 'utf8'));
    assert.equal(m.editors.length, 2);

    const photo = stripImage(withMetadata(tinyJpeg()));
    const big = sodium.randombytes_buf(300000);
    const files = [
      { name: 'фото.jpg', type: 'image/jpeg', bytes: photo, metadata: 'stripped' },
      { name: 'record.bin', type: 'application/octet-stream', bytes: big, metadata: 'none' },
      { name: 'empty.txt', type: 'text/plain', bytes: new Uint8Array(0), metadata: 'none' },
    ];
    for (const f of files) {
      f.length = f.bytes.length;
      f.source = memorySource(f.bytes, 65536);
      f.blake2b = await digestOf(sodium, f.source);
    }
    const keys = codename.derive(sodium, codename.generate());
    const message = 'Меня избили 3 ноября.\nЯ видел всё сам. "quoted" \\ slash';
    const fields = { place: 'ИК-2, Ярославль', date: 'ноябрь 2026', category: 'violence', affected: 'двое', contact: 'через адвоката' };
    const record = encodeRecord({ message, fields, files, replyKey: toHex(keys.publicKey) });
    const sealer = new PayloadSealer(sodium, m.editors, record, files.map((f) => memorySource(f.bytes, 100000)),
      files.map((f) => f.blake2b));
    const out = [];
    const receipt = await sealer.run((b) => out.push(Buffer.from(b)));
    const env = join(dir, 'sub.mlv');
    writeFileSync(env, Buffer.concat(out));
    assert.equal(Buffer.concat(out).length, sealer.length);

    for (const editor of ['alice', 'bob']) {
      const dest = join(dir, `out-${editor}`);
      const said = run(MALYAVA, 'open', '--key', join(org, `editors/${editor}.key`), '--passphrase-file', pass, env, '-o', dest);
      assert.match(said, new RegExp(`receipt: ${receipt}`), 'the editor sees the sealer\'s receipt');
      assert.equal(readFileSync(join(dest, 'message.txt'), 'utf8'), message);
      const meta = JSON.parse(readFileSync(join(dest, 'metadata.json'), 'utf8'));
      assert.deepEqual(meta.fields, fields);
      assert.equal(meta.reply_key, toHex(keys.publicKey));
      assert.deepEqual(meta.files.map((f) => [f.name, f.metadata ?? 'none']), files.map((f) => [f.name, f.metadata]));
      for (const f of files) assert.ok(readFileSync(join(dest, 'files', f.name)).equals(Buffer.from(f.bytes)), f.name);
    }
    // A changed file between the two reads is caught, not sealed.
    const changed = new PayloadSealer(sodium, m.editors, record, [memorySource(photo), memorySource(sodium.randombytes_buf(300000)),
      memorySource(new Uint8Array(0))], files.map((f) => f.blake2b));
    await assert.rejects(changed.run(() => {}), /changed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a source that grows or shrinks between the two reads is refused', async () => {
  const record = encodeRecord({ files: [{ name: 'a', length: 100, blake2b: '00'.repeat(32) }] });
  const pk = sodium.crypto_box_keypair().publicKey;
  const liar = (n) => ({ length: 100, async *chunks() { yield new Uint8Array(n); } });
  for (const n of [99, 101, 0]) {
    const s = new PayloadSealer(sodium, [{ publicKey: pk }], record, [liar(n)], ['00'.repeat(32)]);
    await assert.rejects(s.run(() => {}), /changed/, `${n} bytes instead of 100`);
  }
});
