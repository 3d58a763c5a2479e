// Coming back: the codename is turned into the reply key pair and login
// token on this device; the page registers them again (for a proof of
// work: an account no reply waits for does not last), then the server
// answers with envelopes sealed to the reply key, opened here. The words
// never leave the page.
import { loadStrings, show, t } from './common.js';
import { loadSodium } from './crypto.js';
import * as codename from './codename.js';
import { toHex } from './bytes.js';
import { openEnvelope, splitReplies } from './envelope.js';
import { parsePayload } from './payload.js';
import { registerCodename } from './account.js';
import { startWorker } from './pow.js';

const $ = (id) => document.getElementById(id);
let sodium = null; // libsodium.js, once loaded

function status(text) {
  $('status').textContent = text;
}

function render(replies) {
  const box = $('replies');
  box.textContent = '';
  replies.forEach((r, i) => {
    const art = document.createElement('article');
    art.className = 'reply';
    const h = document.createElement('h2');
    h.textContent = `${t('replies_reply')} ${i + 1}`;
    const p = document.createElement('p');
    p.className = 'message';
    p.textContent = r.record.message ?? '';
    art.append(h, p);
    for (const f of r.files) {
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([f.bytes], { type: 'application/octet-stream' }));
      a.download = f.info.name;
      a.className = 'button';
      a.textContent = `${t('replies_attachment')}: ${f.info.name}`;
      art.append(a);
    }
    box.append(art);
  });
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
    const r = await fetch('/api/v1/replies/fetch', { method: 'POST', body: `${toHex(keys.token)}\n`, cache: 'no-store', credentials: 'omit' });
    if (r.status === 204) return status(t('replies_none'));
    if (r.status !== 200) throw new Error((await r.text()).trim() || String(r.status));
    const pair = { publicKey: keys.publicKey, secretKey: keys.secretKey };
    const replies = splitReplies(new Uint8Array(await r.arrayBuffer())).map((env) =>
      parsePayload(sodium, openEnvelope(sodium, env, pair).plaintext));
    status(t('replies_count', { n: replies.length }));
    render(replies);
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
