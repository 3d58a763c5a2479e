// Small byte helpers shared by the source pages' modules. Nothing here
// touches the network or the page.

export function concat(...parts) {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function toHex(bytes) {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

// Lowercase hex only, as every format of the project writes it.
export function fromHex(text) {
  if (typeof text !== 'string' || text.length % 2 !== 0 || !/^[0-9a-f]*$/.test(text)) {
    throw new Error('not lowercase hex');
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
  return out;
}

export function u32le(n) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

// Lengths reach 2^36, past 32-bit integer operations but well within a
// double's exact range.
export function u64le(n) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

export function readU32le(b, off) {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true);
}

export function readU64le(b, off) {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) return Infinity;
  return Number(v);
}

export function utf8(text) {
  return new TextEncoder().encode(text);
}

export function equal(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

// Receipts: BLAKE2b-128 written as eight groups of four hex digits.
export function receiptText(digest) {
  const h = toHex(digest);
  return h.match(/.{4}/g).join('-');
}
