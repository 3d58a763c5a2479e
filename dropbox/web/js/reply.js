// A reply (docs/FORMAT.md §4.5): a proof that an editor key of the signed
// manifest made it, then an envelope sealed to the source's reply key.
// The reply key is public — whoever holds the server can seal to it — so
// a reply is shown only once its proof holds, checked in the order of
// lib/reply.c: the proof opens with the reply key, names an editor key the
// manifest lists, and its digest binds this very envelope.
import { concat, equal, toHex, utf8 } from './bytes.js';
import { openEnvelope } from './envelope.js';
import { keyId } from './manifest.js';
import { parsePayload } from './payload.js';

const MAGIC = utf8('MLVREPLY');
const ENVELOPE_MAGIC = utf8('MALYAVA');
const VERSION = 2;
const PROOF_BYTES = 128;
export const PREFIX_BYTES = MAGIC.length + 1 + PROOF_BYTES;
const DIGEST_KEY = utf8('malyava reply v2');

export class ReplyError extends Error {
  constructor(code, message) {
    super(message);
    // MALFORMED, VERSION, UNPROVEN, NOT_FOR_ME, UNLISTED, FORGED, ENVELOPE
    this.code = code;
  }
}

const startsWith = (bytes, prefix) => bytes.length >= prefix.length && equal(bytes.subarray(0, prefix.length), prefix);

// BLAKE2b-256, keyed "malyava reply v2", of editor id ‖ reply key id ‖ envelope.
export function replyDigest(sodium, editorId, replyKeyId, envelope) {
  return sodium.crypto_generichash(32, concat(editorId, replyKeyId, envelope), DIGEST_KEY);
}

// keyPair: the codename's reply keys; editors: verifyManifest(...).editors.
// Returns { editorId, record, files } or throws a ReplyError.
export function openReply(sodium, bytes, keyPair, editors) {
  if (startsWith(bytes, ENVELOPE_MAGIC)) throw new ReplyError('UNPROVEN', 'a bare envelope, without proof of origin');
  if (bytes.length <= PREFIX_BYTES || !startsWith(bytes, MAGIC)) throw new ReplyError('MALFORMED', 'not a reply');
  if (bytes[MAGIC.length] !== VERSION) throw new ReplyError('VERSION', 'unknown reply version');
  const env = bytes.subarray(PREFIX_BYTES);
  if (!startsWith(env, ENVELOPE_MAGIC) || env.length < 18 || env[9] !== 1) throw new ReplyError('MALFORMED', 'not one envelope to one key');
  let claim;
  try {
    claim = sodium.crypto_box_seal_open(bytes.subarray(MAGIC.length + 1, PREFIX_BYTES), keyPair.publicKey, keyPair.secretKey);
  } catch {
    throw new ReplyError('NOT_FOR_ME', 'not a reply to this codename');
  }
  const editorId = claim.subarray(0, 8);
  const editor = editors.find((e) => e.id === toHex(editorId));
  if (!editor) throw new ReplyError('UNLISTED', `editor key ${toHex(editorId)} is not in the manifest`);
  let digest;
  try {
    digest = sodium.crypto_box_open_easy(claim.subarray(32), claim.subarray(8, 32), editor.publicKey, keyPair.secretKey);
  } catch {
    throw new ReplyError('FORGED', 'the proof does not hold');
  }
  if (!sodium.memcmp(digest, replyDigest(sodium, editorId, keyId(sodium, keyPair.publicKey), env))) {
    throw new ReplyError('FORGED', 'the proof is for another envelope');
  }
  try {
    const { plaintext } = openEnvelope(sodium, env, keyPair);
    return { editorId: toHex(editorId), ...parsePayload(sodium, plaintext) };
  } catch (e) {
    throw new ReplyError('ENVELOPE', e.message);
  }
}
