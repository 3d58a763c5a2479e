// Codenames (docs/FORMAT.md §5): ten words of a computed list of 2048,
// from which the reply key pair and the login token are derived. The
// same words give the same keys here and in lib/codename.c.

const C1 = 'bdfghjklmnprstvz';
const V = 'aeio';
const C2 = 'dklmnrst';
export const WORDS = 10;
const KEY = 'malyava codename v1';
const KDF_CONTEXT = 'MLVCODE1';

export function word(i) {
  return C1[i >> 7] + V[(i >> 5) & 3] + C2[(i >> 2) & 7] + V[i & 3];
}

const INDEX = new Map();
for (let i = 0; i < 2048; i++) INDEX.set(word(i), i);

// Ten uniformly random words: 11 bits each, from the browser's CSPRNG.
export function generate(random = (n) => crypto.getRandomValues(new Uint8Array(n))) {
  const words = [];
  const r = random(2 * WORDS);
  for (let k = 0; k < WORDS; k++) words.push(word(((r[2 * k] << 8) | r[2 * k + 1]) & 2047));
  return words.join(' ');
}

// What a person typed, made canonical; throws with `position` (1-based,
// 0 when the count is wrong) so the page can say which word is off.
export function normalize(typed) {
  const words = typed.toLowerCase().split(/[ \t\r\n\-.,]+/).filter((w) => w !== '');
  if (words.length !== WORDS) {
    const e = new Error('a codename has ten words');
    e.position = 0;
    throw e;
  }
  words.forEach((w, k) => {
    if (!INDEX.has(w)) {
      const e = new Error('a word is not in the list');
      e.position = k + 1;
      throw e;
    }
  });
  return words.join(' ');
}

export function derive(sodium, typed) {
  const canonical = normalize(typed);
  const seed = sodium.crypto_generichash(32, sodium.from_string(canonical), sodium.from_string(KEY));
  const boxSeed = sodium.crypto_kdf_derive_from_key(32, 1, KDF_CONTEXT, seed);
  const pair = sodium.crypto_box_seed_keypair(boxSeed);
  const token = sodium.crypto_kdf_derive_from_key(32, 2, KDF_CONTEXT, seed);
  sodium.memzero(seed);
  sodium.memzero(boxSeed);
  return { canonical, publicKey: pair.publicKey, secretKey: pair.privateKey, token };
}
