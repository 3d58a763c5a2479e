// Every page in every language, as a source's browser gets it: the
// security headers of the contract, no console error and no CSP
// violation, the Russian pages in Russian, the page weight before the
// crypto library, a screenshot of the submit page at 360 px; and with
// JavaScript off, the plain form submits and `malyava open` recovers it,
// while the same form posted from another site's page is refused.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scenario, watchedPage } from './lib/harness.mjs';

const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const PAGES = ['/', '/submit', '/replies', '/nojs'];
const WEIGHT_LIMIT = 100 * 1024;

await scenario('pages', {}, async ({ c, root, org, srv, b }) => {
  const ctx = await b.newContext();
  // Sizes of everything each page loads, the vendored crypto aside.
  for (const lang of ['en', 'ru', 'uk']) {
    for (const path of PAGES) {
      const page = await watchedPage(ctx);
      const sizes = new Map();
      page.on('response', async (r) => {
        const body = await r.body().catch(() => Buffer.alloc(0));
        sizes.set(r.url(), body.length);
        const h = r.headers();
        c.check(h['content-security-policy'] === CSP || !r.url().startsWith(srv.url) || r.url().includes('/api/'),
          `${r.url()}: CSP ${h['content-security-policy']}`);
        c.check(h['cache-control'] === 'no-store' && h['referrer-policy'] === 'no-referrer' &&
          h['x-content-type-options'] === 'nosniff' && !('set-cookie' in h), `${r.url()}: security headers`);
      });
      await page.goto(`${srv.url}${path}?lang=${lang}`, { waitUntil: 'networkidle' });
      await page.waitForTimeout(300);
      c.check((await page.getAttribute('html', 'lang')) === lang, `${path} ${lang}: <html lang>`);
      c.check(page.problems.length === 0, `${path} ${lang}: no console error or CSP violation: ${page.problems}`);
      // Every control has a label; the quick exit is the first stop for the keyboard.
      const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
        .filter((el) => el.type !== 'hidden' && !(el.id && document.querySelector(`label[for="${el.id}"]`)))
        .map((el) => el.name || el.id || el.outerHTML));
      c.check(unlabelled.length === 0, `${path} ${lang}: every control has a label: ${unlabelled}`);
      await page.keyboard.press('Tab');
      c.check(await page.evaluate(() => document.activeElement?.id) === 'quick-exit', `${path} ${lang}: Tab reaches the quick exit first`);
      // Text contrast (WCAG AA, 4.5:1) of every visible element that holds text.
      const lowContrast = await page.evaluate(() => {
        const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
        const lum = ([r, g, b]) => [r, g, b].map((v) => {
          v /= 255;
          return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
        }).reduce((a, v, i) => a + v * [0.2126, 0.7152, 0.0722][i], 0);
        const background = (el) => {
          for (let e = el; e; e = e.parentElement) {
            const c = rgb(getComputedStyle(e).backgroundColor);
            if (c.length === 3 || (c.length === 4 && c[3] > 0)) return c.slice(0, 3);
          }
          return [255, 255, 255];
        };
        const bad = [];
        for (const el of document.querySelectorAll('body *')) {
          if (!el.offsetParent || ![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
          const [a, b] = [lum(rgb(getComputedStyle(el).color).slice(0, 3)), lum(background(el))];
          const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
          if (ratio < 4.5) bad.push(`${el.tagName}.${el.className}: ${ratio.toFixed(2)}`);
        }
        return bad;
      });
      c.check(lowContrast.length === 0, `${path} ${lang}: text contrast at least 4.5:1: ${lowContrast}`);
      // What a reader sees: <noscript> is raw markup while scripts run.
      const text = await page.evaluate(() => {
        const m = document.querySelector('main').cloneNode(true);
        m.querySelectorAll('noscript').forEach((n) => n.remove());
        return m.textContent;
      });
      if (lang === 'ru') {
        const cyr = (text.match(/[а-яё]/gi) ?? []).length;
        const lat = (text.match(/[a-z]/gi) ?? []).length;
        c.check(cyr > 10 * lat, `${path} in Russian: ${cyr} Cyrillic letters, ${lat} Latin`);
        c.check(!/[іїєґ]/i.test(text), `${path} in Russian, not Ukrainian`);
      }
      if (lang === 'uk') c.check(/[іїєґ’]/i.test(text), `${path} in Ukrainian`);
      const own = [...sizes].filter(([u]) => !u.includes('/vendor/')).reduce((n, [, s]) => n + s, 0);
      const vendor = [...sizes].filter(([u]) => u.includes('/vendor/')).reduce((n, [, s]) => n + s, 0);
      console.log(`weight ${lang} ${path}: ${own} bytes without the crypto library, ${vendor} bytes of it`);
      c.check(own < WEIGHT_LIMIT, `${path} ${lang}: ${own} bytes, under 100 KB before the crypto library`);
      await page.close();
    }
  }
  // Accept-Language picks the language when ?lang does not.
  const uk = await b.newContext({ locale: 'uk-UA' });
  const ukPage = await uk.newPage();
  await ukPage.goto(`${srv.url}/`);
  c.check((await ukPage.getAttribute('html', 'lang')) === 'uk', 'Accept-Language: uk chooses Ukrainian');
  await uk.close();

  // The quick exit leaves without a way back to the site.
  const exitPage = await watchedPage(ctx);
  await exitPage.route(/^https:\/\//, (r) => r.fulfill({ status: 200, contentType: 'text/html', body: '<title>weather</title>' }));
  await exitPage.goto(`${srv.url}/`);
  await exitPage.goto(`${srv.url}/submit`);
  await exitPage.click('#quick-exit');
  await exitPage.waitForURL(/^https:/);
  await exitPage.goBack();
  c.check(exitPage.url() === `${srv.url}/`, `"Back" after the quick exit does not return to the submit page: ${exitPage.url()}`);

  // A manifest whose signature does not verify against the organisation
  // key in the page: the page refuses to seal and nothing is uploaded.
  const forged = await watchedPage(ctx);
  const uploads = [];
  forged.on('request', (r) => {
    if (r.url().includes('/api/v1/uploads')) uploads.push(r.method());
  });
  await forged.route('**/manifest.minisig', async (route) => {
    const real = await (await route.fetch()).text();
    const lines = real.split('\n');
    lines[3] = (lines[3][0] === 'A' ? 'B' : 'A') + lines[3].slice(1);
    await route.fulfill({ status: 200, contentType: 'text/plain', body: lines.join('\n') });
  });
  await forged.goto(`${srv.url}/submit`);
  await forged.fill('#message', 'must not leave the page');
  await forged.click('#to-codename');
  await forged.check('#no-reply');
  await forged.click('#send');
  await forged.waitForSelector('#error:not([hidden])');
  c.check(/could not be verified/.test(await forged.textContent('#error')), 'a forged manifest signature stops the page');
  c.check(uploads.length === 0, `and nothing is uploaded: ${uploads}`);
  c.check(await forged.isVisible('#step-write'), 'the form is back, the text still there');

  // The submit page at 360 px wide, for docs/.
  const phone = await b.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 1 });
  const shot = await watchedPage(phone);
  await shot.goto(`${srv.url}/submit?lang=en`, { waitUntil: 'networkidle' });
  const wide = await shot.evaluate(() => document.documentElement.scrollWidth);
  c.check(wide <= 360, `nothing wider than 360 px: ${wide}`);
  const png = join(process.env.MALYAVA_SCREENSHOT_DIR ?? root, 'submit-360.png');
  await shot.screenshot({ path: png, fullPage: true });
  console.log(`screenshot: ${png}`);
  c.check(shot.problems.length === 0, `no console error at 360 px: ${shot.problems}`);
  await phone.close();

  // JavaScript off: the plain form.
  const nojs = await b.newContext({ javaScriptEnabled: false });
  const form = await watchedPage(nojs);
  await form.goto(`${srv.url}/submit`);
  c.check(await form.isVisible('noscript >> text=plain form') || await form.locator('a[href^="/nojs"]').count() > 0,
    'without JavaScript the submit page points to the plain form');
  await form.goto(`${srv.url}/nojs`);
  const message = 'Без JavaScript: меня держали без адвоката.';
  await form.fill('#message', message);
  await form.fill('#place', 'СИЗО-1');
  await form.selectOption('#category', 'disappearance');
  const attach = join(root, 'note.txt');
  writeFileSync(attach, 'attached without JavaScript\n');
  await form.setInputFiles('#files', [attach]);
  await Promise.all([form.waitForNavigation(), form.click('button[type=submit]')]);
  const receipt = (await form.textContent('#receipt')).trim();
  c.check(/^([0-9a-f]{4}-){7}[0-9a-f]{4}$/.test(receipt), `the plain form answers with a receipt: ${receipt}`);
  const subs = Object.values(srv.export());
  c.check(subs.length === 1 && subs[0].serverSealed && subs[0].receipt === receipt, 'stored once, marked server-sealed, same receipt');
  const got = org.open(subs[0].path, 'nojs');
  c.check(got.message === message && got.meta.fields.place === 'СИЗО-1' && got.meta.fields.category === 'disappearance',
    `malyava open recovers the text and fields: ${got.message} ${JSON.stringify(got.meta.fields)}`);
  c.check(got.files['note.txt']?.toString() === 'attached without JavaScript\n', 'and the file');
  c.check(form.problems.length === 0, `no console error without JavaScript: ${form.problems}`);

  // The honeypot: a robot's filled "website" stores nothing.
  await form.goto(`${srv.url}/nojs`);
  await form.fill('#message', 'spam');
  await form.fill('#website', 'http://spam.example', { force: true });
  await form.click('button[type=submit]');
  await form.waitForLoadState();
  c.check(Object.keys(srv.export()).length === 1, 'a filled honeypot stores nothing');

  // Another site's page posting to the plain form (its own origin, served
  // by the test): the browser says so, and the server refuses it.
  const evil = await nojs.newPage();
  await evil.route('http://evil.example/', (route) => route.fulfill({ contentType: 'text/html', body:
    `<form method="post" enctype="multipart/form-data" action="${srv.url}/nojs">` +
    '<textarea name="message">forged testimony</textarea><button type="submit">send</button></form>' }));
  await evil.goto('http://evil.example/');
  await Promise.all([evil.waitForNavigation(), evil.click('button[type=submit]')]);
  c.check(/another website/.test(await evil.textContent('body')), 'a form posted from another site is refused');
  c.check(Object.keys(srv.export()).length === 1, 'and stores nothing');
});
