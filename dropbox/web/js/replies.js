// Coming back: the codename is turned into the reply key pair and login
// token on this device; the page registers them again (for a proof of
// work: an account no reply waits for does not last), then the server
// answers with replies sealed to the reply key, opened here. The words
// never leave the page. The reply key is public, so whoever holds the
// server can seal text to it: a reply is shown only with its proof that an
// editor key of the manifest made it (docs/FORMAT.md §4.5), the manifest
// checked with the organisation key this page carries. Anything else is
// named and not shown.
import { loadStrings, show, t } from './common.js';
import { loadSodium } from './crypto.js';
import * as codename from './codename.js';
import { toHex } from './bytes.js';
import { splitReplies } from './envelope.js';
import { currentManifest } from './manifest.js';
import { openReply, ReplyError } from './reply.js';
import { registerCodename } from './account.js';
import { startWorker } from './pow.js';

const $ = (id) => document.getElementById(id);
let sodium = null; // libsodium.js, once loaded

function status(text) {
  $('status').textContent = text;
}

// Words for a source who may be frightened: why a message is not shown.
function hidden(art, code) {
  art.classList.add('refused');
  const h = document.createElement('h2');
  h.textContent = t('replies_hidden_title');
  const why = document.createElement('p');
  if (code === 'NOT_FOR_ME') why.textContent = t('replies_hidden_not_yours');
  else if (code === 'UNLISTED') why.textContent = t('replies_hidden_retired');
  else why.textContent = t('replies_hidden_unproven');
  const advice = document.createElement('p');
  advice.className = 'advice';
  advice.textContent = t('replies_hidden_advice');
  art.append(h, why, advice);
}

function render(replies) {
  const box = $('replies');
  box.textContent = '';
  let n = 0;
  for (const r of replies) {
    const art = document.createElement('article');
    art.className = 'reply';
    box.append(art);
    if (r.refused) {
      hidden(art, r.refused);
      continue;
    }
    const h = document.createElement('h2');
    h.textContent = `${t('replies_reply')} ${++n}`;
    const proven = document.createElement('p');
    proven.className = 'proven';
    proven.textContent = t('replies_proven');
    const p = document.createElement('p');
    p.className = 'message';
    p.textContent = r.record.message ?? '';
    art.append(h, proven, p);
    for (const f of r.files) {
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([f.bytes], { type: 'application/octet-stream' }));
      a.download = f.info.name;
      a.className = 'button';
      a.textContent = `${t('replies_attachment')}: ${f.info.name}`;
      art.append(a);
    }
  }
  return n;
}

// One reply opened, or why it is not shown.
function openOne(env, pair, editors) {
  try {
    return openReply(sodium, env, pair, editors);
  } catch (e) {
    if (e instanceof ReplyError) return { refused: e.code };
    throw e;
  }
}

async function lookUp(input) {
  let keys;
  try {
    keys = codename.derive(sodium, input.value);
  } catch (e) {
    status(e.position ? t('replies_bad_word', { n: e.position }) : t('replies_bad_count'));
    return;
  }
  // Off the screen as soon as it has been read correctly.
  input.value = '';
  try {
    status(t('st_pow'));
    await registerCodename(sodium, keys);
    status(t('replies_wait'));
    let editors;
    try {
      editors = (await currentManifest(sodium)).editors;
    } catch {
      return status(t('replies_manifest_bad'));
    }
    const r = await fetch('/api/v1/replies/fetch', { method: 'POST', body: `${toHex(keys.token)}\n`, cache: 'no-store', credentials: 'omit' });
    if (r.status === 204) return status(t('replies_none'));
    if (r.status !== 200) throw new Error((await r.text()).trim() || String(r.status));
    const pair = { publicKey: keys.publicKey, secretKey: keys.secretKey };
    const replies = splitReplies(new Uint8Array(await r.arrayBuffer())).map((env) => openOne(env, pair, editors));
    const shown = render(replies);
    const refused = replies.length - shown;
    status(t('replies_count', { n: shown }) + (refused > 0 ? ` ${t('replies_hidden_count', { n: refused })}` : ''));
  } catch (e) {
    status(t('replies_error', { reason: e.message }));
  } finally {
    sodium.memzero(keys.secretKey);
    sodium.memzero(keys.token);
  }
}

async function main() {
  const loading = loadSodium().then((s) => {
    sodium = s;
    // After the page's own copy, so the two downloads do not compete.
    if (typeof WebAssembly === 'object') startWorker();
  });
  loadStrings();
  $('come-back').addEventListener('submit', (ev) => {
    ev.preventDefault();
    $('replies').textContent = '';
    status(t('replies_wait'));
    loading.then(() => lookUp($('codename-input')), (e) => status(t('replies_error', { reason: e.message })));
  });
  show($('come-back'));
}

main().catch((e) => status(t('replies_error', { reason: e.message })));
