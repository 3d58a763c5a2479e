// The editors' desk in Debian's chromium, against the real `malyava desk`
// and a real drop-box: sources submit (one of them hostile: HTML, script,
// bidirectional overrides, zero-width characters and terminal escapes in
// its text, fields and file names); the editor imports the bundle from a
// folder, searches as they type, reads the hostile testimony inert (no
// script runs, no CSP violation, every hidden character shown), looks at
// a cleaned photo, triages in a batch, replies and exports the replies
// (the source reads the reply), sees the report, switches language, locks
// and unlocks; the command line uses the open desk's unlock. Requests
// without the session, with a wrong Host, or from another origin (another
// local page included) are refused. Keys: one is added, retired, its
// testimonies moved, another removed for good (the vault re-keyed); a
// backup is made; a bundle from another organisation is refused, taken on
// purpose, and its testimony, which no key opens, deleted. A second desk
// locks itself when idle.
// Screenshots for docs/EDITORS.md go to MALYAVA_SCREENSHOT_DIR.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { DROPBOX, KEYS, MALYAVA, Org, powSettings, run, scenario, Server, watchedPage } from './lib/harness.mjs';
import { Desk } from './lib/desk.mjs';
import { contains, GPS_MARK, makePhoto } from './lib/exif.mjs';

const HOSTILE_MESSAGE = 'HOSTILE-MARKER <script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">' +
  ' escape:\x1b[31mred\x1b]0;title\x07 bidi:\u202Eexe.txt\u202C zero:a\u200Bb';
const HOSTILE_PLACE = '<b>bold</b>\u202Egnp.kcab';
const HOSTILE_FILES = ['<img src=x onerror=alert(1)>.png', 'report\u202Egpj.exe', 'a\u200Bb.txt'];
const REPLY = 'We received it; the lawyer will call on Monday.';
const shots = process.env.MALYAVA_SCREENSHOT_DIR;

function submit(srv, org, root, message, fields, files, codename) {
  const args = ['submit', srv.url, '--org-key', org.orgPub, '--message', message];
  for (const f of fields) args.push('--field', f);
  if (codename) args.push('--codename-file', codename);
  return run(MALYAVA, ...args, ...files);
}

async function photo(b) {
  const page = await b.newPage();
  const jpeg = await makePhoto(page);
  await page.close();
  return jpeg;
}

async function shot(page, name) {
  if (!shots) return;
  await page.screenshot({ path: join(shots, name), fullPage: true });
  console.log(`screenshot: ${join(shots, name)}`);
}

// Controls without a label (by <label for> or aria-label).
function unlabelled(page) {
  return page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((e) => e.type !== 'hidden' && !e.getAttribute('aria-label') && !(e.id && document.querySelector(`label[for="${e.id}"]`)))
    .map((e) => e.id || e.outerHTML.slice(0, 80)));
}

// Waits until `fn` (run in the page) is true.
async function until(page, fn, arg) {
  await page.waitForFunction(fn, arg, { timeout: 20000 });
}

await scenario('desk', { settings: powSettings(8) }, async ({ c, root, org, srv, b }) => {
  // -- sources submit; the export bundle goes to a "USB stick"
  const files = join(root, 'files');
  mkdirSync(files);
  const jpeg = await photo(b);
  writeFileSync(join(files, 'cell.jpg'), jpeg);
  const hostileFiles = HOSTILE_FILES.map((n) => {
    const p = join(files, n);
    writeFileSync(p, `attachment ${n}\n`);
    return p;
  });
  const codename = join(root, 'codename.txt');
  submit(srv, org, root, 'They beat him in cell 4 of IK-2 Kopeisk at night', ['place=IK-2 Kopeisk'], [join(files, 'cell.jpg')], codename);
  submit(srv, org, root, HOSTILE_MESSAGE, [`place=${HOSTILE_PLACE}`, 'category=<i>x</i>'], hostileFiles, null);
  for (const n of ['one', 'two', 'three']) submit(srv, org, root, `batch ${n}: the transfer was delayed`, ['place=SIZO-1'], [], null);
  const usb = join(root, 'usb');
  mkdirSync(usb);
  run(DROPBOX, 'export', srv.data, '-o', join(usb, 'export.bundle'));

  const desk = new Desk(root, org);
  try {
    await desk.start('--idle-minutes', '30');
    const ctx = await b.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-GB' });
    const page = await watchedPage(ctx);
    page.on('dialog', (d) => d.accept());
    await page.goto(desk.address);
    await page.waitForSelector('h1');
    c.check(page.url() === `${desk.url}/`, `the one-time address leads to the desk: ${page.url()}`);
    const [cookie] = await ctx.cookies();
    c.check(cookie?.httpOnly && cookie.sameSite === 'Strict' && cookie.path === '/' && cookie.name === `malyava_desk_${desk.port}`,
      `the session cookie is HttpOnly, SameSite=Strict, Path=/ and named after the port: ${JSON.stringify(cookie)}`);
    c.check(await page.isVisible('text=The vault holds no testimonies yet'), 'an empty vault says how to fill it');
    const good = { Cookie: `${cookie.name}=${cookie.value}` };
    const idOf = async (q) => JSON.parse((await desk.request('GET', `/api/inbox?q=${encodeURIComponent(q)}`, good)).body).rows[0].id;
    // The inbox holds exactly these rows (search as you type has answered).
    const showing = (ids) => until(page, (want) => {
      const got = [...document.querySelectorAll('table.inbox tbody tr')].map((r) => Number(r.dataset.id)).sort();
      return JSON.stringify(got) === JSON.stringify(want);
    }, [...ids].sort());

    // -- import from the folder
    await page.click('#nav a[href="#/import"]');
    await page.fill('#folder', usb);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.waitForSelector('ul.bundles li');
    c.check((await page.textContent('ul.bundles')).includes('export.bundle'), 'the folder lists the bundle');
    await page.click('ul.bundles button');
    await page.waitForSelector('.outcome');
    const outcome = await page.textContent('.outcome');
    c.check(/Imported 5 new, 0 already in the vault, 0 left out/.test(outcome), `import says what it did: ${outcome}`);
    const ack = join(usb, 'export.bundle.ack');
    c.check(existsSync(ack) && readFileSync(ack, 'utf8').startsWith('malyava-ack 1\n') &&
      readFileSync(ack, 'utf8').trim().split('\n').length === 6, 'the ack file is written beside the bundle, naming all five');
    await shot(page, 'desk-import.png');

    // -- inbox and search as you type
    const kopeisk = await idOf('Kopeisk');
    const hostileId = await idOf('HOSTILE-MARKER');
    const batchIds = JSON.parse((await desk.request('GET', '/api/inbox?q=batch', good)).body).rows.map((r) => r.id);
    await page.click('#nav a[href="#/inbox"]');
    await page.waitForSelector('table.inbox tbody tr');
    c.check(await page.locator('table.inbox tbody tr').count() === 5, 'the inbox lists the five');
    c.check((await page.textContent('#matching')).includes('5 of 5'), 'with a count');
    await page.type('#q', 'kopei', { delay: 40 });
    await showing([kopeisk]);
    c.check((await page.textContent('#matching')).includes('1 of 5') &&
      (await page.textContent('table.inbox tbody')).includes('IK-2 Kopeisk'), 'search as you type finds it');
    await page.fill('#q', 'batch');
    await showing(batchIds);
    await page.fill('#q', 'CELL.JPG');
    await showing([kopeisk]);
    c.check(batchIds.length === 3, 'search finds file names and words, whatever the case');
    await page.fill('#q', '');
    await until(page, () => document.querySelectorAll('table.inbox tbody tr').length === 5);

    // -- the hostile testimony, inert
    await page.fill('#q', 'HOSTILE-MARKER');
    await showing([hostileId]);
    const summary = await page.textContent('table.inbox tbody td.summary');
    c.check(summary.includes('<script>') && summary.includes('⟦U+202E⟧') && summary.includes('⟦U+001B⟧'),
      `the inbox shows the hostile summary as text, hidden characters marked: ${summary}`);
    await page.click('table.inbox tbody td.summary a');
    await page.waitForSelector('.hostile.multiline');
    const hostile = await page.evaluate(() => ({
      pwned: window.__pwned,
      message: document.querySelector('.hostile.multiline').textContent,
      images: document.querySelectorAll('main img').length,
      handlers: [...document.querySelectorAll('*')].flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => n.startsWith('on')),
      scripts: [...document.scripts].map((s) => s.src),
      marks: [...document.querySelectorAll('main .ctl')].map((s) => s.textContent),
      files: [...document.querySelectorAll('table.files tbody tr td:first-child')].map((td) => td.textContent),
      dirs: [...document.querySelectorAll('main .hostile')].every((e) => e.dir === 'auto'),
      fields: document.querySelector('.facts + .part, .part .facts')?.textContent ?? '',
    }));
    c.check(hostile.pwned === undefined, 'no script from the testimony ran');
    c.check(hostile.images === 0 && hostile.handlers.length === 0, `no image and no handler were made from it: ${hostile.handlers}`);
    c.check(hostile.scripts.every((s) => s.startsWith(`${desk.url}/static/`)), `only the desk's own scripts: ${hostile.scripts}`);
    c.check(hostile.message.includes('<script>window.__pwned = 1</script>') && hostile.message.includes('onerror='),
      'the message is shown as the text it is');
    for (const mark of ['⟦U+202E⟧', '⟦U+202C⟧', '⟦U+200B⟧', '⟦U+001B⟧', '⟦U+0007⟧']) {
      c.check(hostile.marks.includes(mark), `${mark} is made visible`);
    }
    c.check(hostile.files.includes(HOSTILE_FILES[0]) && hostile.files.some((f) => f === 'report⟦U+202E⟧gpj.exe') &&
      hostile.files.some((f) => f === 'a⟦U+200B⟧b.txt'), `file names are text, their hidden characters shown: ${hostile.files}`);
    c.check(hostile.dirs, 'hostile text is direction-isolated');
    c.check((await page.textContent('main')).includes('<b>bold</b>⟦U+202E⟧gnp.kcab'), 'field values are text too');
    c.check((await unlabelled(page)).length === 0, `every control of a testimony has a label: ${await unlabelled(page)}`);
    await shot(page, 'desk-hostile.png');
    c.check(page.problems.length === 0, `no console error or CSP violation so far: ${page.problems}`);

    // -- a cleaned photo, only when asked
    await page.goto(`${desk.url}/#/t/${kopeisk}`);
    await page.waitForSelector(`h1:text-is("Testimony ${kopeisk}")`);
    await page.waitForSelector('table.files');
    const rowText = await page.textContent('table.files tbody');
    c.check(/cell\.jpg/.test(rowText) && /Removed on the source's device|Not inspected/.test(rowText), `the photo is listed with what its metadata may reveal: ${rowText}`);
    c.check(await page.locator('main img').count() === 0, 'no photo is shown before the editor asks');
    const previewed = page.waitForResponse((r) => r.url().startsWith(`${desk.url}/api/preview`));
    await page.getByRole('button', { name: 'Show a cleaned preview', exact: true }).click();
    const pr = await previewed;
    await until(page, () => document.querySelector('img.preview')?.naturalWidth > 0);
    const ph = pr.headers();
    const cleaned = await pr.body();
    c.check(ph['content-type'] === 'image/jpeg' && ph['x-content-type-options'] === 'nosniff' &&
      /^inline; filename="preview\.jpg"$/.test(ph['content-disposition'] ?? ''), `the preview is a fixed image type, not sniffed: ${JSON.stringify(ph)}`);
    c.check(cleaned[0] === 0xff && cleaned[1] === 0xd8 && !contains(cleaned, GPS_MARK) && !contains(cleaned, 'Exif'),
      'the preview carries no Exif, GPS or comment');

    // -- extract to a folder, the photo cleaned
    const outDir = join(root, 'extracted');
    await page.fill('#x-dir', outDir);
    await page.getByRole('button', { name: 'Extract', exact: true }).click();
    await page.waitForSelector('.outcome');
    const extracted = join(outDir, 'files', 'cell.jpg');
    c.check((await page.textContent('.outcome')).includes('Extracted') && existsSync(join(outDir, 'message.txt')) &&
      existsSync(extracted) && !contains(readFileSync(extracted), GPS_MARK), 'extract writes the testimony, the photo without its metadata');

    // -- triage a batch
    await page.goto(`${desk.url}/#/inbox`);
    await page.fill('#q', 'batch');
    await showing(batchIds);
    await page.check('#pick-all');
    c.check((await page.textContent('.batch .count')).includes('3 selected'), 'three are selected');
    await page.selectOption('#b-status', 'verified');
    await page.getByRole('button', { name: 'Set status', exact: true }).click();
    await until(page, () => [...document.querySelectorAll('table.inbox tbody .status')].filter((s) => s.textContent === 'Verified').length === 3);
    await page.fill('#b-tag', 'transfer-delays');
    await page.getByRole('button', { name: 'Add tag', exact: true }).click();
    await page.fill('#b-assign', 'dmitri');
    await page.getByRole('button', { name: 'Assign', exact: true }).click();
    await until(page, () => [...document.querySelectorAll('table.inbox tbody tr')].filter((r) => r.textContent.includes('dmitri') && r.textContent.includes('transfer-delays')).length === 3);
    c.check(true, 'a batch gets its status, tag and assignee in one step each');
    await page.fill('#q', '');
    await until(page, () => document.querySelectorAll('table.inbox tbody tr').length === 5);
    c.check((await unlabelled(page)).length === 0, `every control of the inbox has a label: ${await unlabelled(page)}`);
    await shot(page, 'desk-inbox.png');

    // -- the command line uses the desk's unlock
    const listed = desk.cli('list', '--tag', 'transfer-delays');
    c.check(listed.status === 0 && listed.stdout.trim().endsWith('3 of 5 testimonies'), `list runs through the desk without a passphrase: ${JSON.stringify(listed)}`);
    const set = desk.cli('status', String(kopeisk), 'follow-up');
    c.check(set.status === 0, `status runs through the desk: ${set.stderr}`);
    const missing = desk.cli('show', '99');
    c.check(missing.status === 2 && /no testimony 99/.test(missing.stderr), `a failing verb's status and message come back: ${JSON.stringify(missing)}`);
    await page.reload();
    await page.waitForSelector('table.inbox tbody tr');
    c.check((await page.textContent(`table.inbox tbody tr[data-id="${kopeisk}"]`)).includes('Follow-up'), 'the desk shows what the command line changed');

    // -- reply, export the replies, the source reads it
    await page.goto(`${desk.url}/#/t/${kopeisk}`);
    await page.waitForSelector(`h1:text-is("Testimony ${kopeisk}")`);
    await page.waitForSelector('#reply-text');
    await page.fill('#reply-text', REPLY);
    await page.getByRole('button', { name: 'Seal the reply', exact: true }).click();
    await page.waitForSelector('.outcome');
    c.check((await page.textContent('.outcome')).includes('The reply is sealed'), 'the reply is sealed');
    await page.click('#nav a[href="#/replies"]');
    await page.waitForSelector('#waiting');
    c.check((await page.textContent('#waiting')).includes('1 reply waits'), 'one reply waits');
    const repliesFile = join(usb, 'replies.sqlite');
    await page.fill('#replies-out', repliesFile);
    await page.getByRole('button', { name: 'Export replies', exact: true }).click();
    await page.waitForSelector('.outcome');
    c.check(existsSync(repliesFile) && (await page.textContent('#waiting')).includes('0 replies wait'), 'export-replies writes the bundle; none wait');
    run(DROPBOX, 'import-replies', srv.data, repliesFile);
    const fetched = run(MALYAVA, 'replies', srv.url, '--codename-file', codename, '--org-key', org.orgPub);
    c.check(fetched.includes(REPLY), `the source reads the reply: ${fetched}`);

    // -- report and keys
    await page.click('#nav a[href="#/report"]');
    await until(page, () => document.querySelector('img.chart')?.naturalWidth > 0);
    c.check((await page.textContent('main')).includes('5 testimonies') && (await page.textContent('table.report')).includes('Verified'),
      'the report counts by status, with its chart');
    await shot(page, 'desk-report.png');
    await page.click('#nav a[href="#/keys"]');
    await page.waitForSelector('table.keys');
    c.check((await page.textContent('table.keys')).includes('5 of 5'), 'the keys page says how many testimonies each key opens');
    // A colleague's key comes in; alice retires; her testimonies move to bob.
    run(KEYS, '--dir', org.dir, 'editor', 'new', 'bob', '--kdf', 'interactive', '--passphrase-file', org.pass);
    await page.fill('#k-path', join(org.dir, 'editors', 'bob.key'));
    await page.fill('#k-pass', readFileSync(org.pass, 'utf8').trimEnd());
    await page.getByRole('button', { name: 'Add the key', exact: true }).click();
    await until(page, () => document.querySelector('table.keys')?.textContent.includes('bob'));
    const keyRow = (name) => page.textContent(`table.keys tbody tr:has(td:text-is("${name}"))`).catch(() => page.textContent(`table.keys tbody tr:has-text("${name}")`));
    c.check((await keyRow('bob')).includes('0 of 5'), `bob's key is added, sealed to nothing yet: ${await keyRow('bob')}`);
    await page.click('table.keys tbody tr:has-text("alice") >> text=Retire');
    await until(page, () => /Retired on/.test(document.querySelector('table.keys tbody tr')?.textContent ?? ''));
    await page.click('table.keys tbody tr:has-text("alice") >> text=Move to keys in use');
    await until(page, () => [...document.querySelectorAll('table.keys tbody tr')].some((r) => r.textContent.includes('bob') && r.textContent.includes('5 of 5')));
    c.check((await keyRow('alice')).includes('0 of 5'), `rewrapping moves alice's testimonies to bob: ${await keyRow('alice')}`);
    const sealed = desk.cli('list', '--sealed-to', 'bob');
    c.check(sealed.status === 0 && sealed.stdout.trim().endsWith('5 of 5 testimonies'), `and the command line sees it: ${sealed.stdout}`);
    // bob's laptop is lost: his key is removed for good. The session's own
    // key (alice) offers no Remove.
    c.check(await page.locator('table.keys tbody tr:has-text("alice") >> text=Remove').count() === 0,
      "the session's own key cannot be removed here");
    await page.click('table.keys tbody tr:has-text("bob") >> text=Remove');
    await until(page, () => !document.querySelector('table.keys tbody')?.textContent.includes('bob'));
    const removed = await page.textContent('.outcome');
    c.check(removed.includes('The key is removed') && removed.includes("removed key 'bob' for good") &&
      removed.includes('made before now'), `the page says the key is removed, and what that means: ${removed}`);
    c.check((await keyRow('alice')).includes('5 of 5'), `what was sealed to bob alone is sealed to alice now: ${await keyRow('alice')}`);
    const asBob = desk.cli('list', '--key', 'bob', '--passphrase-file', org.pass);
    c.check(asBob.status !== 0 && /no key named 'bob'/.test(asBob.stderr), `bob's passphrase opens nothing: ${asBob.stderr}`);
    const still = desk.cli('list');
    c.check(still.status === 0 && still.stdout.trim().endsWith('5 of 5 testimonies'), `the desk still works on the re-keyed vault: ${still.stdout} ${still.stderr}`);
    // The vault's backup, from the keys page.
    const backup = join(usb, 'vault.backup');
    await page.fill('#b-path', backup);
    await page.getByRole('button', { name: 'Make the backup', exact: true }).click();
    await until(page, () => /backup is written and checked/.test(document.querySelector('main')?.textContent ?? ''));
    c.check(existsSync(backup) && /an intact vault: 5 testimonies/.test(run(MALYAVA, 'backup', '--check', backup)),
      'the desk makes a backup the command line finds intact');

    // -- a bundle from another organisation's drop-box: refused, then taken
    // on purpose; its testimony, which no key opens, is deleted.
    const otherRoot = join(root, 'other');
    mkdirSync(otherRoot);
    const otherOrg = new Org(otherRoot);
    const otherSrv = await new Server(otherRoot, otherOrg, powSettings(8)).start();
    submit(otherSrv, otherOrg, otherRoot, 'OTHER-ORG sealed to another organisation', [], [], null);
    run(DROPBOX, 'export', otherSrv.data, '-o', join(usb, 'other.bundle'));
    await otherSrv.stop();
    const importOther = async (accept) => {
      await page.click('#nav a[href="#/import"]');
      await page.fill('#folder', usb);
      await page.getByRole('button', { name: 'Open', exact: true }).click();
      await page.waitForSelector('ul.bundles li:has-text("other.bundle")');
      if (accept) await page.check('#accept-dropbox');
      await page.click('ul.bundles li:has-text("other.bundle") button');
      await page.waitForSelector('main .result .outcome, main .result .error');
      return page.textContent('main .result');
    };
    const refused = await importOther(false);
    c.check(/did not finish/.test(refused) && /another drop-box/.test(refused) && !existsSync(join(usb, 'other.bundle.ack')),
      `a bundle from another drop-box is refused: ${refused}`);
    const taken = await importOther(true);
    c.check(/1 that no key of this vault opens/.test(taken), `ticked, it is taken: ${taken}`);
    c.check(!(await page.isChecked('#accept-dropbox')), 'taking another drop-box is asked each time');
    const rows = JSON.parse((await desk.request('GET', '/api/inbox', good)).body).rows;
    const foreign = rows.find((r) => !r.readable)?.id;
    c.check(rows.length === 6 && foreign !== undefined, `the other organisation's testimony is in, unreadable: ${rows.length}`);
    await page.goto(`${desk.url}/#/t/${foreign}`);
    await page.getByRole('button', { name: 'Delete this testimony', exact: true }).click();
    await page.waitForSelector('table.inbox tbody tr');
    await until(page, () => document.querySelectorAll('table.inbox tbody tr').length === 5);
    c.check((await desk.request('GET', `/api/testimony?id=${foreign}`, good)).status === 404, 'the deleted testimony is gone');
    const hist = desk.cli('history', String(foreign));
    c.check(hist.status === 0 && /alice\s+delete/.test(hist.stdout), `its history says who deleted it: ${hist.stdout}`);
    const kept = JSON.parse((await desk.request('POST', '/api/delete', { ...good, 'Content-Type': 'application/json', Origin: desk.url },
      JSON.stringify({ ids: [kopeisk] }))).body);
    c.check(kept.status === 1 && /evidence/.test(kept.err), `a testimony that opens is never deleted: ${JSON.stringify(kept)}`);

    // -- languages
    for (const [code, word] of [['ru', 'Входящие'], ['uk', 'Вхідні']]) {
      await page.selectOption('#lang', code);
      await page.click('#nav a[href="#/inbox"]');
      await until(page, (w) => document.querySelector('#nav a').textContent === w, word);
      const text = await page.textContent('main');
      c.check((await page.getAttribute('html', 'lang')) === code && /[а-яіїєґ]/i.test(text), `the desk speaks ${code}`);
    }
    await page.selectOption('#lang', 'en');

    // -- refusals
    const origin = desk.url;
    c.check((await desk.request('GET', '/api/inbox', good)).status === 200, 'the session reads the inbox');
    c.check((await desk.request('GET', '/api/inbox')).status === 403, 'no session cookie: refused');
    c.check((await desk.request('GET', '/api/inbox', { Cookie: `${cookie.name}=${'0'.repeat(64)}` })).status === 403, 'a wrong cookie: refused');
    c.check((await desk.request('GET', '/api/inbox', { ...good, Host: `localhost:${desk.port}` })).status === 421, 'Host localhost: refused');
    c.check((await desk.request('GET', '/api/inbox', { ...good, Host: `evil.example:${desk.port}` })).status === 421, 'a rebound name in Host: refused');
    c.check((await desk.request('GET', desk.address.slice(desk.url.length))).status === 403, 'the one-time address works once');
    const change = JSON.stringify({ ids: [hostileId], action: 'status', value: 'rejected' });
    const post = (h) => desk.request('POST', '/api/triage', { ...good, 'Content-Type': 'application/json', ...h }, change);
    c.check((await post({})).status === 403, 'a change without Origin: refused');
    c.check((await post({ Origin: 'http://evil.example' })).status === 403, 'a change from a foreign Origin: refused');
    c.check((await post({ Origin: 'http://127.0.0.1:1' })).status === 403, 'a change from another local port: refused');
    c.check((await post({ Origin: origin, 'Sec-Fetch-Site': 'same-site' })).status === 403, 'Sec-Fetch-Site same-site: refused');
    c.check((await post({ Origin: origin, 'Content-Type': 'text/plain' })).status === 415, 'a change that is not JSON: refused');
    // A page of another program on 127.0.0.1 is "same-site": the browser
    // sends the desk's cookie with its requests; the desk still refuses.
    const evil = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<script>
        fetch('${origin}/api/triage', { method: 'POST', mode: 'no-cors', credentials: 'include',
          headers: { 'Content-Type': 'text/plain' }, body: ${JSON.stringify(change)} }).finally(() => { document.title = 'sent'; });
        </script><form method="post" action="${origin}/api/lock" enctype="text/plain"><input name="x" value="y"></form>`);
    });
    await new Promise((r) => evil.listen(0, '127.0.0.1', r));
    const evilPage = await ctx.newPage();
    await evilPage.goto(`http://127.0.0.1:${evil.address().port}/`);
    await evilPage.waitForFunction(() => document.title === 'sent');
    await evilPage.evaluate(() => document.forms[0].submit());
    await evilPage.waitForLoadState();
    await evilPage.close();
    evil.close();
    const after = JSON.parse((await desk.request('GET', `/api/testimony?id=${hostileId}`, good)).body);
    const state = JSON.parse((await desk.request('GET', '/api/state', good)).body);
    c.check(after.status === 'new' && !state.locked, `another local page changed nothing and locked nothing: ${after.status} ${state.locked}`);
    for (const p of ['/', '/static/js/app.js', '/api/inbox']) {
      const r = await desk.request('GET', p, good);
      c.check(r.headers['cache-control'] === 'no-store' && r.headers['x-frame-options'] === 'DENY' &&
        /frame-ancestors 'none'/.test(r.headers['content-security-policy'] ?? '') && r.headers['x-content-type-options'] === 'nosniff',
        `${p}: no-store, no framing, nosniff`);
    }
    c.check(/script-src 'self';/.test((await desk.request('GET', '/', good)).headers['content-security-policy']) &&
      !/unsafe-inline|unsafe-eval/.test((await desk.request('GET', '/', good)).headers['content-security-policy']), 'the page allows no inline script');

    // -- lock and unlock
    await page.click('#nav a[href="#/inbox"]');
    await page.waitForSelector('table.inbox tbody tr');
    await page.click('#lock');
    await page.waitForSelector('#locked', { state: 'visible' });
    c.check(!(await page.textContent('body')).includes('Kopeisk'), 'locking takes the decrypted text off the page');
    c.check((await desk.request('GET', '/api/inbox', good)).status === 423, 'a locked desk answers 423');
    const wrong = join(root, 'wrong-pass');
    writeFileSync(wrong, 'not the passphrase\n');
    const locked = desk.cli('list', '--passphrase-file', wrong);
    c.check(locked.status !== 0 && /desk is locked/.test(locked.stderr), `the command line is told the desk is locked: ${JSON.stringify(locked)}`);
    const own = desk.cli('list', '--passphrase-file', org.pass);
    c.check(own.status === 0 && own.stdout.trim().endsWith('5 of 5 testimonies'), 'and unlocks by itself meanwhile');
    c.check(page.problems.length === 0, `no console error or CSP violation in the whole session: ${page.problems}`);
    await page.fill('#unlock-pass', 'not the passphrase');
    await page.click('#unlock-form button');
    await page.waitForSelector('#unlock-error', { state: 'visible' });
    c.check((await page.textContent('#unlock-error')).includes('did not unlock'), 'a wrong passphrase is told');
    await page.fill('#unlock-pass', readFileSync(org.pass, 'utf8').trimEnd());
    await page.click('#unlock-form button');
    await page.waitForSelector('table.inbox tbody tr');
    c.check(await page.locator('table.inbox tbody tr').count() === 5, 'the right passphrase brings the inbox back');
    // The browser notes the refused unlock (403) on its console; nothing else.
    c.check(page.problems.length === 1 && /403/.test(page.problems[0]), `only the wrong passphrase's 403 since: ${page.problems}`);
    // Closing the desk (Ctrl-C where it runs) empties the page too.
    await desk.stop();
    await page.waitForSelector('text=The desk was closed', { timeout: 15000 });
    c.check(!(await page.textContent('body')).includes('Kopeisk'), 'a closed desk leaves no testimony on the page');
    await ctx.close();
  } finally {
    await desk.stop();
  }

  // -- a desk that locks itself when idle
  const idle = new Desk(root, org, 'idle');
  try {
    await idle.start('--idle-minutes', '0.05');
    const ctx = await b.newContext();
    const page = await watchedPage(ctx);
    await page.goto(idle.address);
    await page.waitForSelector('h1');
    await page.waitForSelector('#locked', { state: 'visible', timeout: 20000 });
    c.check(true, 'the page shows the unlock form once the desk locked itself');
    c.check(/desk locked/.test(idle.log), `the desk says it locked: ${idle.log}`);
    const state = await page.evaluate(async () => (await fetch('/api/state')).json());
    c.check(state.locked === true, 'and the desk says so');
    c.check(page.problems.length === 0, `no console error: ${page.problems}`);
    await ctx.close();
  } finally {
    await idle.stop();
  }
});
