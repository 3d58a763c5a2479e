// Tor Browser's "Safer" level turns WebAssembly off. The pages must still
// seal, prove work and open replies, with libsodium.js compiled to plain
// JavaScript: Chromium started without WebAssembly, a submission with a
// photo and a codename, opened by `malyava open`, and the reply read back.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { powSettings, readReply, scenario, watchedPage } from './lib/harness.mjs';
import { contains, GPS_MARK, tinyJpeg, withMetadata } from './lib/exif.mjs';

// --jitless, like Tor Browser's "Safer" level, turns the JIT and with it
// WebAssembly off.
await scenario('nowasm', { settings: powSettings(10), browserArgs: ['--js-flags=--jitless'] }, async ({ c, root, org, srv, b }) => {
  const ctx = await b.newContext();
  const page = await watchedPage(ctx);
  const loaded = [];
  page.on('request', (r) => loaded.push(new URL(r.url()).pathname));
  await page.goto(`${srv.url}/submit?lang=uk`);
  c.check(await page.evaluate(() => typeof WebAssembly) === 'undefined', 'this Chromium has no WebAssembly');
  const photo = withMetadata(tinyJpeg());
  const photoPath = join(root, 'фото.jpg');
  writeFileSync(photoPath, photo);
  const message = 'Без WebAssembly: свідчення.';
  await page.fill('#message', message);
  await page.fill('#place', 'Оленівка');
  await page.setInputFiles('#files', [photoPath]);
  await page.waitForFunction(() => document.querySelectorAll('#file-list li .name').length === 1);
  await page.click('#to-codename');
  const words = (await page.textContent('#codename')).trim();
  await page.check('#codename-ok');
  await page.click('#send');
  await page.waitForSelector('#step-done:not([hidden])', { timeout: 300000 });
  const shown = (await page.textContent('#receipt')).trim();
  c.check(loaded.includes('/static/vendor/sodium-plain.js') && !loaded.includes('/static/vendor/libsodium.js'),
    'the plain JavaScript build was loaded instead of the WebAssembly one');
  const subs = Object.values(srv.export());
  c.check(subs.length === 1 && subs[0].receipt === shown, `one submission, the receipt the page showed: ${shown}`);
  const got = org.open(subs[0].path, 'nowasm');
  c.check(got.receipt === shown && got.message === message && got.meta.fields.place === 'Оленівка', 'malyava open recovers it');
  const clean = got.files['фото.jpg'];
  c.check(clean && !contains(clean, GPS_MARK) && got.meta.files[0].metadata === 'stripped', 'the photo arrives cleaned');

  const answer = 'Дякуємо, ми отримали ваше свідчення.';
  srv.reply(got.meta.reply_key, answer);
  const { page: back, text } = await readReply(ctx, srv, words, 'uk');
  c.check(text === answer, 'the reply opens without WebAssembly');
  c.check(page.problems.length === 0 && back.problems.length === 0, `no console error: ${page.problems} ${back.problems}`);
});
