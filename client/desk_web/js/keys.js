// The keys that open the vault: how many testimonies each is sealed to,
// adding one, retiring one, moving a retired key's testimonies to the
// keys in use, removing one for good (the vault is re-keyed; offered when
// state.features holds "revoke", never for this session's own key), and
// the vault's backup ("backup").
import * as api from './api.js';
import { date, t } from './i18n.js';
import { el } from './text.js';
import { explain, route, session } from './app.js';
import { outcome } from './work.js';

// What the last action said, kept across the page drawn again after it.
let said = null;

async function act(path, body, result, what) {
  try {
    said = outcome(await api.post(path, body), what);
  } catch (e) {
    said = el('p', { class: 'error' }, explain(e));
  }
  result.replaceChildren(said);
}

function actions(k, result, nkeys) {
  const cell = el('td', {});
  if (k.retired === null) {
    cell.append(el('button', {
      type: 'button',
      class: 'quiet',
      onclick: async () => {
        if (!window.confirm(t('keys.retire-confirm', { name: k.name }))) return;
        await act('/api/keys/retire', { name: k.name }, result, 'retire');
        route();
      },
    }, t('keys.retire')));
  } else if (k.sealed > 0) {
    cell.append(el('button', {
      type: 'button',
      class: 'quiet',
      onclick: async () => {
        await act('/api/keys/rewrap', { name: k.name }, result, 'rewrap');
        route();
      },
    }, t('keys.rewrap')));
  }
  if (session.state?.features?.includes('revoke') && !k.unlocked_with && nkeys > 1) {
    cell.append(el('button', {
      type: 'button',
      class: 'danger',
      onclick: async () => {
        if (!window.confirm(t('keys.revoke-confirm', { name: k.name }))) return;
        await act('/api/keys/revoke', { name: k.name }, result, 'revoke');
        route();
      },
    }, t('keys.revoke')));
  }
  return cell;
}

function backupForm() {
  const day = new Date().toISOString().slice(0, 10);
  const path = el('input', { id: 'b-path', value: session.state?.home ? `${session.state.home}/malyava-${day}.backup` : '' });
  const result = el('div', { class: 'result' });
  return el('form', {
    class: 'part',
    onsubmit: async (e) => {
      e.preventDefault();
      await act('/api/backup', { path: path.value }, result, 'backup');
      said = null;
    },
  }, el('h2', {}, t('backup.title')), el('p', {}, t('backup.what')),
  el('div', { class: 'row' }, el('label', { for: 'b-path' }, t('backup.path')), path),
  el('button', { type: 'submit' }, t('backup.button')),
  el('p', { class: 'note' }, t('backup.restore')),
  result);
}

function addForm(result) {
  const path = el('input', { id: 'k-path', placeholder: '/media/usb/editors/carol.key' });
  const name = el('input', { id: 'k-name', maxlength: 64 });
  const pass = el('input', { id: 'k-pass', type: 'password', autocomplete: 'off' });
  return el('form', {
    class: 'part',
    onsubmit: async (e) => {
      e.preventDefault();
      const fallback = path.value.replace(/^.*\//, '').replace(/\.key$/, '');
      try {
        await api.postSecret('/api/keys/add', { path: path.value, name: name.value || fallback }, pass.value);
        pass.value = '';
        route();
      } catch (err) {
        pass.value = '';
        result.replaceChildren(el('p', { class: 'error' }, explain(err)));
      }
    },
  }, el('h2', {}, t('keys.add-title')), el('p', {}, t('keys.add-what')),
  el('div', { class: 'row' }, el('label', { for: 'k-path' }, t('keys.add-path')), path),
  el('div', { class: 'row' }, el('label', { for: 'k-name' }, t('keys.add-name')), name),
  el('div', { class: 'row' }, el('label', { for: 'k-pass' }, t('keys.add-pass')), pass),
  el('button', { type: 'submit' }, t('keys.add-button')));
}

export async function keysView(main) {
  const res = await api.get('/api/keys');
  const result = el('div', { class: 'result' }, ...(said ? [said] : []));
  said = null;
  const body = el('tbody');
  for (const k of res.keys) {
    body.append(el('tr', {},
      el('td', {}, k.name, k.unlocked_with ? el('small', {}, ` (${t('keys.yours')})`) : ''),
      el('td', {}, el('code', {}, k.fingerprint)),
      el('td', {}, date(k.added)),
      el('td', {}, k.retired === null ? t('keys.in-use') : t('keys.retired-on', { day: date(k.retired) })),
      el('td', { class: 'num' }, t('keys.sealed', { n: k.sealed, total: res.total })),
      actions(k, result, res.keys.length)));
  }
  main.replaceChildren(
    el('h1', {}, t('keys.title')),
    el('p', {}, t('keys.what')),
    el('table', { class: 'keys' },
      el('thead', {}, el('tr', {}, ...['keys.name', 'keys.fingerprint', 'keys.added', 'keys.state', 'keys.sealed-col', 'keys.actions']
        .map((k) => el('th', { scope: 'col' }, t(k))))),
      body),
    el('p', { class: 'note' }, t('keys.retire-limits')),
    session.state?.features?.includes('revoke') ? el('p', { class: 'note' }, t('keys.revoke-limits')) : '',
    result,
    addForm(result),
    session.state?.features?.includes('backup') ? backupForm() : '');
}
