// The inbox: filters like `malyava list`, instant search as you type,
// counts, sorting, and triage of many testimonies at once.
import * as api from './api.js';
import { date, t } from './i18n.js';
import { bytes, clear, el, show } from './text.js';
import { explain, toast } from './app.js';

export const STATUSES = ['new', 'in-review', 'verified', 'rejected', 'published', 'follow-up'];
const PAGE = 100;
// Search waits for a pause in typing this long before asking.
const TYPING_MS = 120;

// Kept between visits, so a testimony opened from the inbox comes back to
// the same list.
const filters = { q: '', status: '', tag: '', assignee: '', sealed_to: '', since: '', until: '', field: '', sort: 'id', reverse: false };
const selected = new Set();
let asked = 0;
let keyNames = null;

function query(offset) {
  return { ...filters, offset, limit: PAGE, reverse: filters.reverse };
}

function statusLabel(s) {
  return t(`status.${s}`);
}

function labelled(id, key, control) {
  return el('div', { class: 'field' }, el('label', { for: id }, t(key)), control);
}

function select(id, options, value, onchange) {
  const s = el('select', { id, onchange });
  for (const [v, label] of options) s.append(el('option', { value: v, selected: v === value }, label));
  return s;
}

function row(r, refreshSelection) {
  const box = el('input', { type: 'checkbox', class: 'pick', 'aria-label': t('inbox.select', { id: r.id }), checked: selected.has(r.id) });
  box.addEventListener('change', () => {
    if (box.checked) selected.add(r.id);
    else selected.delete(r.id);
    refreshSelection();
  });
  const tags = el('td', { class: 'tags' });
  for (const tag of r.tags) tags.append(el('span', { class: 'tag' }, show(tag)));
  const summary = el('td', { class: 'summary' });
  if (!r.readable) summary.append(el('em', {}, t('inbox.unreadable')));
  else summary.append(el('a', { href: `#/t/${r.id}` }, r.summary === null ? t('inbox.no-message') : show(r.summary)), r.cut ? '…' : '');
  return el('tr', { 'data-id': r.id },
    el('td', {}, box),
    el('td', { class: 'num' }, el('a', { href: `#/t/${r.id}` }, String(r.id))),
    el('td', {}, date(r.received)),
    el('td', {}, el('span', { class: `status status-${r.status}` }, statusLabel(r.status))),
    el('td', {}, r.assignee === null ? '' : show(r.assignee)),
    tags,
    el('td', { class: 'num' }, String(r.files)),
    el('td', { class: 'num' }, bytes(r.size, t)),
    el('td', {}, r.place === null ? '' : show(r.place)),
    summary);
}

async function batch(action, value, after) {
  if (!selected.size) return;
  try {
    const res = await api.post('/api/triage', { ids: [...selected], action, value });
    toast(t('batch.done', { n: res.changed }));
    after();
  } catch (e) {
    toast(explain(e));
  }
}

function batchBar(reload) {
  const count = el('span', { class: 'count' });
  const status = select('b-status', STATUSES.map((s) => [s, statusLabel(s)]), 'in-review');
  const tag = el('input', { id: 'b-tag', maxlength: 200 });
  const who = el('input', { id: 'b-assign', maxlength: 64 });
  const note = el('input', { id: 'b-note', maxlength: 4000 });
  const bar = el('div', { class: 'batch', hidden: true, role: 'region', 'aria-label': t('batch.title') },
    count,
    labelled('b-status', 'batch.status', status),
    el('button', { type: 'button', onclick: () => batch('status', status.value, reload) }, t('batch.apply')),
    labelled('b-tag', 'batch.tag', tag),
    el('button', { type: 'button', onclick: () => tag.value && batch('tag', tag.value, reload) }, t('batch.tag-add')),
    el('button', { type: 'button', onclick: () => tag.value && batch('untag', tag.value, reload) }, t('batch.tag-remove')),
    labelled('b-assign', 'batch.assign', who),
    el('button', { type: 'button', onclick: () => batch('assign', who.value, reload) }, t('batch.assign-button')),
    labelled('b-note', 'batch.note', note),
    el('button', { type: 'button', onclick: () => note.value && batch('note', note.value, reload) }, t('batch.note-button')),
    el('button', { type: 'button', class: 'quiet', onclick: () => { selected.clear(); reload(); } }, t('batch.clear')));
  bar.update = () => {
    bar.hidden = selected.size === 0;
    count.textContent = t('batch.selected', { n: selected.size });
  };
  return bar;
}

function filterBar(reload, state) {
  const bar = el('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() });
  const set = (key) => (e) => {
    filters[key] = e.target.type === 'checkbox' ? e.target.checked : e.target.value;
    reload();
  };
  const q = el('input', { id: 'q', type: 'search', value: filters.q, autocomplete: 'off', placeholder: t('inbox.search-hint') });
  let timer = null;
  q.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => { filters.q = q.value; reload(); }, TYPING_MS);
  });
  const tagList = el('datalist', { id: 'tags-list' });
  for (const tag of state.tags) tagList.append(el('option', { value: tag }));
  const whoList = el('datalist', { id: 'assignee-list' });
  for (const who of state.assignees) whoList.append(el('option', { value: who }));
  bar.append(
    labelled('q', 'inbox.search', q),
    labelled('f-status', 'inbox.status', select('f-status', [['', t('inbox.any')], ...STATUSES.map((s) => [s, statusLabel(s)])], filters.status, set('status'))),
    labelled('f-tag', 'inbox.tag', el('input', { id: 'f-tag', list: 'tags-list', value: filters.tag, onchange: set('tag') })),
    labelled('f-assignee', 'inbox.assignee', el('input', { id: 'f-assignee', list: 'assignee-list', value: filters.assignee, placeholder: t('inbox.nobody-hint'), onchange: set('assignee') })),
    labelled('f-sealed', 'inbox.sealed-to', select('f-sealed', [['', t('inbox.any')], ...(keyNames ?? []).map((k) => [k, k])], filters.sealed_to, set('sealed_to'))),
    labelled('f-since', 'inbox.since', el('input', { id: 'f-since', type: 'date', value: filters.since, onchange: set('since') })),
    labelled('f-until', 'inbox.until', el('input', { id: 'f-until', type: 'date', value: filters.until, onchange: set('until') })),
    labelled('f-field', 'inbox.field', el('input', { id: 'f-field', value: filters.field, placeholder: 'place=IK-2', onchange: set('field') })),
    labelled('f-sort', 'inbox.sort', select('f-sort', ['id', 'received', 'status', 'place', 'size'].map((s) => [s, t(`sort.${s}`)]), filters.sort, set('sort'))),
    el('div', { class: 'field check' }, el('input', { id: 'f-reverse', type: 'checkbox', checked: filters.reverse, onchange: set('reverse') }),
      el('label', { for: 'f-reverse' }, t('inbox.reverse'))),
    tagList, whoList);
  return bar;
}

function counts(state, reload) {
  const p = el('p', { class: 'counts', 'aria-live': 'polite' },
    el('strong', { id: 'matching' }, t(filters.q ? 'inbox.matching-search' : 'inbox.matching', { n: state.matching, total: state.total })));
  for (const s of STATUSES) {
    const n = state.by_status[s] ?? 0;
    p.append(' ', el('button', { type: 'button', class: `chip status-${s}`, 'aria-pressed': undefined, onclick: () => { filters.status = filters.status === s ? '' : s; reload(); } },
      `${statusLabel(s)} ${n}`));
  }
  return p;
}

export async function inboxView(main) {
  if (keyNames === null) keyNames = (await api.get('/api/keys')).keys.map((k) => k.name);
  let state = await api.get('/api/inbox', query(0));
  let shown = state.rows.length;
  const body = el('tbody');
  const more = el('button', { type: 'button', class: 'more' }, t('inbox.more'));
  const table = el('table', { class: 'inbox' },
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col' }, el('input', { type: 'checkbox', id: 'pick-all', 'aria-label': t('inbox.select-page') })),
      ...['col.id', 'col.received', 'col.status', 'col.assignee', 'col.tags', 'col.files', 'col.size', 'col.place', 'col.summary']
        .map((k) => el('th', { scope: 'col' }, t(k))))),
    body);
  const head = el('div', { class: 'inbox-head' });
  let bar = null;
  const fill = (rows, append) => {
    if (!append) clear(body);
    for (const r of rows) body.append(row(r, () => bar.update()));
    more.hidden = shown >= state.matching;
    bar.update();
  };
  const reload = async () => {
    const mine = ++asked;
    const next = await api.get('/api/inbox', query(0)).catch((e) => { toast(explain(e)); return null; });
    if (!next || mine !== asked) return;
    state = next;
    shown = state.rows.length;
    head.replaceChildren(counts(state, reload));
    fill(state.rows, false);
  };
  bar = batchBar(reload);
  more.addEventListener('click', async () => {
    const next = await api.get('/api/inbox', query(shown));
    shown += next.rows.length;
    fill(next.rows, true);
  });
  table.querySelector('#pick-all').addEventListener('change', (e) => {
    for (const box of body.querySelectorAll('input.pick')) {
      box.checked = e.target.checked;
      const id = Number(box.closest('tr').dataset.id);
      if (box.checked) selected.add(id);
      else selected.delete(id);
    }
    bar.update();
  });
  head.append(counts(state, reload));
  main.replaceChildren(el('h1', {}, t('inbox.title')), filterBar(reload, state), head, bar,
    state.total === 0 ? el('p', { class: 'empty' }, t('inbox.empty')) : '', table, more);
  fill(state.rows, false);
  const q = document.getElementById('q');
  if (filters.q) q.focus();
}
