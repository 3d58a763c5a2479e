// Nothing the page seals may become unreadable once acknowledged. The real
// page in Chromium seals a testimony whose message, fields and file names
// hold every Unicode general category — C0 and C1 controls (U+0085, U+0096
// as mis-decoded Windows text leaves them), bidirectional and zero-width
// format characters, private use, the neighbours of the surrogates,
// noncharacters, line and paragraph separators, combining marks, astral
// characters, even NUL. The editors export, import (the ack file names it:
// the server may now delete it), and list, search, show, extract and reply
// to it with `malyava`: every command works, the text is what the source
// typed (NUL as U+FFFD, a name's control characters as "_", the page's
// rule), and nothing printed drives the terminal.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MALYAVA, DROPBOX, powSettings, run, scenario, watchedPage } from './lib/harness.mjs';

const CATEGORIES = {
  'Cc C0': '\u0001\u001b[2J\u001b]0;pwned\u0007\t',
  'Cc C1': '\u007f\u0085\u0096\u009b2J',
  'Cf bidi': '\u202e\u2066\u200e\u061c',
  'Cf zero-width': '\u200b\u200c\u200d\ufeff\u00ad',
  'Cf astral': '\u{e0041}',
  Co: '\ue000\uf8ff\u{f0000}\u{10fffd}',
  'next to Cs': '\ud7ff\ue000\ufffd',
  noncharacters: '\ufffe\uffff\u{10ffff}',
  'Zl Zp': '\u2028\u2029',
  'Mn Me': 'e\u0301\u20dd\u0489',
  astral: '\u{1f600}\u{1d11e}\u{20000}',
  scripts: 'ИК-2 مرحبا שלום 漢',
};
const ALL = Object.values(CATEGORIES).join('');
const MESSAGE = `MARKER-MESSAGE ${Object.entries(CATEGORIES).map(([k, v]) => `${k}: ${v}`).join(' | ')} NUL:\u0000.`;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

// Every byte printed is text, and none but newline and tab drives a terminal.
const terminalSafe = (out) => !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e\u2066\u200e]/.test(out);

await scenario('unicode', { settings: powSettings(10) }, async ({ c, root, org, srv, b }) => {
  const ctx = await b.newContext();
  const page = await watchedPage(ctx);
  await page.goto(`${srv.url}/submit?lang=en`);
  const files = Object.entries(CATEGORIES).map(([k, v]) => ({
    name: `${k.replaceAll(' ', '-')}-${v}.txt`, mimeType: 'text/plain', buffer: Buffer.from(k),
  }));
  await page.fill('#message', MESSAGE);
  await page.fill('#place', `MARKER-PLACE ${ALL}`);
  await page.fill('#affected', CATEGORIES['Cc C1']);
  await page.setInputFiles('#files', files);
  await page.waitForFunction((n) => document.querySelectorAll('#file-list li .name').length === n, files.length);
  const typed = await page.inputValue('#message');
  const place = await page.inputValue('#place');
  await page.click('#to-codename');
  await page.check('#codename-ok');
  await page.click('#send');
  await page.waitForSelector('#step-done:not([hidden])', { timeout: 300000 });
  const receipt = (await page.textContent('#receipt')).trim();
  c.check(page.problems.length === 0, `no console error: ${page.problems}`);

  const bundle = join(root, 'export.bundle');
  run(DROPBOX, 'export', srv.data, '-o', bundle);
  const vault = join(root, 'vault');
  run(MALYAVA, 'init', vault);
  run(MALYAVA, 'key', 'add', '--vault', vault, '--passphrase-file', org.pass, org.editorKey);
  const v = (...args) => run(MALYAVA, args[0], '--vault', vault, '--passphrase-file', org.pass, ...args.slice(1));
  const imported = v('import', bundle);
  c.check(/imported 1 new/.test(imported) && readFileSync(`${bundle}.ack`, 'utf8').includes(receipt),
    `imported and acked: ${imported}`);

  const outputs = { list: v('list'), search: v('search', 'marker-message'), 'search astral': v('search', '\u{1f600}') };
  c.check(/1 of 1 testimony\n$/.test(outputs.list) && outputs.list.includes('MARKER-MESSAGE'), `list: ${outputs.list}`);
  c.check(/1 of 1 testimony match\n$/.test(outputs.search) && /1 of 1 testimony match\n$/.test(outputs['search astral']),
    'search finds it, by an astral character too');
  outputs.show = v('show', '1');
  c.check(outputs.show.includes('MARKER-PLACE') && outputs.show.includes('\\x85') && outputs.show.includes('\\u{202e}'),
    `show prints it with controls made visible: ${outputs.show}`);
  const out = join(root, 'out');
  outputs.extract = v('extract', '1', '-o', out);
  const message = readFileSync(join(out, 'message.txt'), 'utf8');
  c.check(typed.includes('\u0000') && message === typed.replaceAll('\u0000', '\ufffd'),
    'the message arrives as typed (NUL as U+FFFD)');
  c.check(message.includes('\u0085\u0096') && message.includes(CATEGORIES.Co), 'C1 controls and private use included');
  const meta = JSON.parse(readFileSync(join(out, 'metadata.json'), 'utf8'));
  c.check(meta.fields.place === place && meta.fields.affected === CATEGORIES['Cc C1'], 'the fields arrive as typed');
  const names = readdirSync(join(out, 'files')).sort();
  const want = files.map((f) => f.name.replace(CONTROL, '_')).sort();
  c.check(JSON.stringify(names) === JSON.stringify(want), `every file under its name, controls as _: ${names}`);
  for (const f of files) {
    const got = readFileSync(join(out, 'files', f.name.replace(CONTROL, '_')));
    c.check(got.equals(f.buffer), `${f.name}: the file's bytes`);
  }
  outputs.reply = v('reply', '1', '--message', `MARKER-REPLY ${ALL}`, '--manifest', org.manifest, '--org-key', org.orgPub);
  outputs.history = v('history', '1');
  for (const [what, text] of Object.entries(outputs)) c.check(terminalSafe(text), `${what}: nothing printed drives the terminal`);
});
