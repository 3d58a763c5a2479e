// What goes inside an envelope (docs/FORMAT.md §2): the length-prefixed
// metadata record, the files back to back, zero padding to the PADMÉ size.
// The record names every file's digest before its contents, so files are
// read twice, as the C sealer does: once to hash, once to seal, and the
// second read is checked against the first.
import { concat, fromHex, readU32le, toHex, u32le, utf8 } from './bytes.js';
import { EnvelopeSealer, totalLength } from './envelope.js';
import { padme } from './padme.js';

export const MAX_RECORD_BYTES = 1048576;
export const MAX_FILES = 1000;
const MAX_FIELD_BYTES = 16384;
const FIELD_NAME = /^[a-z0-9_]{1,64}$/;
// Printable ASCII without space, '"' or '\\', as lib/metadata.c reads it.
const MEDIA_TYPE = /^[!#-[\]-~]+\/[!#-[\]-~]+$/;

// jansson's JSON_COMPACT escaping, so a record encodes to the same bytes
// here as in lib/metadata.c: only '"', '\\' and controls below 0x20 are
// escaped, the latter as \b \f \n \r \t or \u00XX in upper case.
function jsonString(s) {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c < 0x20) out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

function jsonValue(v) {
  if (typeof v === 'string') return jsonString(v);
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return '[' + v.map(jsonValue).join(',') + ']';
  const keys = Object.keys(v).sort();
  return '{' + keys.map((k) => jsonString(k) + ':' + jsonValue(v[k])).join(',') + '}';
}

// A file name the record accepts: no separators or controls, at most 255
// bytes of UTF-8, never "." or "..". The source's name is kept as far as
// it is safe, so the editor sees what the source called the file.
export function safeName(name) {
  // Code points, not UTF-16 units: an astral character is one character
  // and is kept; only a lone surrogate (\p{Cs} matches no pair) is replaced.
  let s = String(name).replace(/[\u0000-\u001f\u007f-\u009f/\\]|\p{Cs}/gu, '_');
  while (utf8(s).length > 255) s = Array.from(s).slice(0, -1).join('');
  if (s === '' || s === '.' || s === '..') s = 'file';
  return s;
}

export function safeType(type) {
  return typeof type === 'string' && type.length <= 255 && MEDIA_TYPE.test(type) ? type : null;
}

// Text (message, field values) as lib/metadata.c's one rule allows it:
// any character but NUL, which a C reader cannot hold in a string. Control
// characters stay, as the source wrote them; the editors' tools show them
// safely. (A lone surrogate already becomes U+FFFD when encoded.)
export function safeText(text) {
  return text.replaceAll('\u0000', '\ufffd');
}

export class RecordError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code; // TOO_BIG, TOO_MANY_FILES
  }
}

// entry: { message, fields: {name: value}, files: [{name, type, length, blake2b, metadata}], replyKey }
export function encodeRecord(entry) {
  const rec = { v: 1 };
  if (typeof entry.message === 'string' && entry.message !== '') rec.message = safeText(entry.message);
  const fields = {};
  let nfields = 0;
  for (const [k, v] of Object.entries(entry.fields ?? {})) {
    if (typeof v !== 'string' || v === '') continue;
    if (!FIELD_NAME.test(k)) throw new Error(`field name ${k}`);
    if (utf8(v).length > MAX_FIELD_BYTES) throw new RecordError('TOO_BIG', `field ${k} is too long`);
    fields[k] = safeText(v);
    nfields++;
  }
  if (nfields > 0) rec.fields = fields;
  if (entry.files && entry.files.length > MAX_FILES) throw new RecordError('TOO_MANY_FILES', 'too many files');
  if (entry.files && entry.files.length > 0) {
    rec.files = entry.files.map((f) => {
      const o = { name: safeName(f.name), length: f.length, blake2b: f.blake2b };
      const t = safeType(f.type);
      if (t !== null) o.type = t;
      if (f.metadata === 'stripped' || f.metadata === 'kept') o.metadata = f.metadata;
      return o;
    });
  }
  if (entry.replyKey) rec.reply_key = entry.replyKey;
  const bytes = utf8(jsonValue(rec));
  if (bytes.length > MAX_RECORD_BYTES) throw new RecordError('TOO_BIG', 'the text is too long');
  return bytes;
}

// Where file contents come from: a `length` and `chunks()`, an async
// iterator of the bytes in order. A File is read with its stream(), far
// faster in browsers than many slice() reads and never whole in memory.
export function fileSource(file) {
  return {
    length: file.size,
    async *chunks() {
      const reader = file.stream().getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      } finally {
        reader.releaseLock();
      }
    },
  };
}

export function memorySource(bytes, pieceBytes = 1 << 20) {
  return {
    length: bytes.length,
    async *chunks() {
      for (let off = 0; off < bytes.length; off += pieceBytes) yield bytes.subarray(off, off + pieceBytes);
    },
  };
}

// Every chunk of `src`, refusing a source that is not `length` bytes now.
async function* exactly(src, index) {
  let seen = 0;
  for await (const piece of src.chunks()) {
    seen += piece.length;
    if (seen > src.length) break;
    yield piece;
  }
  if (seen !== src.length) throw new Error(`file ${index + 1} changed while it was being sealed`);
}

// Streams a whole payload into an envelope. `sources` (fileSource,
// memorySource) are in the record's order; `digests` are their
// BLAKE2b-256 as hex from the first read. `emit` receives the ciphertext
// piece by piece and may be async (it is awaited: back pressure).
export class PayloadSealer {
  constructor(sodium, recipients, record, sources, digests, { flags = 0, fileKey = null } = {}) {
    this.sodium = sodium;
    this.record = record;
    this.sources = sources;
    this.digests = digests;
    let l = 4 + record.length;
    for (const s of sources) l += s.length;
    this.plainLength = l;
    this.payloadLength = padme(l);
    this.env = new EnvelopeSealer(sodium, recipients, this.payloadLength, flags, fileKey);
    this.length = totalLength(recipients.length, this.payloadLength);
  }

  async run(emit, onProgress = () => {}) {
    const { sodium } = this;
    const send = async (pieces) => {
      for (const p of pieces) await emit(p);
    };
    await emit(this.env.header());
    await send(this.env.push(concat(u32le(this.record.length), this.record)));
    let done = 0;
    for (let i = 0; i < this.sources.length; i++) {
      const h = sodium.crypto_generichash_init(null, 32);
      for await (const piece of exactly(this.sources[i], i)) {
        sodium.crypto_generichash_update(h, piece);
        await send(this.env.push(piece));
        done += piece.length;
        onProgress(done);
      }
      if (toHex(sodium.crypto_generichash_final(h, 32)) !== this.digests[i]) {
        throw new Error(`file ${i + 1} changed while it was being sealed`);
      }
    }
    const zeros = new Uint8Array(65536);
    for (let left = this.payloadLength - this.plainLength; left > 0;) {
      const n = Math.min(left, zeros.length);
      await send(this.env.push(zeros.subarray(0, n)));
      left -= n;
    }
    const end = this.env.finish();
    await emit(end.chunk);
    return end.receipt;
  }
}

export async function digestOf(sodium, src, onProgress = () => {}) {
  const h = sodium.crypto_generichash_init(null, 32);
  for await (const piece of exactly(src, 0)) {
    sodium.crypto_generichash_update(h, piece);
    onProgress(piece.length);
  }
  return toHex(sodium.crypto_generichash_final(h, 32));
}

export class PayloadError extends Error {}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function checkRecord(record) {
  if (!isObject(record) || record.v !== 1) throw new PayloadError('record version');
  if (record.message !== undefined && typeof record.message !== 'string') throw new PayloadError('record message');
  if (record.fields !== undefined &&
      (!isObject(record.fields) || !Object.entries(record.fields).every(([k, v]) => FIELD_NAME.test(k) && typeof v === 'string'))) {
    throw new PayloadError('record fields');
  }
  if (record.files !== undefined && (!Array.isArray(record.files) || !record.files.every((f) => isObject(f) &&
      typeof f.name === 'string' && Number.isSafeInteger(f.length) && f.length >= 0 &&
      typeof f.blake2b === 'string' && /^[0-9a-f]{64}$/.test(f.blake2b)))) {
    throw new PayloadError('record files');
  }
}

// The inverse, for replies held in memory: checks the record's shape as
// far as showing it needs, every file's length and digest, and the
// padding. Returns { record, files: [{info, bytes}] }; a damaged payload
// is a PayloadError.
export function parsePayload(sodium, plaintext) {
  if (plaintext.length < 6) throw new PayloadError('payload too short');
  const m = readU32le(plaintext, 0);
  if (m < 2 || m > MAX_RECORD_BYTES || 4 + m > plaintext.length) throw new PayloadError('record length');
  let record;
  try {
    record = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext.subarray(4, 4 + m)));
  } catch {
    throw new PayloadError('record is not JSON text');
  }
  checkRecord(record);
  const files = [];
  let off = 4 + m;
  for (const info of record.files ?? []) {
    if (off + info.length > plaintext.length) throw new PayloadError('file length');
    const bytes = plaintext.subarray(off, off + info.length);
    if (toHex(sodium.crypto_generichash(32, bytes)) !== info.blake2b) throw new PayloadError('file digest');
    files.push({ info, bytes });
    off += info.length;
  }
  if (padme(off) !== plaintext.length) throw new PayloadError('padded length');
  for (let i = off; i < plaintext.length; i++) if (plaintext[i] !== 0) throw new PayloadError('padding');
  return { record, files };
}

export { fromHex };
