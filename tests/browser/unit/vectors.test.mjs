// The source pages' crypto modules against the project's known-answer
// vectors (tests/vectors): the same bytes as the C code, or a failure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import sodium from 'libsodium-wrappers';

import { fromHex, toHex, utf8 } from '../../../dropbox/web/js/bytes.js';
import { padme } from '../../../dropbox/web/js/padme.js';
import * as codename from '../../../dropbox/web/js/codename.js';
import { keyId, parseOrgKey, verifyManifest } from '../../../dropbox/web/js/manifest.js';
import { openReply, PREFIX_BYTES, replyDigest, ReplyError } from '../../../dropbox/web/js/reply.js';
import { openEnvelope, receiptOf } from '../../../dropbox/web/js/envelope.js';
import { encodeRecord, memorySource, parsePayload, PayloadSealer } from '../../../dropbox/web/js/payload.js';

await sodium.ready;
const VEC = fileURLToPath(new URL('../../vectors/', import.meta.url));
const read = (name) => readFileSync(VEC + name);
const json = (name) => JSON.parse(read(name).toString('utf8'));

// tests/unit/test_vectors.c's random source: draw i is the ChaCha20
// keystream (64-bit nonce i) under 32 bytes 0x4d.
function draw(i, n) {
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64LE(BigInt(i), 8);
  return new Uint8Array(createCipheriv('chacha20', Buffer.alloc(32, 0x4d), iv).update(Buffer.alloc(n)));
}

// libsodium.js asks the page for one 32-bit value per random byte and
// keeps the low byte: feed it the vector's draws in order.
function withRandom(bytes, fn) {
  const real = globalThis.crypto.getRandomValues;
  let at = 0;
  globalThis.crypto.getRandomValues = (arr) => {
    for (let i = 0; i < arr.length; i++) {
      if (at >= bytes.length) throw new Error('more randomness drawn than the vector has');
      arr[i] = bytes[at++];
    }
    return arr;
  };
  try {
    return fn();
  } finally {
    globalThis.crypto.getRandomValues = real;
  }
}

function contents(rule, length) {
  const m = /^byte i = \(i \* (\d+) \+ (\d+)\) % 251$/.exec(rule);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (i * +m[1] + +m[2]) % 251;
  return out;
}


test('PADMÉ sizes as docs/FORMAT.md lists them', () => {
  for (const [l, p] of [[0, 0], [1, 1], [100, 104], [1000, 1024], [4100, 4352], [65537, 67584], [1000000, 1015808]]) {
    assert.equal(padme(l), p, `padme(${l})`);
  }
  assert.equal(padme(2 ** 36 - 1), 2 ** 36);
});

test('codename words and derivations equal lib/codename.c', () => {
  const v = json('codename.json');
  assert.equal(codename.word(0), v.words.first);
  assert.equal(codename.word(2047), v.words.last);
  assert.equal(codename.word(1234), v.words.index_1234);
  assert.equal(new Set(Array.from({ length: 2048 }, (_, i) => codename.word(i))).size, 2048);
  for (const c of v.cases) {
    const typed = c.typed ?? c.indices.map(codename.word).join(' ');
    const d = codename.derive(sodium, typed);
    assert.equal(d.canonical, c.canonical);
    assert.equal(toHex(d.publicKey), c.reply_public_key);
    assert.equal(toHex(d.secretKey), c.reply_secret_key);
    assert.equal(toHex(d.token), c.login_token);
  }
});

test('codename normalisation accepts separators and case, refuses wrong words', () => {
  const c = Array.from({ length: 10 }, (_, i) => codename.word(i * 200)).join(' ');
  assert.equal(codename.normalize(`  ${c.toUpperCase().replaceAll(' ', '-\n ')}.\t`), c);
  assert.throws(() => codename.normalize(c.split(' ').slice(1).join(' ')), (e) => e.position === 0);
  assert.throws(() => codename.normalize(c.replace(/^\w+ \w+/, 'bada xxxx')), (e) => e.position === 2);
  assert.throws(() => codename.normalize(c + ' bada'), (e) => e.position === 0);
  const g = codename.generate();
  assert.equal(codename.normalize(g), g);
  assert.notEqual(codename.generate(), g);
});

test('manifest vectors: the valid one verifies, the forged one does not', () => {
  const org = parseOrgKey(sodium, read('manifest-org.pub').toString().split('\n')[1]);
  const text = read('manifest-valid').toString();
  const sig = read('manifest-valid.minisig').toString();
  const day = 20468;
  const m = verifyManifest(sodium, org, text, sig, day);
  assert.equal(m.serial, '3');
  assert.equal(m.editors.length, 2);
  assert.throws(() => verifyManifest(sodium, org, read('manifest-forged').toString(),
    read('manifest-forged.minisig').toString(), day), (e) => e.code === 'SIGNATURE');
  assert.throws(() => verifyManifest(sodium, org, text.replace('editor', 'editor '), sig, day), (e) => e.code === 'SIGNATURE');
  assert.throws(() => verifyManifest(sodium, org, text, sig, day - 1), (e) => e.code === 'NOT_YET');
  assert.throws(() => verifyManifest(sodium, org, text, sig, day + 91), (e) => e.code === 'EXPIRED');
  assert.equal(verifyManifest(sodium, org, text, sig, day + 90).serial, '3');
  const other = sodium.crypto_sign_keypair();
  const otherOrg = { id: org.id, publicKey: other.publicKey };
  assert.throws(() => verifyManifest(sodium, otherOrg, text, sig, day), (e) => e.code === 'SIGNATURE');
  assert.throws(() => verifyManifest(sodium, { id: new Uint8Array(8), publicKey: org.publicKey }, text, sig, day),
    (e) => e.code === 'WRONG_KEY');
  assert.throws(() => verifyManifest(sodium, org, text, sig.replace('RURV', 'RWRV'), day), (e) => e.code === 'MALFORMED');
});

for (const n of [1, 2, 3]) {
  test(`envelope-${n}: sealing the vector's inputs gives its exact bytes and receipt`, async () => {
    const v = json(`envelope-${n}.json`);
    const want = read(`envelope-${n}.bin`);
    const entry = { message: v.message, fields: v.fields, files: [], replyKey: v.reply_key };
    const sources = [];
    if (v.file) {
      const bytes = contents(v.file.contents, v.file.length);
      assert.equal(toHex(sodium.crypto_generichash(32, bytes)), v.file.blake2b);
      entry.files.push({ name: v.file.name, type: v.file.type, length: v.file.length, blake2b: v.file.blake2b,
        metadata: n === 1 ? 'stripped' : 'none' });
      sources.push(memorySource(bytes));
    }
    const record = encodeRecord(entry);
    const recipients = v.recipients.map((r) => ({ publicKey: fromHex(r.public_key) }));
    const fileKey = draw(0, 32);
    const rest = [];
    v.recipients.forEach((_, i) => rest.push(...draw(1 + i, 32)));
    rest.push(...draw(1 + v.recipients.length, 24));
    const sealer = withRandom(Uint8Array.from(rest), () => new PayloadSealer(sodium, recipients, record, sources,
      entry.files.map((f) => f.blake2b), { flags: v.flags, fileKey }));
    const out = [];
    const receipt = await sealer.run((p) => out.push(p));
    const got = Buffer.concat(out);
    assert.equal(got.length, v.envelope_length);
    assert.equal(sealer.length, v.envelope_length);
    assert.equal(receipt, v.receipt);
    assert.ok(got.equals(want), 'bytes equal the vector');
    for (const r of v.recipients) {
      const kp = { publicKey: fromHex(r.public_key), secretKey: fromHex(r.secret_key) };
      const opened = openEnvelope(sodium, new Uint8Array(want), kp);
      assert.equal(opened.flags, v.flags);
      const p = parsePayload(sodium, opened.plaintext);
      assert.equal(p.record.message, v.message);
      assert.equal(receiptOf(sodium, want), v.receipt);
    }
  });
}

test('opening refuses a flipped byte anywhere, a cut and a trailing byte', () => {
  const v = json('envelope-1.json');
  const env = new Uint8Array(read('envelope-1.bin'));
  const kp = { publicKey: fromHex(v.recipients[0].public_key), secretKey: fromHex(v.recipients[0].secret_key) };
  for (const at of [0, 8, 12, 30, 100, 200, env.length - 1]) {
    const bad = env.slice();
    bad[at] ^= 1;
    assert.throws(() => openEnvelope(sodium, bad, kp), `flip at ${at}`);
  }
  assert.throws(() => openEnvelope(sodium, env.subarray(0, env.length - 1), kp), (e) => e.code === 'TRUNCATED');
  const longer = new Uint8Array(env.length + 1);
  longer.set(env);
  assert.throws(() => openEnvelope(sodium, longer, kp), (e) => e.code === 'TRAILING');
  const stranger = sodium.crypto_box_keypair();
  assert.throws(() => openEnvelope(sodium, env, { publicKey: stranger.publicKey, secretKey: stranger.privateKey }),
    (e) => e.code === 'NOT_ADDRESSED');
});

test('the record escapes as jansson does and refuses what the C reader refuses', () => {
  const r = new TextDecoder().decode(encodeRecord({ message: 'a"\\\u0001\n\u001f/é', fields: { place: 'x', date: '' } }));
  assert.equal(r, '{"fields":{"place":"x"},"message":"a\\"\\\\\\u0001\\n\\u001F/é","v":1}');
  assert.throws(() => encodeRecord({ fields: { 'Bad-Name': 'x' } }));
  assert.throws(() => encodeRecord({ fields: { place: 'x'.repeat(16385) } }));
  assert.equal(new TextDecoder().decode(encodeRecord({ files: [{ name: '../a/b\u0000', length: 0, blake2b: '00', type: 'bad type' }] })),
    '{"files":[{"blake2b":"00","length":0,"name":".._a_b_"}],"v":1}');
  // lib/metadata.c's one rule: text keeps every character but NUL; names
  // lose controls, keep astral characters; types lose '"' and '\\'.
  assert.equal(new TextDecoder().decode(encodeRecord({ message: 'a\u0000\u0085\u{1f600}', fields: { place: '\u0096\u0000' },
    files: [{ name: 'ф\u{1f600}\u0085\ud800.jpg', length: 0, blake2b: '00', type: 'image/"x' }] })),
  '{"fields":{"place":"\u0096\ufffd"},"files":[{"blake2b":"00","length":0,"name":"ф\u{1f600}__.jpg"}],"message":"a\ufffd\u0085\u{1f600}","v":1}');
  assert.throws(() => encodeRecord({ files: Array.from({ length: 1001 }, () => ({ name: 'a', length: 0, blake2b: '00' })) }),
    (e) => e.code === 'TOO_MANY_FILES');
});

// docs/FORMAT.md §4.5: the page opens replies; reproducing the C sealer's
// bytes from the vector's inputs shows both read the layout alike.
for (const name of ['reply-1', 'reply-2']) {
  test(`${name}: its bytes rebuilt from the inputs, and the page's verdict is the C one`, async () => {
    const v = json(`${name}.json`);
    const want = new Uint8Array(read(`${name}.bin`));
    const editor = { publicKey: fromHex(v.editor.public_key), secretKey: fromHex(v.editor.secret_key) };
    const source = { publicKey: fromHex(v.source.public_key), secretKey: fromHex(v.source.secret_key) };
    const record = encodeRecord({ message: v.message });
    const rest = Uint8Array.from([...draw(1, 32), ...draw(2, 24)]);
    const sealer = withRandom(rest, () => new PayloadSealer(sodium, [source], record, [], [], { fileKey: draw(0, 32) }));
    const parts = [];
    await sealer.run((p) => parts.push(p));
    const env = Buffer.concat(parts);
    assert.equal(env.length, v.envelope_length);
    const editorId = keyId(sodium, editor.publicKey);
    assert.equal(toHex(editorId), v.editor.key_id);
    const digest = replyDigest(sodium, editorId, keyId(sodium, source.publicKey), env);
    const nonce = draw(3, 24);
    const claim = Uint8Array.from([...editorId, ...nonce,
      ...sodium.crypto_box_easy(digest, nonce, source.publicKey, editor.secretKey)]);
    const proof = withRandom(draw(4, 32), () => sodium.crypto_box_seal(claim, source.publicKey));
    const got = Buffer.concat([Buffer.from('MLVREPLY'), Buffer.from([2]), proof, env]);
    assert.equal(got.length, v.reply_length);
    assert.ok(got.equals(want), 'bytes equal the vector');

    const editors = v.manifest_editors.map((hex) => ({ id: toHex(keyId(sodium, fromHex(hex))), publicKey: fromHex(hex) }));
    if (v.verdict === 'OK') {
      const r = openReply(sodium, want, source, editors);
      assert.equal(r.record.message, v.message);
      assert.equal(r.editorId, v.editor.key_id);
    } else {
      assert.throws(() => openReply(sodium, want, source, editors), (e) => e.code === v.verdict);
    }
    // Without its proof, the envelope alone is what anyone could have sealed.
    assert.throws(() => openReply(sodium, want.subarray(PREFIX_BYTES), source, editors), (e) => e.code === 'UNPROVEN');
  });
}

test('a reply is refused when any byte changes, when replayed to another codename, or after its key left the manifest', () => {
  const v = json('reply-1.json');
  const r = new Uint8Array(read('reply-1.bin'));
  const source = { publicKey: fromHex(v.source.public_key), secretKey: fromHex(v.source.secret_key) };
  const editors = v.manifest_editors.map((hex) => ({ id: toHex(keyId(sodium, fromHex(hex))), publicKey: fromHex(hex) }));
  for (let at = 0; at < r.length; at++) {
    const bad = r.slice();
    bad[at] ^= 1;
    assert.throws(() => openReply(sodium, bad, source, editors), ReplyError, `flip at ${at}`);
  }
  const stranger = sodium.crypto_box_keypair();
  assert.throws(() => openReply(sodium, r, { publicKey: stranger.publicKey, secretKey: stranger.privateKey }, editors),
    (e) => e.code === 'NOT_FOR_ME');
  assert.throws(() => openReply(sodium, r, source, []), (e) => e.code === 'UNLISTED');
  assert.throws(() => openReply(sodium, r.subarray(0, r.length - 1), source, editors), ReplyError);
});
