// Import a bundle from a folder (the USB stick), carry replies out, and
// say what a command run for the page did.
import * as api from './api.js';
import { t } from './i18n.js';
import { bytes, el, show } from './text.js';
import { explain } from './app.js';

let lastFolder = '';

// What a verb run for the page did: a sentence in the page's language,
// then what the command printed, as text.
export function outcome(res, what) {
  const ok = res.status === 0;
  const box = el('div', { class: ok ? 'outcome ok' : 'outcome failed', role: 'status' });
  if (what === 'import' && res.counts) {
    box.append(el('p', {}, t('import.counts', res.counts)));
    if (res.counts.added + res.counts.present > 0) box.append(el('p', {}, t('import.ack', { path: '' }), show(res.ack)));
  } else {
    box.append(el('p', {}, t(ok ? `${what}.ok` : `${what}.failed`)));
  }
  const details = [res.out, res.err].filter((s) => s);
  if (details.length) {
    box.append(el('details', { open: !ok }, el('summary', {}, t('outcome.details')),
      el('pre', { class: 'output' }, show(details.join('\n'), true))));
  }
  return box;
}

// Only the newest listing is shown: the first one (of the last folder) can
// come back after the editor has already opened another.
let listing = 0;
// "Take it even from another drop-box": unticked again after each import.
let acceptBox = null;

async function folder(path, list, pathInput, result) {
  const mine = ++listing;
  let res;
  try {
    res = await api.get('/api/folder', { path });
  } catch (e) {
    if (mine === listing) list.replaceChildren(el('p', { class: 'error' }, explain(e)));
    return;
  }
  if (mine !== listing) return;
  lastFolder = res.path;
  pathInput.value = res.path;
  const go = (p) => folder(p, list, pathInput, result);
  const up = res.path.replace(/\/[^/]+\/?$/, '') || '/';
  const places = el('p', { class: 'places' }, t('import.places'), ' ');
  for (const p of res.places) places.append(el('button', { type: 'button', class: 'quiet', onclick: () => go(p) }, show(p)), ' ');
  const dirs = el('ul', { class: 'dirs' });
  if (res.path !== '/') dirs.append(el('li', {}, el('button', { type: 'button', class: 'quiet', onclick: () => go(up) }, t('import.up'))));
  for (const d of res.dirs) {
    const sub = `${res.path.replace(/\/$/, '')}/${d.name}`;
    dirs.append(el('li', {}, el('button', { type: 'button', class: 'quiet', onclick: () => go(sub) }, '📁 ', show(d.name))));
  }
  const files = el('ul', { class: 'bundles' });
  for (const f of res.files) {
    const full = `${res.path.replace(/\/$/, '')}/${f.name}`;
    files.append(el('li', {}, show(f.name), ` ${bytes(f.size, t)} `, f.acked ? el('span', { class: 'tag' }, t('import.acked')) : '',
      el('button', {
        type: 'button',
        onclick: async (e) => {
          e.target.disabled = true;
          result.replaceChildren(el('p', {}, t('import.working')));
          try {
            const accept = Boolean(acceptBox?.checked);
            result.replaceChildren(outcome(await api.post('/api/import', { path: full, accept_dropbox: accept }), 'import'));
            if (acceptBox) acceptBox.checked = false;
          } catch (err) {
            result.replaceChildren(el('p', { class: 'error' }, explain(err)));
          }
          e.target.disabled = false;
        },
      }, t('import.button'))));
  }
  list.replaceChildren(places, dirs,
    res.files.length ? files : el('p', {}, t('import.no-bundles')),
    res.hidden ? el('p', { class: 'note' }, t('import.hidden', { n: res.hidden })) : '');
}

export async function importView(main) {
  const pathInput = el('input', { id: 'folder', value: lastFolder, placeholder: '/media/usb' });
  acceptBox = el('input', { id: 'accept-dropbox', type: 'checkbox' });
  const list = el('div', { class: 'folder' });
  const result = el('div', { class: 'result' });
  main.replaceChildren(
    el('h1', {}, t('import.title')),
    el('p', {}, t('import.what')),
    el('form', { class: 'row', onsubmit: (e) => { e.preventDefault(); folder(pathInput.value, list, pathInput, result); } },
      el('label', { for: 'folder' }, t('import.folder')), pathInput, el('button', { type: 'submit' }, t('import.open'))),
    list,
    el('div', { class: 'row check' }, acceptBox, el('label', { for: 'accept-dropbox' }, t('import.accept'))),
    result,
    el('p', { class: 'note' }, t('import.note')),
    el('p', { class: 'note' }, t('import.dropbox')));
  await folder(lastFolder, list, pathInput, result);
}

export async function repliesView(main) {
  const state = await api.get('/api/replies');
  const today = new Date().toISOString().slice(0, 10);
  const out = el('input', { id: 'replies-out', value: `${lastFolder || '/media/usb'}/replies-${today}.sqlite` });
  const result = el('div', { class: 'result' });
  const waiting = el('p', { id: 'waiting' }, t('replies.waiting', { n: state.waiting }));
  main.replaceChildren(
    el('h1', {}, t('replies.title')),
    waiting,
    el('form', {
      class: 'row',
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const res = await api.post('/api/export-replies', { path: out.value });
          result.replaceChildren(outcome(res, 'replies'));
          waiting.textContent = t('replies.waiting', { n: res.waiting });
        } catch (err) {
          result.replaceChildren(el('p', { class: 'error' }, explain(err)));
        }
      },
    }, el('label', { for: 'replies-out' }, t('replies.file')), out, el('button', { type: 'submit' }, t('replies.button'))),
    result,
    el('p', { class: 'note' }, t('replies.note')));
}
