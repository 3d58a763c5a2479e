// The signed manifest of editor keys (docs/FORMAT.md §3.4, §3.5), checked
// in the order of mlv_man_verify: the signature before the text is parsed,
// the trusted comment against the text, then the dates. The organisation
// key comes from the page (<meta name="malyava-org-pub">); a server that
// swaps the manifest cannot also forge its signature.
import { concat, equal, toHex, utf8 } from './bytes.js';

export class ManifestError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code; // MALFORMED, WRONG_KEY, SIGNATURE, NOT_YET, EXPIRED
  }
}

const MAX_MANIFEST_BYTES = 4500;
const MAX_KEYS = 64;
const MAX_DAYS = 366;

function b64(sodium, text) {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) throw new ManifestError('MALFORMED', 'bad base64');
  const raw = sodium.from_base64(text, sodium.base64_variants.ORIGINAL);
  // Canonical base64 only: non-zero padding bits would decode the same.
  if (sodium.to_base64(raw, sodium.base64_variants.ORIGINAL) !== text) throw new ManifestError('MALFORMED', 'non-canonical base64');
  return raw;
}

export function keyId(sodium, publicKey) {
  return sodium.crypto_generichash(32, publicKey).subarray(0, 8);
}

// The organisation key: the base64 line of org.pub, "Ed" ‖ key id ‖ key.
export function parseOrgKey(sodium, line) {
  const raw = b64(sodium, line.trim());
  if (raw.length !== 42 || raw[0] !== 0x45 || raw[1] !== 0x64) throw new ManifestError('MALFORMED', 'not an organisation key');
  const id = raw.subarray(2, 10);
  const pk = raw.slice(10);
  if (!equal(id, keyId(sodium, pk))) throw new ManifestError('MALFORMED', 'organisation key id does not match its key');
  return { id: raw.slice(2, 10), publicKey: pk };
}

// Day number (since 1970-01-01 UTC) of YYYY-MM-DD, or -1.
function dayOf(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return -1;
  const [y, mo, d] = [+m[1], +m[2], +m[3]];
  if (y < 1970 || mo < 1 || mo > 12 || d < 1) return -1;
  const t = Date.UTC(y, mo - 1, d);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return -1;
  return t / 86400000;
}

export function today() {
  return Math.floor(Date.now() / 86400000);
}

function parseText(sodium, text) {
  const lines = text.split('\n');
  if (lines.length < 6 || lines.pop() !== '') throw new ManifestError('MALFORMED', 'manifest lines');
  const head = /^malyava-manifest 1$/.test(lines[0]);
  const serial = /^serial ([1-9][0-9]{0,19})$/.exec(lines[1]);
  const issued = /^issued (\S+)$/.exec(lines[2]);
  const expires = /^expires (\S+)$/.exec(lines[3]);
  if (!head || !serial || !issued || !expires) throw new ManifestError('MALFORMED', 'manifest head');
  if (BigInt(serial[1]) > 0xffffffffffffffffn) throw new ManifestError('MALFORMED', 'serial');
  const di = dayOf(issued[1]);
  const de = dayOf(expires[1]);
  if (di < 0 || de < 0 || de < di || de > di + MAX_DAYS) throw new ManifestError('MALFORMED', 'manifest dates');
  const editors = [];
  for (const line of lines.slice(4)) {
    const m = /^editor ([0-9a-f]{16}) ([A-Za-z0-9+/]{43}=)$/.exec(line);
    if (!m) throw new ManifestError('MALFORMED', 'editor line');
    const pk = b64(sodium, m[2]);
    if (pk.length !== 32 || toHex(keyId(sodium, pk)) !== m[1]) throw new ManifestError('MALFORMED', 'editor key id');
    if (editors.length > 0 && editors[editors.length - 1].id >= m[1]) throw new ManifestError('MALFORMED', 'editors unsorted');
    editors.push({ id: m[1], publicKey: pk });
  }
  if (editors.length < 1 || editors.length > MAX_KEYS) throw new ManifestError('MALFORMED', 'editor count');
  return { serial: serial[1], issued: issued[1], expires: expires[1], issuedDay: di, expiresDay: de, editors };
}

// manifest and minisig are the files' texts; org is parseOrgKey's result.
export function verifyManifest(sodium, org, manifest, minisig, day = today()) {
  const bytes = utf8(manifest);
  if (bytes.length > MAX_MANIFEST_BYTES) throw new ManifestError('MALFORMED', 'manifest too long');
  const lines = minisig.split('\n');
  if (lines.length !== 5 || lines[4] !== '' || !lines[0].startsWith('untrusted comment: ') ||
      !lines[2].startsWith('trusted comment: ')) {
    throw new ManifestError('MALFORMED', 'signature lines');
  }
  const sigBlob = b64(sodium, lines[1]);
  const globalSig = b64(sodium, lines[3]);
  if (sigBlob.length !== 74 || sigBlob[0] !== 0x45 || sigBlob[1] !== 0x44 || globalSig.length !== 64) {
    throw new ManifestError('MALFORMED', 'signature shape (only prehashed ED signatures are read)');
  }
  if (!equal(sigBlob.subarray(2, 10), org.id)) throw new ManifestError('WRONG_KEY', 'signed by another key');
  const sig = sigBlob.slice(10);
  const prehash = sodium.crypto_generichash(64, bytes);
  const comment = lines[2].slice('trusted comment: '.length);
  if (!sodium.crypto_sign_verify_detached(sig, prehash, org.publicKey) ||
      !sodium.crypto_sign_verify_detached(globalSig, concat(sig, utf8(comment)), org.publicKey)) {
    throw new ManifestError('SIGNATURE', 'bad signature');
  }
  const m = parseText(sodium, manifest);
  if (comment !== `malyava-manifest serial=${m.serial} expires=${m.expires}`) {
    throw new ManifestError('SIGNATURE', 'trusted comment does not match the manifest');
  }
  if (day < m.issuedDay) throw new ManifestError('NOT_YET', 'manifest not valid yet');
  if (day > m.expiresDay) throw new ManifestError('EXPIRED', 'manifest expired');
  return m;
}

async function fetchText(path) {
  const r = await fetch(path, { cache: 'no-store', credentials: 'omit' });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return r.text();
}

// The manifest the server offers, checked with the organisation key the
// page carries — what the submit page seals to and the replies page
// checks replies against.
export async function currentManifest(sodium) {
  const org = parseOrgKey(sodium, document.querySelector('meta[name="malyava-org-pub"]').content);
  const [text, sig] = await Promise.all([fetchText('/manifest'), fetchText('/manifest.minisig')]);
  return verifyManifest(sodium, org, text, sig);
}
