// The source's whole path in real Chromium against the real server:
// text, every field, a photo carrying GPS Exif and a 50 MB file are
// sealed in the page and uploaded while the test cuts the network in the
// middle; the editor's export opens with `malyava open` to the same text,
// fields and bytes — the photo without its metadata — and the same
// receipt the page showed; registering the codename pays the proof of
// work. Then the "keep location" choice, and coming back with the
// codename, after the account expired, to read an editor's reply.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sodium from 'libsodium-wrappers';
import { powSettings, readReply, scenario, watchedPage } from './lib/harness.mjs';
import { contains, GPS_MARK, makePhoto, XMP_MARK } from './lib/exif.mjs';
import { stripImage } from '../../dropbox/web/js/strip.js';
import * as codename from '../../dropbox/web/js/codename.js';
import { toHex } from '../../dropbox/web/js/bytes.js';

const BIG = 50 * 1000 * 1000;
const CUT_AT = 12 * 1024 * 1024;
await sodium.ready;

const seen = new Set();

function newSubmissions(srv) {
  const all = srv.export();
  const fresh = Object.entries(all).filter(([id]) => !seen.has(id));
  for (const [id] of fresh) seen.add(id);
  return fresh.map(([, v]) => v);
}

async function fill(page, values) {
  for (const [k, v] of Object.entries(values)) {
    if (k === 'category') await page.selectOption('#category', v);
    else await page.fill(`#${k}`, v);
  }
}

await scenario('submit', { settings: powSettings(12) }, async ({ c, root, org, srv, b }) => {
  const ctx = await b.newContext();
  const page = await watchedPage(ctx);
  await page.goto(`${srv.url}/submit`);
  const photo = await makePhoto(page);
  const photoPath = join(root, 'photo.jpg');
  writeFileSync(photoPath, photo);
  c.check(contains(photo, GPS_MARK) && contains(photo, 'Exif\0\0'), 'the test photo carries Exif with GPS');
  const big = randomBytes(BIG);
  const bigPath = join(root, 'video.mp4');
  writeFileSync(bigPath, big);

  // Record what the server is asked, and cut the link once mid-upload.
  const log = [];
  let cut = null;
  await page.route('**/api/v1/uploads**', async (route) => {
    const req = route.request();
    const offset = Number(req.headers()['upload-offset'] ?? -1);
    if (!cut && req.method() === 'PATCH' && offset >= CUT_AT) {
      cut = { at: offset, until: Date.now() + 3000 };
      await ctx.setOffline(true);
      setTimeout(() => ctx.setOffline(false), 3000);
    }
    if (cut && Date.now() < cut.until) {
      log.push({ method: req.method(), offset, aborted: true });
      return route.abort('internetdisconnected');
    }
    log.push({ method: req.method(), offset, aborted: false, after: cut !== null });
    return route.continue();
  });

  const fields = { place: 'ИК-2, Ярославль', date: 'ноябрь 2026', category: 'torture', affected: 'двое в отряде', contact: 'через адвоката' };
  const message = 'Меня избили 3 ноября.\nТестовое свидетельство, with "quotes" and \\ backslash.';
  await fill(page, { message, ...fields });
  await page.setInputFiles('#files', [photoPath, bigPath]);
  await page.waitForFunction(() => document.querySelectorAll('#file-list li .name').length === 2);
  const notes = await page.locator('#file-list .note').allTextContents();
  c.check(/removed/.test(notes[0]) && /as it is/.test(notes[1]), `the list says what happens to each file: ${notes}`);
  const registrations = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/api/v1/replies/register') registrations.push(r.headers()['malyava-pow'] ?? '');
  });
  await page.click('#to-codename');
  const words = (await page.textContent('#codename')).trim();
  c.check(/^([a-z]{4} ){9}[a-z]{4}$/.test(words), `a codename of ten words is shown: ${words}`);
  c.check(await page.isDisabled('#send'), 'sending waits for "I have written it down"');
  await page.check('#codename-ok');
  const toldWaiting = page.waitForFunction(() => /Connection lost/.test(document.getElementById('status').textContent),
    null, { timeout: 300000 }).then(() => true, () => false);
  await page.click('#send');
  await page.waitForSelector('#step-done:not([hidden])', { timeout: 300000 });
  c.check(await toldWaiting, 'while the link was down the page said so and asked to keep it open');
  const shown = (await page.textContent('#receipt')).trim();
  c.check(/^([0-9a-f]{4}-){7}[0-9a-f]{4}$/.test(shown), `the page shows a receipt: ${shown}`);
  c.check(await page.textContent('#codename') === '', 'the codename is gone from the page');
  c.check(await page.isHidden('#register-failed') && srv.accounts().length === 1, 'the codename is registered for replies');
  c.check(registrations.length >= 1 && registrations.every((h) => /^[0-9a-f]{64}:[0-9a-f]{16}$/.test(h)),
    `registering paid the proof of work: ${registrations}`);

  const posts = log.filter((r) => r.method === 'POST');
  const aborted = log.filter((r) => r.aborted);
  const resumed = log.filter((r) => r.after && !r.aborted && r.method === 'PATCH');
  c.check(cut !== null && aborted.length >= 1, `the link was cut mid-upload (at ${cut?.at}): ${aborted.length} requests failed`);
  c.check(posts.length === 1, `one upload created, never started over: ${posts.length} POSTs`);
  c.check(log.some((r) => r.after && !r.aborted && r.method === 'HEAD'), 'after the cut the page asked where to resume');
  c.check(resumed.length > 0 && resumed[0].offset >= CUT_AT - (1 << 20) && resumed.every((r) => r.offset > 0),
    `after the cut PATCHes went on from a non-zero offset: first ${resumed[0]?.offset}`);

  const [sub] = newSubmissions(srv);
  c.check(sub && sub.receipt === shown, `the editor's receipt equals the source's: ${sub?.receipt} / ${shown}`);
  c.check(sub && !sub.serverSealed, 'sealed in the browser, not by the server');
  const got = org.open(sub.path, 'first');
  c.check(got.receipt === shown, `malyava open prints the same receipt: ${got.receipt}`);
  c.check(got.message === message, 'the text arrives as typed');
  c.check(JSON.stringify(got.meta.fields) === JSON.stringify(Object.fromEntries(Object.entries(fields).sort())), `every field arrives: ${JSON.stringify(got.meta.fields)}`);
  c.check(got.files['video.mp4']?.equals(big), 'the 50 MB file is byte-identical');
  const clean = got.files['photo.jpg'];
  c.check(clean && !clean.equals(Buffer.from(photo)), 'the photo was changed');
  c.check(clean && !contains(clean, GPS_MARK) && !contains(clean, XMP_MARK) && !contains(clean, 'Exif'), 'no Exif, GPS, XMP or comment left in the photo');
  c.check(clean && clean.equals(Buffer.from(stripImage(photo))), 'the photo is the original minus its metadata segments');
  const fileMeta = Object.fromEntries(got.meta.files.map((f) => [f.name, f.metadata ?? 'none']));
  c.check(fileMeta['photo.jpg'] === 'stripped' && fileMeta['video.mp4'] === 'none', `the editor is told which: ${JSON.stringify(fileMeta)}`);
  const keys = codename.derive(sodium, words);
  c.check(got.meta.reply_key === toHex(keys.publicKey), 'the record carries the reply key of the codename shown');
  c.check(page.problems.filter((p) => !/ERR_INTERNET_DISCONNECTED|internetdisconnected/.test(p)).length === 0,
    `no console error on the submit page: ${page.problems}`);

  // "Keep location": the photo arrives untouched and the editor is told.
  const keep = await watchedPage(ctx);
  await keep.goto(`${srv.url}/submit`);
  await keep.fill('#message', 'keep location');
  await keep.setInputFiles('#files', [photoPath]);
  await keep.check('#keep-location');
  await keep.waitForFunction(() => /kept/.test(document.querySelector('#file-list .note')?.textContent ?? ''));
  await keep.click('#to-codename');
  await keep.check('#no-reply');
  await keep.click('#send');
  await keep.waitForSelector('#step-done:not([hidden])', { timeout: 120000 });
  const [kept] = newSubmissions(srv);
  const got2 = org.open(kept.path, 'kept');
  c.check(got2.files['photo.jpg']?.equals(Buffer.from(photo)), 'with "keep location" the photo is byte-identical');
  c.check(got2.meta.files[0].metadata === 'kept', 'and the editor is told it was kept on purpose');
  c.check(got2.meta.reply_key === undefined, 'no reply key when the source wants no replies');
  c.check(keep.problems.length === 0, `no console error: ${keep.problems}`);

  // Coming back with the codename after an editor's reply, the account
  // long gone (expired, or its place taken by newer ones): the page
  // registers again and the reply is there.
  const answer = 'Спасибо. Мы получили ваше свидетельство и проверяем его.';
  srv.reply(got.meta.reply_key, answer);
  srv.forgetAccounts();
  const { page: back, text } = await readReply(ctx, srv, words.toUpperCase().replaceAll(' ', '-'), 'ru');
  c.check(text === answer, `the reply is shown, decrypted: ${text}`);
  c.check((await back.inputValue('#codename-input')) === '', 'the codename is cleared from the field');
  c.check(srv.accounts().length === 1, 'the replies page registered the codename again');
  const wrong = words.split(' ');
  wrong[3] = 'xxxx';
  await back.fill('#codename-input', wrong.join(' '));
  await back.click('#come-back button[type=submit]');
  await back.waitForFunction(() => /№ 4/.test(document.getElementById('status').textContent));
  c.check(back.problems.length === 0, `no console error on the replies page: ${back.problems}`);
});
