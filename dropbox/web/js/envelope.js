// The envelope (docs/FORMAT.md §1): stanzas sealing a fresh file key to
// each editor, a header MAC, then the payload as 64 KiB secretstream
// chunks. The sealer takes plaintext in any pieces and hands back
// ciphertext as soon as a chunk is complete, so memory stays at one chunk
// whatever the size. The opener is for replies, which are at most 1 MiB.
import { concat, equal, readU32le, readU64le, u64le, receiptText } from './bytes.js';
import { keyId } from './manifest.js';

export const CHUNK = 65536;
const TAG_BYTES = 17;
const MAGIC = [0x4d, 0x41, 0x4c, 0x59, 0x41, 0x56, 0x41];
const STANZA_BYTES = 91;
const FIXED_BYTES = 18;
const STREAM_HEADER_BYTES = 24;
const MAC_BYTES = 32;
const MAX_RECIPIENTS = 64;
const MAX_PAYLOAD = 2 ** 36;
export const FLAG_SERVER_SEALED = 1;

export function chunkCount(payloadLength) {
  return Math.max(1, Math.ceil(payloadLength / CHUNK));
}

export function headerLength(recipients) {
  return FIXED_BYTES + STANZA_BYTES * recipients + STREAM_HEADER_BYTES + MAC_BYTES;
}

// mlv_env_total_bytes: what Upload-Length must say.
export function totalLength(recipients, payloadLength) {
  return headerLength(recipients) + payloadLength + TAG_BYTES * chunkCount(payloadLength);
}

function subkeys(sodium, fileKey) {
  return {
    payload: sodium.crypto_kdf_derive_from_key(32, 1, 'MLVENV01', fileKey),
    mac: sodium.crypto_kdf_derive_from_key(32, 2, 'MLVENV01', fileKey),
  };
}

export class EnvelopeSealer {
  // recipients: [{publicKey}], in stanza order. fileKey is drawn here
  // unless a test passes one.
  constructor(sodium, recipients, payloadLength, flags = 0, fileKey = null) {
    if (recipients.length < 1 || recipients.length > MAX_RECIPIENTS) throw new Error('recipient count');
    if (!Number.isSafeInteger(payloadLength) || payloadLength < 0 || payloadLength > MAX_PAYLOAD) throw new Error('payload length');
    this.sodium = sodium;
    this.payloadLength = payloadLength;
    this.pushed = 0;
    this.buffer = new Uint8Array(CHUNK);
    this.fill = 0;
    this.receipt = sodium.crypto_generichash_init(null, 16);
    const key = fileKey ?? sodium.randombytes_buf(32);
    const fixed = new Uint8Array(FIXED_BYTES);
    fixed.set(MAGIC, 0);
    fixed[7] = 1;
    fixed[8] = flags;
    fixed[9] = recipients.length;
    fixed.set(u64le(payloadLength), 10);
    const stanzas = recipients.map((r) => concat(Uint8Array.of(1), keyId(sodium, r.publicKey), Uint8Array.of(80, 0),
      sodium.crypto_box_seal(key, r.publicKey)));
    const k = subkeys(sodium, key);
    const init = sodium.crypto_secretstream_xchacha20poly1305_init_push(k.payload);
    this.state = init.state;
    const body = concat(fixed, ...stanzas, init.header);
    const mac = sodium.crypto_generichash(32, body, k.mac);
    this.headerBytes = concat(body, mac);
    sodium.memzero(k.payload);
    sodium.memzero(k.mac);
    if (fileKey === null) sodium.memzero(key);
    this.length = totalLength(recipients.length, payloadLength);
    this.written = 0;
  }

  _out(bytes) {
    this.sodium.crypto_generichash_update(this.receipt, bytes);
    this.written += bytes.length;
    return bytes;
  }

  header() {
    return this._out(this.headerBytes);
  }

  // Returns the ciphertext chunks this plaintext completed (maybe none).
  push(bytes) {
    const out = [];
    if (this.pushed + bytes.length > this.payloadLength) throw new Error('more plaintext than the header declares');
    let off = 0;
    while (off < bytes.length) {
      const take = Math.min(CHUNK - this.fill, bytes.length - off);
      this.buffer.set(bytes.subarray(off, off + take), this.fill);
      this.fill += take;
      off += take;
      this.pushed += take;
      // A full chunk is a MESSAGE only when more plaintext follows; the
      // last one, full or not, waits for finish() to be tagged FINAL.
      if (this.fill === CHUNK && this.pushed < this.payloadLength) {
        out.push(this._out(this.sodium.crypto_secretstream_xchacha20poly1305_push(this.state, this.buffer, null,
          this.sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE)));
        this.fill = 0;
      }
    }
    return out;
  }

  // The FINAL chunk, and the receipt of every byte handed out.
  finish() {
    if (this.pushed !== this.payloadLength) throw new Error('less plaintext than the header declares');
    const last = this._out(this.sodium.crypto_secretstream_xchacha20poly1305_push(this.state,
      this.buffer.subarray(0, this.fill), null, this.sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL));
    this.buffer.fill(0);
    const digest = this.sodium.crypto_generichash_final(this.receipt, 16);
    if (this.written !== this.length) throw new Error('envelope length mismatch');
    return { chunk: last, receipt: receiptText(digest) };
  }
}

export class EnvelopeError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code; // MALFORMED, VERSION, LIMIT, NOT_ADDRESSED, TAMPERED, TRUNCATED, TRAILING
  }
}

// Opens a whole envelope held in memory with one X25519 key pair;
// checks in the order of §1.4 and returns { flags, plaintext }.
export function openEnvelope(sodium, env, keyPair) {
  if (env.length < FIXED_BYTES || !MAGIC.every((b, i) => env[i] === b)) throw new EnvelopeError('MALFORMED', 'not an envelope');
  if (env[7] !== 1) throw new EnvelopeError('VERSION', 'unsupported version');
  const flags = env[8];
  const n = env[9];
  if ((flags & ~FLAG_SERVER_SEALED) !== 0 || n === 0) throw new EnvelopeError('MALFORMED', 'flags or count');
  if (n > MAX_RECIPIENTS) throw new EnvelopeError('LIMIT', 'too many recipients');
  const p = readU64le(env, 10);
  if (p > MAX_PAYLOAD) throw new EnvelopeError('LIMIT', 'payload too long');
  const hlen = headerLength(n);
  if (env.length < hlen) throw new EnvelopeError('TRUNCATED', 'header cut short');
  const mine = keyId(sodium, keyPair.publicKey);
  const seen = new Set();
  let body = null;
  for (let i = 0; i < n; i++) {
    const s = env.subarray(FIXED_BYTES + STANZA_BYTES * i, FIXED_BYTES + STANZA_BYTES * (i + 1));
    const id = Array.from(s.subarray(1, 9)).join(',');
    if (s[0] !== 1 || s[9] !== 80 || s[10] !== 0 || seen.has(id)) throw new EnvelopeError('MALFORMED', 'stanza');
    seen.add(id);
    if (equal(s.subarray(1, 9), mine)) body = s.subarray(11);
  }
  if (body === null) throw new EnvelopeError('NOT_ADDRESSED', 'not addressed to this key');
  let fileKey;
  try {
    fileKey = sodium.crypto_box_seal_open(body, keyPair.publicKey, keyPair.secretKey);
  } catch {
    throw new EnvelopeError('TAMPERED', 'stanza does not open');
  }
  const k = subkeys(sodium, fileKey);
  sodium.memzero(fileKey);
  const macAt = hlen - MAC_BYTES;
  const mac = sodium.crypto_generichash(32, env.subarray(0, macAt), k.mac);
  if (!sodium.memcmp(mac, env.subarray(macAt, hlen))) throw new EnvelopeError('TAMPERED', 'header MAC');
  const state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(env.subarray(macAt - STREAM_HEADER_BYTES, macAt), k.payload);
  sodium.memzero(k.payload);
  const chunks = chunkCount(p);
  const plaintext = new Uint8Array(p);
  let off = hlen;
  for (let i = 0; i < chunks; i++) {
    const plain = i < chunks - 1 ? CHUNK : p - CHUNK * (chunks - 1);
    if (env.length < off + plain + TAG_BYTES) throw new EnvelopeError('TRUNCATED', 'envelope cut short');
    const r = sodium.crypto_secretstream_xchacha20poly1305_pull(state, env.subarray(off, off + plain + TAG_BYTES));
    const final = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    if (!r || (r.tag === final) !== (i === chunks - 1)) throw new EnvelopeError('TAMPERED', 'chunk');
    plaintext.set(r.message, CHUNK * i);
    off += plain + TAG_BYTES;
  }
  if (off !== env.length) throw new EnvelopeError('TRAILING', 'bytes after the last chunk');
  return { flags, plaintext };
}

export function receiptOf(sodium, bytes) {
  return receiptText(sodium.crypto_generichash(16, bytes));
}

const MAX_REPLIES = 32;

// The answer of POST /api/v1/replies/fetch (docs/PROTOCOL.md): u32 count,
// then per reply u32 length and the envelope.
export function splitReplies(body) {
  const out = [];
  if (body.length < 4) throw new EnvelopeError('MALFORMED', 'short answer');
  const n = readU32le(body, 0);
  if (n > MAX_REPLIES) throw new EnvelopeError('LIMIT', 'too many replies');
  let off = 4;
  for (let i = 0; i < n; i++) {
    if (off + 4 > body.length) throw new EnvelopeError('MALFORMED', 'short answer');
    const len = readU32le(body, off);
    off += 4;
    if (off + len > body.length) throw new EnvelopeError('MALFORMED', 'short answer');
    out.push(body.subarray(off, off + len));
    off += len;
  }
  if (off !== body.length) throw new EnvelopeError('MALFORMED', 'bytes after the last reply');
  return out;
}
