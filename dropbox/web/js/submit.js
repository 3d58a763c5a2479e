// The submit page: the testimony and its files are sealed here, on the
// source's device, to the editors' keys of a manifest whose signature
// this page checks, then sent with tus in pieces that survive a dropped
// link. Nothing is stored in the browser: no cookies, no storage.
import { formatBytes, formatDuration, loadStrings, show, t } from './common.js';
import { loadSodium } from './crypto.js';
import * as codename from './codename.js';
import { toHex } from './bytes.js';
import { currentManifest } from './manifest.js';
import { digestOf, encodeRecord, fileSource, memorySource, PayloadSealer } from './payload.js';
import { imageKind, stripImage, StripError } from './strip.js';
import { TusUpload, UploadError } from './tus.js';
import { proofOfWork, startWorker, stopWorker } from './pow.js';
import { registerCodename } from './account.js';

const FIELDS = ['place', 'date', 'category', 'affected', 'contact'];
// Photos are cleaned in memory; a larger "photo" is sent as it is, and
// the page says so.
const MAX_STRIP_BYTES = 256 * 1024 * 1024;
const POW_TRIES = 3;

const $ = (id) => document.getElementById(id);
let sodium = null; // libsodium.js, once loaded
const chosen = []; // { file, kind: 'jpeg'|'png'|null, cleanable }
let words = null;

async function classify(file) {
  const kind = imageKind(new Uint8Array(await file.slice(0, 8).arrayBuffer()));
  let cleanable = false;
  if (kind && file.size <= MAX_STRIP_BYTES) {
    try {
      stripImage(new Uint8Array(await file.arrayBuffer()));
      cleanable = true;
    } catch (e) {
      if (!(e instanceof StripError)) throw e;
    }
  }
  return { file, kind, cleanable };
}

function fileNote(f) {
  if (!f.kind) return t('file_as_is');
  if ($('keep-location').checked) return t('file_kept');
  return f.cleanable ? t('file_cleaned') : t('file_not_cleaned');
}

function renderFiles() {
  const list = $('file-list');
  list.textContent = '';
  if (chosen.length === 0) {
    const li = document.createElement('li');
    li.className = 'hint';
    li.textContent = t('files_none');
    list.append(li);
    return;
  }
  chosen.forEach((f, i) => {
    const li = document.createElement('li');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = f.file.name;
    const info = document.createElement('span');
    info.className = f.kind && !f.cleanable && !$('keep-location').checked ? 'note bad' : 'note';
    info.textContent = `${formatBytes(f.file.size)} · ${fileNote(f)}`;
    const rm = document.createElement('button');
    rm.type = 'button';
    rm.className = 'small';
    rm.textContent = t('remove');
    rm.setAttribute('aria-label', `${t('remove')}: ${f.file.name}`);
    rm.addEventListener('click', () => {
      chosen.splice(i, 1);
      renderFiles();
    });
    li.append(name, info, rm);
    list.append(li);
  });
}

function fail(text) {
  const e = $('error');
  e.textContent = text;
  show(e);
}

function status(text) {
  $('status').textContent = text;
}

async function editorsKeys() {
  return (await currentManifest(sodium)).editors;
}

// Files as they will be sealed: cleaned copies of photos (unless the
// source keeps their metadata), the originals otherwise.
async function prepareFiles(keep) {
  const out = [];
  for (const f of chosen) {
    let source = fileSource(f.file);
    let metadata = 'none';
    if (f.kind && keep) {
      metadata = 'kept';
    } else if (f.kind && f.cleanable) {
      try {
        source = memorySource(stripImage(new Uint8Array(await f.file.arrayBuffer())));
        metadata = 'stripped';
      } catch (e) {
        throw new Error(t('err_file', { name: f.file.name }));
      }
    }
    out.push({ name: f.file.name, type: f.file.type, source, metadata });
  }
  return out;
}

function progressMeter(length) {
  const samples = [];
  return ({ offset }) => {
    const now = performance.now();
    samples.push([now, offset]);
    while (samples.length > 2 && now - samples[0][0] > 20000) samples.shift();
    const [t0, o0] = samples[0];
    const speed = now > t0 ? ((offset - o0) * 1000) / (now - t0) : 0;
    $('bar').value = length ? offset / length : 1;
    $('progress-text').textContent = t('st_progress', {
      done: formatBytes(offset), total: formatBytes(length), speed: formatBytes(speed),
      left: formatDuration(speed > 0 ? (length - offset) / speed : Infinity),
    });
  };
}

async function upload(record, files, editors) {
  const sources = files.map((f) => f.source);
  const digests = files.map((f) => f.blake2b);
  for (let attempt = 1; ; attempt++) {
    // A fresh file key and stream for every attempt: a sealed envelope's
    // bytes cannot be made twice. Its length is known before a byte is
    // sealed, and the proof of work is for that length.
    const sealer = new PayloadSealer(sodium, editors, record, sources, digests);
    status(t('st_pow'));
    const answer = await proofOfWork(sodium, sealer.length);
    status(t('st_upload'));
    const meter = progressMeter(sealer.length);
    const tus = new TusUpload({
      length: sealer.length, pow: answer, onProgress: meter,
      onState: (s) => status(s === 'sending' ? t('st_upload') : t(s === 'waiting' ? 'st_waiting' : 'st_unreachable')),
    });
    try {
      await tus.create();
    } catch (e) {
      if (e instanceof UploadError && e.code === 'POW' && attempt < POW_TRIES) continue;
      throw e;
    }
    meter({ offset: 0 });
    const mine = await sealer.run((bytes) => tus.write(bytes));
    const theirs = await tus.finish();
    return { mine, theirs };
  }
}

async function send() {
  const form = $('testimony');
  show(form, false);
  show($('step-progress'));
  show($('error'), false);
  let keys = null;
  try {
    status(t('st_keys'));
    let editors;
    try {
      editors = await editorsKeys();
    } catch (e) {
      throw new Error(t('err_manifest'), { cause: 'manifest' });
    }
    status(t('st_prepare'));
    const files = await prepareFiles($('keep-location').checked);
    // The first of two reads: a gigabyte takes a while, so show it.
    const total = files.reduce((n, f) => n + f.source.length, 0);
    let hashed = 0;
    for (const f of files) {
      f.length = f.source.length;
      f.blake2b = await digestOf(sodium, f.source, (n) => {
        hashed += n;
        $('bar').value = total > 0 ? hashed / total : 1;
      });
    }
    if (words) keys = codename.derive(sodium, words);
    const fields = {};
    for (const name of FIELDS) fields[name] = form.elements[name].value.trim();
    let record;
    try {
      record = encodeRecord({ message: form.elements.message.value, fields, files, replyKey: keys ? toHex(keys.publicKey) : null });
    } catch (e) {
      throw new Error(e.code === 'TOO_MANY_FILES' ? t('err_too_many_files') : t('err_too_big'));
    }
    const { mine, theirs } = await upload(record, files, editors);
    if (theirs !== mine) throw new Error(`receipt ${theirs} ≠ ${mine}`);
    if (keys) {
      status(t('st_register'));
      const ok = await registerCodename(sodium, keys).then(() => true, () => false);
      show($('register-failed'), !ok);
    }
    form.reset();
    chosen.length = 0;
    stopWorker();
    $('receipt').textContent = mine;
    show($('step-progress'), false);
    show($('step-done'));
    $('done-title').focus();
  } catch (e) {
    show($('step-progress'), false);
    if (e instanceof UploadError && e.code === 'EXPIRED') fail(t('err_expired'));
    else if (e instanceof UploadError) fail(t('err_refused', { reason: e.message.trim() }));
    else if (e.cause === 'manifest') fail(e.message);
    else fail(t('err_generic', { reason: e.message }));
    show(form);
    show($('step-write'));
    show($('step-codename'), false);
  } finally {
    if (keys) {
      sodium.memzero(keys.secretKey);
      sodium.memzero(keys.token);
    }
    words = null;
    $('codename').textContent = '';
  }
}

async function main() {
  // The form works while libsodium loads (slowly where WebAssembly is
  // off); only sending waits for it.
  const loading = loadSodium().then((s) => {
    sodium = s;
    // After the page's own copy, so the two downloads do not compete.
    if (typeof WebAssembly === 'object') startWorker();
  });
  loadStrings();
  renderFiles();
  $('files').addEventListener('change', async (ev) => {
    for (const file of ev.target.files) chosen.push(await classify(file));
    ev.target.value = '';
    renderFiles();
  });
  $('keep-location').addEventListener('change', renderFiles);
  $('to-codename').addEventListener('click', () => {
    words = codename.generate();
    $('codename').textContent = words;
    $('codename-ok').checked = false;
    $('no-reply').checked = false;
    $('send').disabled = true;
    show($('step-write'), false);
    show($('step-codename'));
    $('codename-title').focus();
  });
  const ready = () => {
    $('send').disabled = !($('codename-ok').checked || $('no-reply').checked);
  };
  $('codename-ok').addEventListener('change', ready);
  $('no-reply').addEventListener('change', ready);
  $('back').addEventListener('click', () => {
    show($('step-codename'), false);
    show($('step-write'));
  });
  $('testimony').addEventListener('submit', (ev) => {
    ev.preventDefault();
    // A filled honeypot is a robot's: it gets nothing, not even an error.
    if ($('website').value !== '') return;
    if ($('no-reply').checked) words = null;
    show($('testimony'), false);
    show($('step-progress'));
    status(t('st_keys'));
    loading.then(send, (e) => fail(t('err_generic', { reason: e.message })));
  });
}

main().catch((e) => fail(t('err_generic', { reason: e.message })));
