// The desk's page: the session (state, lock, unlock, language) and the
// views, one per address after the '#': #/inbox, #/t/ID, #/import,
// #/replies, #/report, #/keys.
import * as api from './api.js';
import { LANGUAGES, pick, t, use } from './i18n.js';
import { clear, el } from './text.js';
import { inboxView } from './inbox.js';
import { testimonyView } from './testimony.js';
import { importView, repliesView } from './work.js';
import { reportView } from './report.js';
import { keysView } from './keys.js';

// How often the page asks whether the desk locked itself; asking is not
// activity, so it never keeps the desk open.
const POLL_MS = 4000;

export const session = { state: null };

const $ = (id) => document.getElementById(id);

export function toast(text) {
  const box = $('toast');
  box.textContent = text;
  box.classList.add('shown');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => box.classList.remove('shown'), 4000);
}

// An error of the desk, in the page's language, with its detail as text.
export function explain(e) {
  const known = `error.${e.code}`;
  const text = t(known) !== known ? t(known) : t('error.failed');
  return e.detail ? `${text} (${e.detail})` : text;
}

function showLocked(state) {
  // Decrypted text leaves the page with the keys.
  clear($('main'));
  const select = clear($('unlock-key'));
  for (const k of state.keys) select.append(el('option', { value: k }, k));
  if (session.state?.editor && state.keys.includes(session.state.editor)) select.value = session.state.editor;
  $('locked').hidden = false;
  $('main').hidden = true;
  $('unlock-pass').focus();
}

async function refreshState() {
  let state;
  try {
    state = await api.get('/api/state');
  } catch (e) {
    // Another tab took the session (403), or the desk was closed: what
    // this page showed goes.
    if (e.status === 403 || !(e instanceof api.DeskError)) {
      $('locked').hidden = true;
      $('main').hidden = false;
      $('main').replaceChildren(el('p', { class: 'error', role: 'alert' }, t(e.status === 403 ? 'error.no-session' : 'error.closed')));
      clearInterval(refreshState.timer);
    }
    return null;
  }
  const wasLocked = session.state?.locked;
  if (state.locked) showLocked(state);
  session.state = { ...state, editor: state.editor ?? session.state?.editor };
  $('editor').textContent = state.editor ? t('session.editor', { name: state.editor }) : '';
  if (!state.locked && wasLocked) {
    $('locked').hidden = true;
    $('main').hidden = false;
    route();
  }
  return state;
}

async function unlock(ev) {
  ev.preventDefault();
  const pass = $('unlock-pass');
  const error = $('unlock-error');
  const button = ev.target.querySelector('button');
  error.hidden = true;
  button.disabled = true;
  button.textContent = t('unlock.working');
  try {
    await api.postSecret('/api/unlock', { key: $('unlock-key').value }, pass.value);
    pass.value = '';
    session.state = null;
    await refreshState();
    $('locked').hidden = true;
    $('main').hidden = false;
    route();
  } catch (e) {
    pass.value = '';
    error.textContent = explain(e);
    error.hidden = false;
  } finally {
    button.disabled = false;
    button.textContent = t('unlock.button');
  }
}

async function lock() {
  try {
    const state = await api.post('/api/lock');
    clear($('main'));
    showLocked(state);
    session.state = { ...state, editor: session.state?.editor };
  } catch (e) {
    toast(explain(e));
  }
}

async function chooseLanguage() {
  const code = $('lang').value;
  await use(code);
  await api.post('/api/lang', { value: code }).catch(() => {});
  route();
}

const views = [
  [/^#\/t\/(\d+)$/, testimonyView],
  [/^#\/import$/, importView],
  [/^#\/replies$/, repliesView],
  [/^#\/report$/, reportView],
  [/^#\/keys$/, keysView],
  [/^(#\/inbox)?$/, inboxView],
];

export async function route() {
  if (session.state?.locked) return;
  const main = $('main');
  const hash = location.hash || '#/inbox';
  for (const a of document.querySelectorAll('#nav a')) {
    if (hash.startsWith(a.getAttribute('href'))) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  for (const [re, view] of views) {
    const m = re.exec(hash);
    if (!m) continue;
    try {
      await view(main, ...m.slice(1));
    } catch (e) {
      if (e instanceof api.DeskError && e.status === 423) return;
      main.replaceChildren(el('p', { class: 'error', role: 'alert' }, e instanceof api.DeskError ? explain(e) : String(e)));
    }
    return;
  }
  location.hash = '#/inbox';
}

async function start() {
  api.whenLocked(() => refreshState());
  const state = await api.get('/api/state').catch(() => null);
  await use(pick(state?.lang));
  $('lang').value = LANGUAGES.includes(state?.lang) ? state.lang : pick('');
  $('lang').addEventListener('change', chooseLanguage);
  $('lock').addEventListener('click', lock);
  $('unlock-form').addEventListener('submit', unlock);
  window.addEventListener('hashchange', route);
  if (!state) {
    $('main').replaceChildren(el('p', { class: 'error' }, t('error.no-session')));
    return;
  }
  await refreshState();
  refreshState.timer = setInterval(refreshState, POLL_MS);
  if (!session.state.locked) route();
}

start();
