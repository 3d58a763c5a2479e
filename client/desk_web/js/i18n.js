// The desk's languages: English, Russian, Ukrainian. Strings come from
// /static/i18n/<code>.json (built into the program); a value that is an
// object holds plural forms (one, few, many, other) chosen with
// Intl.PluralRules. A missing key falls back to English.

export const LANGUAGES = ['en', 'ru', 'uk'];
let strings = {};
let english = {};
let current = 'en';
let plural = new Intl.PluralRules('en');

async function load(code) {
  const r = await fetch(`/static/i18n/${code}.json`, { credentials: 'same-origin' });
  if (!r.ok) throw new Error(`no strings for ${code}`);
  return r.json();
}

export function pick(saved) {
  if (LANGUAGES.includes(saved)) return saved;
  for (const l of navigator.languages ?? []) {
    const base = l.toLowerCase().split('-')[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return 'en';
}

export async function use(code) {
  if (!Object.keys(english).length) english = await load('en');
  strings = code === 'en' ? english : await load(code);
  current = code;
  plural = new Intl.PluralRules(code);
  document.documentElement.lang = code;
  for (const e of document.querySelectorAll('[data-t]')) e.textContent = t(e.dataset.t);
}

export function lang() {
  return current;
}

export function t(key, vars = {}) {
  let s = strings[key] ?? english[key] ?? key;
  if (typeof s === 'object') {
    const n = Number(vars.n ?? 0);
    s = s[plural.select(n)] ?? s.other ?? Object.values(s)[0];
  }
  return String(s).replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

export function date(iso) {
  if (!iso) return '';
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(current, { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' });
}
