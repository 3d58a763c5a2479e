// Every text a page shows exists in every language: the keys the
// templates (parts included) use, and the keys the scripts use, which
// must also be in their page's <div id="strings">.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const WEB = fileURLToPath(new URL('../../../dropbox/web/', import.meta.url));
const read = (p) => readFileSync(WEB + p, 'utf8');
const en = JSON.parse(read('i18n/en.json'));
const languages = readdirSync(WEB + 'i18n').filter((f) => f.endsWith('.json'));

// Keys named as string literals in t(...) calls, both arms of a ternary included.
function scriptKeys(file) {
  const keys = new Set();
  for (const m of read(file).matchAll(/\bt\(([^()]*?)(?:,|\))/g)) {
    for (const k of m[1].matchAll(/'([a-z][a-z0-9_]*)'/g)) keys.add(k[1]);
  }
  return keys;
}

test('every language file has every English key, and nothing else', () => {
  for (const f of languages) {
    const d = JSON.parse(read(`i18n/${f}`));
    assert.deepEqual(Object.keys(d).sort(), Object.keys(en).sort(), f);
    for (const [k, v] of Object.entries(d)) {
      assert.equal(typeof v, 'string', `${f} ${k}`);
      assert.deepEqual([...v.matchAll(/\{\w+\}/g)].map(String).sort(), [...en[k].matchAll(/\{\w+\}/g)].map(String).sort(),
        `${f} ${k}: same {placeholders} as English`);
    }
  }
});

test('every {{t.KEY}} of every template is an English key', () => {
  for (const f of readdirSync(WEB).filter((n) => n.endsWith('.html'))) {
    for (const m of read(f).matchAll(/\{\{t\.(\w+)\}\}/g)) assert.ok(m[1] in en, `${f}: ${m[1]}`);
  }
});

test("each script's texts come with its page", () => {
  for (const [script, page] of [['js/submit.js', 'submit.html'], ['js/replies.js', 'replies.html']]) {
    const block = /<div id="strings" hidden>([\s\S]*?)<\/div>/.exec(read(page))[1];
    const offered = new Set([...block.matchAll(/data-key="(\w+)">\{\{t\.(\w+)\}\}/g)].map((m) => {
      assert.equal(m[1], m[2], `${page}: data-key and text agree`);
      return m[1];
    }));
    const used = scriptKeys(script);
    assert.ok(used.size > 5, `${script}: keys found`);
    for (const k of used) {
      if (!(k in en)) continue; // element names and other literals, not texts
      assert.ok(offered.has(k), `${script} uses ${k}; ${page} must offer it`);
    }
    for (const k of offered) assert.ok(used.has(k), `${page} offers ${k}, which ${script} never uses`);
  }
});
