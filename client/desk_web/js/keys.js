// The keys that open the vault: how many testimonies each is sealed to,
// adding one, retiring one, moving a retired key's testimonies to the
// keys in use. Removing a key outright appears when the vault offers it
// (state.features holds "revoke").
import * as api from './api.js';
import { date, t } from './i18n.js';
import { el } from './text.js';
import { explain, route, session } from './app.js';
import { outcome } from './work.js';

async function act(path, body, result, what) {
  try {
    result.replaceChildren(outcome(await api.post(path, body), what));
  } catch (e) {
    result.replaceChildren(el('p', { class: 'error' }, explain(e)));
  }
}

function actions(k, result) {
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
  if (session.state?.features?.includes('revoke')) {
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
  const result = el('div', { class: 'result' });
  const body = el('tbody');
  for (const k of res.keys) {
    body.append(el('tr', {},
      el('td', {}, k.name, k.unlocked_with ? el('small', {}, ` (${t('keys.yours')})`) : ''),
      el('td', {}, el('code', {}, k.fingerprint)),
      el('td', {}, date(k.added)),
      el('td', {}, k.retired === null ? t('keys.in-use') : t('keys.retired-on', { day: date(k.retired) })),
      el('td', { class: 'num' }, t('keys.sealed', { n: k.sealed, total: res.total })),
      actions(k, result)));
  }
  main.replaceChildren(
    el('h1', {}, t('keys.title')),
    el('p', {}, t('keys.what')),
    el('table', { class: 'keys' },
      el('thead', {}, el('tr', {}, ...['keys.name', 'keys.fingerprint', 'keys.added', 'keys.state', 'keys.sealed-col', 'keys.actions']
        .map((k) => el('th', { scope: 'col' }, t(k))))),
      body),
    el('p', { class: 'note' }, t('keys.retire-limits')),
    result,
    addForm(result));
}
