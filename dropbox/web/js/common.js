// Shared by every page: the quick exit, the translated strings for text
// the scripts write, and the switch that shows the parts of the page
// that need JavaScript.

document.documentElement.classList.add('js');

const exit = document.getElementById('quick-exit');
if (exit) {
  // A plain link works without JavaScript; with it, the page is blanked
  // and replaced in the history, so "Back" does not return here.
  exit.addEventListener('click', (ev) => {
    ev.preventDefault();
    const to = exit.href;
    document.title = '';
    document.body.textContent = '';
    location.replace(to);
  });
}

export const lang = document.documentElement.lang || 'en';
let strings = null;

// The texts the scripts write come with the page (<div id="strings">),
// rendered by the server in the page's language with English where a
// translation lacks one: no second request, nothing to fall back on here.
export function loadStrings() {
  strings = {};
  for (const el of document.querySelectorAll('#strings [data-key]')) strings[el.dataset.key] = el.textContent;
  return strings;
}

export function t(key, vars = {}) {
  const s = (strings && strings[key]) ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

export function show(el, yes = true) {
  el.hidden = !yes;
}

const units = ['B', 'KB', 'MB', 'GB', 'TB'];
export function formatBytes(n) {
  let u = 0;
  while (n >= 1000 && u < units.length - 1) {
    n /= 1000;
    u++;
  }
  const digits = u === 0 || n >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(n)} ${units[u]}`;
}

export function formatDuration(seconds) {
  const fmt = (v, unit) => new Intl.NumberFormat(lang, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 0 }).format(v);
  if (!Number.isFinite(seconds)) return '…';
  if (seconds < 60) return fmt(Math.max(1, Math.round(seconds)), 'second');
  if (seconds < 3600) return fmt(Math.round(seconds / 60), 'minute');
  return `${fmt(Math.floor(seconds / 3600), 'hour')} ${fmt(Math.round((seconds % 3600) / 60), 'minute')}`;
}
