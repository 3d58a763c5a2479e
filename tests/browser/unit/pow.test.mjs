// Proof of work: the answer has the zero bits asked for, in the header
// shape the server parses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sodium from 'libsodium-wrappers';
import { fromHex } from '../../../dropbox/web/js/bytes.js';
import { leadingZeroBitsAtLeast, solve } from '../../../dropbox/web/js/pow.js';

await sodium.ready;

test('leading zero bits are counted from bit 7 of byte 0', () => {
  assert.ok(leadingZeroBitsAtLeast(Uint8Array.of(0x00, 0x1f), 11));
  assert.ok(!leadingZeroBitsAtLeast(Uint8Array.of(0x00, 0x1f), 12));
  assert.ok(leadingZeroBitsAtLeast(Uint8Array.of(0x01), 7));
  assert.ok(!leadingZeroBitsAtLeast(Uint8Array.of(0x01), 8));
  assert.ok(leadingZeroBitsAtLeast(Uint8Array.of(0xff), 0));
});

test('a solution has the bits, is the first nonce that does, and is LE hex', () => {
  const challenge = sodium.to_hex(sodium.randombytes_buf(32));
  const answer = solve(sodium, challenge, 12);
  const m = /^([0-9a-f]{64}):([0-9a-f]{16})$/.exec(answer);
  assert.ok(m);
  assert.equal(m[1], challenge);
  const input = new Uint8Array([...fromHex(challenge), ...fromHex(m[2])]);
  assert.ok(leadingZeroBitsAtLeast(sodium.crypto_generichash(32, input), 12));
  const nonce = Number(new DataView(input.buffer).getBigUint64(32, true));
  for (let n = 0; n < nonce; n++) {
    new DataView(input.buffer).setBigUint64(32, BigInt(n), true);
    assert.ok(!leadingZeroBitsAtLeast(sodium.crypto_generichash(32, input), 12), `nonce ${n} earlier`);
  }
  assert.equal(solve(sodium, challenge, 0), `${challenge}:0000000000000000`);
  assert.throws(() => solve(sodium, 'zz', 4));
});
