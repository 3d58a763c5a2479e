// One testimony: its text, fields and files with what their metadata may
// reveal, its receipt and keys, its triage and history; reply, extract,
// and a cleaned preview of a photo when the editor asks for one; for a
// testimony no key opens, deleting it.
import * as api from './api.js';
import { date, t } from './i18n.js';
import { bytes, el, show } from './text.js';
import { explain, toast, route, session } from './app.js';
import { STATUSES } from './inbox.js';
import { outcome } from './work.js';

function section(titleKey, ...children) {
  return el('section', { class: 'part' }, el('h2', {}, t(titleKey)), ...children);
}

function facts(pairs) {
  const dl = el('dl', { class: 'facts' });
  for (const [k, v] of pairs) dl.append(el('dt', {}, k), el('dd', {}, v));
  return dl;
}

async function change(id, action, value) {
  try {
    await api.post('/api/triage', { ids: [id], action, value });
    toast(t('triage.saved'));
    route();
  } catch (e) {
    toast(explain(e));
  }
}

function triage(x) {
  const status = el('select', { id: 't-status' });
  for (const s of STATUSES) status.append(el('option', { value: s, selected: s === x.status }, t(`status.${s}`)));
  const who = el('input', { id: 't-assign', value: x.assignee ?? '', maxlength: 64 });
  const tag = el('input', { id: 't-tag', maxlength: 200 });
  const note = el('textarea', { id: 't-note', rows: 3, maxlength: 16000 });
  const tags = el('p', { class: 'tags' });
  for (const tg of x.tags) {
    tags.append(el('span', { class: 'tag' }, show(tg),
      el('button', { type: 'button', class: 'x', 'aria-label': t('triage.untag'), onclick: () => change(x.id, 'untag', tg) }, '×')), ' ');
  }
  return section('triage.title',
    el('div', { class: 'row' },
      el('label', { for: 't-status' }, t('triage.status')), status,
      el('button', { type: 'button', onclick: () => change(x.id, 'status', status.value) }, t('triage.set'))),
    el('div', { class: 'row' },
      el('label', { for: 't-assign' }, t('triage.assignee')), who,
      el('button', { type: 'button', onclick: () => change(x.id, 'assign', who.value) }, t('triage.assign'))),
    tags,
    el('div', { class: 'row' },
      el('label', { for: 't-tag' }, t('triage.tag')), tag,
      el('button', { type: 'button', onclick: () => tag.value && change(x.id, 'tag', tag.value) }, t('triage.tag-add'))),
    el('div', { class: 'row' },
      el('label', { for: 't-note' }, t('triage.note')), note,
      el('button', { type: 'button', onclick: () => note.value && change(x.id, 'note', note.value) }, t('triage.note-add'))));
}

function previewButton(x, f, cell) {
  return el('button', {
    type: 'button',
    class: 'quiet',
    onclick: (e) => {
      e.target.remove();
      cell.append(el('img', { class: 'preview', src: `/api/preview?id=${x.id}&file=${f.index}`, alt: t('files.preview-alt') }));
    },
  }, t('files.preview'));
}

function files(x) {
  if (!x.files.length) return section('files.title', el('p', {}, t('files.none')));
  const body = el('tbody');
  for (const f of x.files) {
    const cell = el('td', {});
    if (f.preview) cell.append(previewButton(x, f, cell));
    body.append(el('tr', {},
      el('td', {}, show(f.name)),
      el('td', {}, f.media_type === null ? '' : show(f.media_type)),
      el('td', { class: 'num' }, bytes(f.length, t)),
      el('td', { class: `meta meta-${f.meta}` }, t(`files.meta-${f.meta}`)),
      el('td', { class: 'digest', title: f.digest }, `${f.digest.slice(0, 16)}…`),
      cell));
  }
  return section('files.title',
    el('table', { class: 'files' },
      el('thead', {}, el('tr', {}, ...['files.name', 'files.type', 'files.size', 'files.metadata', 'files.digest', 'files.look']
        .map((k) => el('th', { scope: 'col' }, t(k))))),
      body),
    el('p', { class: 'note' }, t('files.never-opened')));
}

function reply(x) {
  if (!x.reply_possible) return section('reply.title', el('p', {}, t('reply.impossible')));
  const text = el('textarea', { id: 'reply-text', rows: 4, maxlength: 65536 });
  const result = el('div', { class: 'result' });
  return section('reply.title',
    el('label', { for: 'reply-text' }, t('reply.label')), text,
    el('button', {
      type: 'button',
      onclick: async () => {
        if (!text.value) return;
        try {
          const res = await api.post('/api/reply', { id: x.id, text: text.value });
          result.replaceChildren(outcome(res, 'reply'));
          if (res.status === 0) text.value = '';
        } catch (e) {
          result.replaceChildren(el('p', { class: 'error' }, explain(e)));
        }
      },
    }, t('reply.send')),
    el('p', { class: 'note' }, t('reply.note')),
    result);
}

function extract(x) {
  const dir = el('input', { id: 'x-dir', value: session.state?.home ? `${session.state.home}/malyava-extract/${x.id}` : '' });
  const strip = el('input', { id: 'x-strip', type: 'checkbox', checked: true });
  const result = el('div', { class: 'result' });
  return section('extract.title',
    el('p', {}, t('extract.what')),
    el('div', { class: 'row' }, el('label', { for: 'x-dir' }, t('extract.folder')), dir),
    el('div', { class: 'row check' }, strip, el('label', { for: 'x-strip' }, t('extract.strip'))),
    el('button', {
      type: 'button',
      onclick: async () => {
        try {
          result.replaceChildren(outcome(await api.post('/api/extract', { id: x.id, path: dir.value, strip: strip.checked }), 'extract'));
        } catch (e) {
          result.replaceChildren(el('p', { class: 'error' }, explain(e)));
        }
      },
    }, t('extract.button')),
    el('p', { class: 'note' }, t('extract.note')),
    result);
}

// A testimony no key of the vault opens can be deleted; the vault refuses
// any that opens, and the deletion stays in its history.
function remove(x) {
  const result = el('div', { class: 'result' });
  return section('t.delete-title',
    el('p', {}, t('t.delete-what')),
    el('button', {
      type: 'button',
      class: 'danger',
      onclick: async (e) => {
        if (!window.confirm(t('t.delete-confirm', { id: x.id }))) return;
        e.target.disabled = true;
        try {
          const res = await api.post('/api/delete', { ids: [x.id] });
          if (res.status === 0) {
            toast(t('delete.ok'));
            window.location.hash = '#/inbox';
            return;
          }
          result.replaceChildren(outcome(res, 'delete'));
        } catch (err) {
          result.replaceChildren(el('p', { class: 'error' }, explain(err)));
        }
        e.target.disabled = false;
      },
    }, t('t.delete')),
    result);
}

function history(x) {
  const list = el('ol', { class: 'history' });
  for (const h of x.history) {
    list.append(el('li', {}, el('span', { class: 'day' }, date(h.day)), ' ', show(h.by ?? ''), ' ',
      el('span', { class: 'kind' }, t(`kind.${h.kind}`)), ' ', show(h.value ?? '', h.kind === 'note' || h.kind === 'reply')));
  }
  return section('history.title', x.history.length ? list : el('p', {}, t('history.none')));
}

export async function testimonyView(main, id) {
  const x = await api.get('/api/testimony', { id });
  const head = facts([
    [t('t.received'), el('span', {}, date(x.received), ' ', el('small', {}, t('t.received-note')))],
    [t('t.imported'), date(x.imported)],
    [t('t.receipt'), el('code', {}, x.receipt)],
    [t('t.size'), bytes(x.size, t)],
    [t('t.sealed-to'), x.sealed_to.join(', ')],
    [t('t.status'), t(`status.${x.status}`)],
    [t('t.assignee'), x.assignee === null ? '—' : show(x.assignee)],
  ]);
  const parts = [el('p', {}, el('a', { href: '#/inbox' }, t('t.back'))), el('h1', {}, t('t.title', { id: x.id })), head];
  if (x.server_sealed) parts.push(el('p', { class: 'warning' }, t('t.server-sealed')));
  if (!x.readable) {
    parts.push(el('p', { class: 'warning' }, t('t.unreadable')), el('p', {}, show(x.problem ?? '')));
    if (session.state?.features?.includes('delete')) parts.push(remove(x));
    parts.push(history(x));
    main.replaceChildren(...parts);
    return;
  }
  const fields = facts(x.fields.map((f) => [show(f.name), show(f.value)]));
  parts.push(
    section('t.message', x.message === null ? el('p', {}, t('t.no-message')) : show(x.message, true)),
    section('t.fields', x.fields.length ? fields : el('p', {}, t('t.no-fields'))),
    files(x), triage(x), reply(x), extract(x), history(x));
  main.replaceChildren(...parts);
}
