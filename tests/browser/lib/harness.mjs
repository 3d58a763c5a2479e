// What every browser test needs: an organisation made by malyava-keys, a
// real malyava-dropbox on 127.0.0.1 with a free port, Debian's chromium
// driven by playwright-core, a record of console errors and CSP reports,
// and the editors' side (export bundle, `malyava open`).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const DROPBOX = process.env.MALYAVA_DROPBOX;
export const MALYAVA = process.env.MALYAVA;
export const KEYS = process.env.MALYAVA_KEYS;
export const MKREPLY = process.env.SRV_MKREPLY;
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const PASS = 'correct horse battery staple\n';

export function run(cmd, ...args) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export class Org {
  constructor(root) {
    if (!DROPBOX || !MALYAVA || !KEYS) throw new Error('MALYAVA_DROPBOX, MALYAVA and MALYAVA_KEYS must name the built programs');
    this.root = root;
    this.dir = join(root, 'org');
    this.pass = join(root, 'pass');
    writeFileSync(this.pass, PASS);
    run(KEYS, '--dir', this.dir, 'init', '--kdf', 'interactive', '--passphrase-file', this.pass);
    run(KEYS, '--dir', this.dir, 'editor', 'new', 'alice', '--kdf', 'interactive', '--passphrase-file', this.pass);
    run(KEYS, '--dir', this.dir, 'manifest', 'sign', '--add', join(this.dir, 'editors/alice.pub'), '--passphrase-file', this.pass);
    this.orgPub = join(this.dir, 'org.pub');
    this.manifest = join(this.dir, 'manifest');
    this.editorKey = join(this.dir, 'editors/alice.key');
  }

  // `malyava open` of one envelope: { receipt, message, meta, files: {name: Buffer}, stdout }.
  open(envelope, name) {
    const out = join(this.root, `opened-${name}`);
    const stdout = run(MALYAVA, 'open', '--key', this.editorKey, '--passphrase-file', this.pass, envelope, '-o', out);
    const files = {};
    let names = [];
    try {
      names = readdirSync(join(out, 'files'));
    } catch {
      names = [];
    }
    for (const n of names) files[n] = readFileSync(join(out, 'files', n));
    let message = null;
    try {
      message = readFileSync(join(out, 'message.txt'), 'utf8');
    } catch {
      message = null;
    }
    return {
      receipt: /^receipt: (\S+)$/m.exec(stdout)?.[1], stdout, message,
      meta: JSON.parse(readFileSync(join(out, 'metadata.json'), 'utf8')), files,
    };
  }
}

export class Server {
  constructor(root, org, settings = []) {
    this.root = root;
    this.data = join(root, 'data');
    this.org = org;
    run(DROPBOX, 'init', this.data, '--org-key', org.orgPub, '--manifest', org.manifest, ...settings);
  }

  start() {
    return new Promise((resolve, reject) => {
      this.proc = spawn(DROPBOX, ['serve', this.data, '--listen', '127.0.0.1:0', '--editors-listen', 'off'], { stdio: ['ignore', 'pipe', 'pipe'] });
      this.log = '';
      this.proc.stderr.on('data', (d) => {
        this.log += d;
      });
      let out = '';
      const timer = setTimeout(() => reject(new Error(`server did not start: ${this.log}`)), 30000);
      this.proc.stdout.on('data', (d) => {
        out += d;
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
        if (m) {
          clearTimeout(timer);
          this.url = m[1];
          resolve(this);
        }
      });
      this.proc.on('exit', (code) => reject(new Error(`server exited ${code}: ${this.log}`)));
    });
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await done;
    if (/Sanitizer|runtime error:/.test(this.log)) throw new Error(`the server's sanitizers reported:\n${this.log}`);
  }

  // The export bundle, read back into { id: { receipt, serverSealed, path } }.
  export() {
    const bundle = join(this.root, `bundle-${Date.now()}.sqlite`);
    run(DROPBOX, 'export', this.data, '-o', bundle);
    const rows = run('sqlite3', '-readonly', bundle, 'SELECT id, receipt, server_sealed FROM submissions ORDER BY id')
      .trim().split('\n').filter((l) => l !== '');
    const out = {};
    for (const line of rows) {
      const [id, receipt, sealed] = line.split('|');
      const dir = join(this.root, `chunks-${id}`);
      mkdirSync(dir, { recursive: true });
      run('sqlite3', '-readonly', bundle,
        `SELECT writefile('${dir}/' || printf('%08d', seq), data) FROM chunks WHERE submission = '${id}'`);
      const parts = readdirSync(dir).sort().map((n) => readFileSync(join(dir, n)));
      const path = join(this.root, `${id}.mlv`);
      writeFileSync(path, Buffer.concat(parts));
      rmSync(dir, { recursive: true, force: true });
      out[id] = { receipt, serverSealed: sealed === '1', path };
    }
    return out;
  }

  // The reply accounts the server holds (token hashes, hex).
  accounts() {
    return run('sqlite3', '-readonly', join(this.data, 'malyava.db'), 'SELECT hex(token_hash) FROM reply_accounts')
      .trim().split('\n').filter((l) => l !== '');
  }

  // Every reply account gone, as after reply_account_days without a reply
  // or when newer sources took their places.
  forgetAccounts() {
    run('sqlite3', join(this.data, 'malyava.db'), 'DELETE FROM reply_accounts');
  }

  // An editor's reply to `replyKeyHex`, proven with alice's key, carried
  // in as a replies bundle.
  reply(replyKeyHex, message) {
    const env = join(this.root, `reply-${Date.now()}.env`);
    run(MKREPLY, '--editor', this.org.editorKey, this.org.pass, replyKeyHex, env, message);
    const bundle = join(this.root, `replies-${Date.now()}.sqlite`);
    const id = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
    run('sqlite3', bundle, `PRAGMA application_id = 1296848466; PRAGMA user_version = 1;
      CREATE TABLE bundle_info (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
      CREATE TABLE replies (id TEXT PRIMARY KEY, reply_key TEXT NOT NULL, created_day INTEGER NOT NULL, data BLOB NOT NULL) STRICT;
      INSERT INTO bundle_info VALUES ('kind', 'replies'), ('format', '1'), ('created_day', '${Math.floor(Date.now() / 86400000)}');
      INSERT INTO replies VALUES ('${id}', '${replyKeyHex}', ${Math.floor(Date.now() / 86400000)}, readfile('${env}'));`);
    return run(DROPBOX, 'import-replies', this.data, bundle);
  }
}

// What whoever holds the server can do without any editor: write rows
// into its database. `mode` is srv_mkreply's --bare or --forger.
export function forgeReply(srv, replyKeyHex, message, mode) {
  const env = join(srv.root, `forged-${Date.now()}-${mode.slice(2)}.env`);
  run(MKREPLY, mode, replyKeyHex, env, message);
  const id = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
  run('sqlite3', '-cmd', '.timeout 10000', join(srv.data, 'malyava.db'),
    `INSERT INTO replies (id, reply_key, created_day, envelope) VALUES ('${id}', X'${replyKeyHex}', ` +
    `${Math.floor(Date.now() / 86400000)}, readfile('${env}'));`);
}

// A reply account as registration leaves it: the login token's hash and the key.
export function registerDirectly(srv, tokenHashHex, replyKeyHex) {
  run('sqlite3', '-cmd', '.timeout 10000', join(srv.data, 'malyava.db'),
    `INSERT INTO reply_accounts (token_hash, reply_key, last_active_day) VALUES (X'${tokenHashHex}', ` +
    `X'${replyKeyHex}', ${Math.floor(Date.now() / 86400000)});`);
}

export async function browser(...extra) {
  return chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-background-networking', ...extra] });
}

// A page whose console errors, uncaught exceptions and CSP violations are
// all collected: a test fails if any appear. (A failed request the page
// recovers from is not one: resuming is the point.)
export async function watchedPage(context) {
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content.Security.Policy|Refused to/i.test(m.text())) page.problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.problems.push(`exception: ${e.message}`));
  return page;
}

export function tmp(tag) {
  return mkdtempSync(join(tmpdir(), `malyava-browser-${tag}-`));
}

export class Checks {
  constructor() {
    this.failed = 0;
    this.passed = 0;
  }

  check(cond, what) {
    if (cond) this.passed++;
    else {
      this.failed++;
      console.error(`FAIL: ${what}`);
    }
    return cond;
  }

  exit() {
    console.error(`${this.passed} checks passed, ${this.failed} failed`);
    process.exit(this.failed ? 1 : 0);
  }
}

// The proof-of-work difficulty for a test server: small, so tests spend
// their time on what they check.
export function powSettings(bits) {
  return /--pow-bits/.test(run(DROPBOX, '--help')) ? ['--pow-bits', String(bits)] : [];
}

// One browser test: an organisation, a server, a browser; every check
// counted, an exception a failure, everything removed at the end; exits
// with the verdict.
export async function scenario(tag, { settings = [], browserArgs = [] }, body) {
  const c = new Checks();
  const root = tmp(tag);
  let srv = null;
  let b = null;
  try {
    const org = new Org(root);
    srv = await new Server(root, org, settings).start();
    b = await browser(...browserArgs);
    await body({ c, root, org, srv, b });
  } catch (e) {
    c.check(false, `unexpected: ${e.stack}`);
  } finally {
    await b?.close();
    await srv?.stop();
    rmSync(root, { recursive: true, force: true });
  }
  c.exit();
}

// The come-back page with `typed` as the codename: the page and the
// first reply's text.
export async function readReply(context, srv, typed, lang) {
  const page = await watchedPage(context);
  await page.goto(`${srv.url}/replies?lang=${lang}`);
  await page.fill('#codename-input', typed);
  await page.click('#come-back button[type=submit]');
  await page.waitForSelector('.reply', { timeout: 300000 });
  return { page, text: await page.textContent('.reply .message') };
}
