// The desk's texts: every key the pages use exists in English, and every
// English text exists in Russian and Ukrainian, with the plural forms
// each language needs and the same {placeholders}.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import test from 'node:test';

const web = new URL('../../../client/desk_web/', import.meta.url).pathname;
const load = (code) => JSON.parse(readFileSync(join(web, 'i18n', `${code}.json`), 'utf8'));
const en = load('en');
const others = { ru: load('ru'), uk: load('uk') };
const FORMS = { en: ['one', 'other'], ru: ['one', 'few', 'many', 'other'], uk: ['one', 'few', 'many', 'other'] };

function usedKeys() {
  const keys = new Set();
  const sources = [join(web, 'index.html'), ...readdirSync(join(web, 'js')).map((f) => join(web, 'js', f))];
  for (const f of sources) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/\bt\('([a-z-]+\.[a-z-]+)'/g)) keys.add(m[1]);
    for (const m of text.matchAll(/data-t="([a-z-]+\.[a-z-]+)"/g)) keys.add(m[1]);
  }
  // Keys made from a value: every value they can take.
  for (const s of ['new', 'in-review', 'verified', 'rejected', 'published', 'follow-up']) keys.add(`status.${s}`);
  for (const s of ['id', 'received', 'status', 'place', 'size']) keys.add(`sort.${s}`);
  for (const k of ['status', 'tag', 'untag', 'note', 'assign', 'reply', 'delete']) keys.add(`kind.${k}`);
  for (const m of ['stripped', 'kept', 'none']) keys.add(`files.meta-${m}`);
  for (const w of ['reply', 'extract', 'import', 'replies', 'retire', 'rewrap', 'revoke', 'delete', 'backup']) {
    keys.add(`${w}.ok`);
    keys.add(`${w}.failed`);
  }
  for (const e of ['failed', 'closed', 'no-session', 'locked', 'bad-request', 'not-found', 'no-memory', 'unlock-failed',
    'key-add-failed', 'no-folder', 'no-preview', 'damaged']) keys.add(`error.${e}`);
  return keys;
}

const placeholders = (v) => [...new Set((typeof v === 'object' ? Object.values(v).join(' ') : v).match(/\{\w+\}/g) ?? [])].sort();

test('every key the pages use has an English text', () => {
  const missing = [...usedKeys()].filter((k) => !(k in en));
  assert.deepEqual(missing, []);
});

for (const [code, strings] of Object.entries(others)) {
  test(`every English text exists in ${code}, with its placeholders and plural forms`, () => {
    for (const [key, value] of Object.entries(en)) {
      if (key.startsWith('_')) continue;
      assert.ok(key in strings, `${code} lacks ${key}`);
      assert.deepEqual(placeholders(strings[key]), placeholders(value), `${code} ${key}: placeholders`);
      if (typeof value === 'object') {
        for (const f of FORMS[code]) assert.ok(f in strings[key], `${code} ${key}: plural form ${f}`);
      } else {
        assert.equal(typeof strings[key], 'string', `${code} ${key}`);
      }
    }
    assert.deepEqual(Object.keys(strings).filter((k) => !(k in en)), [], `${code} has keys English has not`);
  });
}

test('English plural texts have their forms', () => {
  for (const [key, value] of Object.entries(en)) {
    if (typeof value === 'object') for (const f of FORMS.en) assert.ok(f in value, `en ${key}: ${f}`);
  }
});

test('Russian is Russian and Ukrainian is Ukrainian', () => {
  const text = (s) => Object.values(s).map((v) => (typeof v === 'object' ? Object.values(v).join(' ') : v)).join(' ');
  assert.doesNotMatch(text(others.ru), /[іїєґ]/i);
  assert.match(text(others.uk), /[іїєґ]/i);
  assert.doesNotMatch(text(others.uk), /[ыэъё]/i);
});
