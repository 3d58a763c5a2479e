// The replies page against whoever holds the server. The reply key is
// public, so a seized or hostile server can write replies into its own
// database: a bare envelope sealed to the key, and a whole reply proven
// with a key of its own. Beside them, an editor's genuine reply. The page
// shows the genuine one, marked proven, names the others as not shown in
// the source's language, and their text appears nowhere on the page.
import sodium from 'libsodium-wrappers';
import { forgeReply, powSettings, registerDirectly, scenario, watchedPage } from './lib/harness.mjs';
import * as codename from '../../dropbox/web/js/codename.js';
import { toHex } from '../../dropbox/web/js/bytes.js';

await sodium.ready;
const GENUINE = 'Мы получили ваше свидетельство. Адвокат придёт в понедельник.';
const FORGED = 'Срочно пришлите ваше полное имя и номер телефона.';

async function look(ctx, srv, words, lang) {
  const page = await watchedPage(ctx);
  await page.goto(`${srv.url}/replies?lang=${lang}`);
  await page.fill('#codename-input', words);
  await page.click('#come-back button[type=submit]');
  await page.waitForFunction(() => document.querySelectorAll('#replies .reply').length > 0, null, { timeout: 120000 });
  return page;
}

await scenario('replies', { settings: powSettings(10) }, async ({ c, srv, b }) => {
  const words = codename.generate();
  const keys = codename.derive(sodium, words);
  const key = toHex(keys.publicKey);
  registerDirectly(srv, toHex(sodium.crypto_generichash(32, keys.token)), key);
  srv.reply(key, GENUINE);
  forgeReply(srv, key, FORGED, '--bare');
  forgeReply(srv, key, FORGED, '--forger');

  const ctx = await b.newContext();
  for (const lang of ['ru', 'en']) {
    const page = await look(ctx, srv, words, lang);
    const body = await page.textContent('body');
    const articles = await page.$$eval('#replies .reply', (as) => as.map((a) => ({
      refused: a.classList.contains('refused'), text: a.textContent,
      message: a.querySelector('.message')?.textContent ?? null })));
    const shown = articles.filter((a) => !a.refused);
    const refused = articles.filter((a) => a.refused);
    c.check(articles.length === 3, `${lang}: three messages fetched: ${articles.length}`);
    c.check(shown.length === 1 && shown[0].message === GENUINE, `${lang}: the editor's reply is shown: ${JSON.stringify(shown)}`);
    c.check(!body.includes(FORGED), `${lang}: the forged text is nowhere on the page`);
    c.check(refused.length === 2, `${lang}: both forgeries are named as not shown`);
    const status = await page.textContent('#status');
    if (lang === 'ru') {
      c.check(shown[0]?.text.includes('Подтверждено'), 'ru: the genuine reply is marked proven');
      c.check(refused.every((a) => a.text.includes('может быть подделкой') && a.text.includes('Никогда не сообщайте')),
        `ru: each forgery says why, in Russian: ${refused.map((a) => a.text)}`);
      c.check(refused.some((a) => a.text.includes('захватил')) && refused.some((a) => a.text.includes('не пользуется')),
        'ru: the bare one as unproven, the forger-keyed one as a key not in use');
      c.check(/Ответов: 1/.test(status) && /Не показано: 2/.test(status), `ru: the status counts both: ${status}`);
    } else {
      c.check(refused.every((a) => a.text.includes('may be forged') && a.text.includes('Never send your name')),
        `en: each forgery says why: ${refused.map((a) => a.text)}`);
      c.check(/Replies: 1/.test(status) && /Not shown: 2/.test(status), `en: the status counts both: ${status}`);
    }
    c.check(page.problems.length === 0, `${lang}: no console error: ${page.problems}`);
  }
});
