// The measuring half of bench/browser-seal. The page is served from
// memory on 127.0.0.1 with the pages' own CSP; a file of random bytes is
// chosen in a file input and sealed exactly as the submit page does: one
// pass to hash, one to seal. The C sealer seals the same file.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const MB = Number(process.argv[2] ?? 100);
const ROOT = new URL('..', import.meta.url).pathname;
const CSP = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'";
const PASS = 'bench passphrase\n';
const run = (cmd, ...a) => execFileSync(cmd, a, { encoding: 'utf8' });

const dir = mkdtempSync(join(tmpdir(), 'malyava-bench-browser-'));
const org = join(dir, 'org');
writeFileSync(join(dir, 'pass'), PASS);
const keys = process.env.MALYAVA_KEYS;
run(keys, '--dir', org, 'init', '--kdf', 'interactive', '--passphrase-file', join(dir, 'pass'));
run(keys, '--dir', org, 'editor', 'new', 'alice', '--kdf', 'interactive', '--passphrase-file', join(dir, 'pass'));
run(keys, '--dir', org, 'manifest', 'sign', '--add', join(org, 'editors/alice.pub'), '--passphrase-file', join(dir, 'pass'));
const manifest = readFileSync(join(org, 'manifest'), 'utf8');
const editorPub = manifest.split('\n').find((l) => l.startsWith('editor ')).split(' ')[2];

const files = {
  '/js/': (p) => readFileSync(join(ROOT, 'dropbox/web', p)),
  '/vendor/sodium.js': () => readFileSync(join(ROOT, 'node_modules/libsodium-wrappers/dist/modules-esm/libsodium-wrappers.mjs'), 'utf8')
    .replace('from"libsodium"', 'from"./libsodium.js"'),
  '/vendor/libsodium.js': () => readFileSync(join(ROOT, 'node_modules/libsodium/dist/modules-esm/libsodium.mjs')),
};
const page = `<!doctype html><meta charset="utf-8"><input type="file" id="f"><script type="module" src="/js/bench.js"></script>`;
const benchJs = `
import sodium from '/vendor/sodium.js';
import { digestOf, encodeRecord, fileSource, PayloadSealer } from '/js/payload.js';
window.bench = async (editorPub) => {
  await sodium.ready;
  const file = document.getElementById('f').files[0];
  const src = fileSource(file);
  const t0 = performance.now();
  const digest = await digestOf(sodium, src);
  const t1 = performance.now();
  const record = encodeRecord({ files: [{ name: 'video.mp4', length: file.size, blake2b: digest }] });
  const sealer = new PayloadSealer(sodium, [{ publicKey: sodium.from_base64(editorPub, sodium.base64_variants.ORIGINAL) }], record, [src], [digest]);
  let out = 0;
  await sealer.run((b) => { out += b.length; });
  const t2 = performance.now();
  return { hashMs: t1 - t0, sealMs: t2 - t1, out, bytes: file.size };
};
// The proof of work as the submit page runs it: the same worker, the
// server's default difficulty, a few random challenges.
window.pow = async (bits, rounds) => {
  const w = new Worker('/js/pow-worker.js', { type: 'module' });
  let total = 0;
  for (let i = 0; i < rounds; i++) {
    const challenge = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');
    const t0 = performance.now();
    await new Promise((resolve) => { w.onmessage = (ev) => { if (ev.data.answer || ev.data.error) resolve(); }; w.postMessage({ challenge, bits }); });
    total += performance.now() - t0;
  }
  w.terminate();
  return total / rounds;
};`;
const server = createServer((req, res) => {
  const h = { 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store' };
  if (req.url === '/') return res.writeHead(200, { ...h, 'Content-Type': 'text/html' }).end(page);
  if (req.url === '/js/bench.js') return res.writeHead(200, { ...h, 'Content-Type': 'text/javascript' }).end(benchJs);
  const body = req.url.startsWith('/js/') ? files['/js/'](req.url.slice(1)) : files[req.url]?.();
  if (!body) return res.writeHead(404).end();
  res.writeHead(200, { ...h, 'Content-Type': 'text/javascript' }).end(body);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-background-networking'] });
try {
  const p = await browser.newPage();
  await p.goto(url);
  await p.waitForFunction(() => typeof window.bench === 'function');
  const input = join(dir, 'video.mp4');
  writeFileSync(input, randomBytes(MB * 1000000));
  await p.setInputFiles('#f', input);
  const r = await p.evaluate((pub) => window.bench(pub), editorPub);
  const t0 = process.hrtime.bigint();
  run(process.env.MALYAVA, 'seal', '--manifest', join(org, 'manifest'), '--org-key', join(org, 'org.pub'), input, '-o', join(dir, 'c.mlv'));
  const cMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const mb = r.bytes / 1e6;
  const browserRate = mb / ((r.hashMs + r.sealMs) / 1000);
  const cRate = mb / (cMs / 1000);
  console.log(`file: ${mb} MB; envelope ${r.out} bytes (browser), ${readFileSync(join(dir, 'c.mlv')).length} bytes (C)`);
  console.log(`chromium (libsodium.js): hash ${(mb / (r.hashMs / 1000)).toFixed(1)} MB/s, seal ${(mb / (r.sealMs / 1000)).toFixed(1)} MB/s, ` +
    `both passes ${browserRate.toFixed(1)} MB/s`);
  console.log(`C (malyava seal, both passes, incl. start-up and writing): ${cRate.toFixed(1)} MB/s`);
  console.log(`ratio browser / C: ${(browserRate / cRate).toFixed(2)}`);
  const powMs = await p.evaluate(() => window.pow(20, 5));
  console.log(`proof of work, 20 bits (the default), in the page's worker: ${(powMs / 1000).toFixed(2)} s on average over 5 challenges`);
} finally {
  await browser.close();
  server.close();
  rmSync(dir, { recursive: true, force: true });
}
