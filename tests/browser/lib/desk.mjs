// The editors' desk for browser tests: a vault made with the real
// `malyava`, `malyava desk` started on it with its own runtime directory
// (so its socket never meets a real desk's), raw HTTP requests with any
// headers, and the command line sharing the desk's unlock.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { MALYAVA } from './harness.mjs';

export class Desk {
  constructor(root, org, tag = 'desk') {
    this.root = root;
    this.org = org;
    this.vault = join(root, `${tag}.vault`);
    this.runtime = join(root, `${tag}-run`);
    mkdirSync(this.runtime, { mode: 0o700 });
    // The manifest the Reply box proves replies against (malyava reply).
    this.env = { ...process.env, XDG_RUNTIME_DIR: this.runtime, MALYAVA_VAULT: this.vault,
      MALYAVA_MANIFEST: org.manifest, MALYAVA_ORG_KEY: org.orgPub };
    execFileSync(MALYAVA, ['init', this.vault], { env: this.env });
    execFileSync(MALYAVA, ['key', 'add', '--vault', this.vault, '--passphrase-file', org.pass, org.editorKey], { env: this.env });
  }

  // Starts `malyava desk`; resolves with the one-time address it prints.
  start(...extra) {
    return new Promise((resolve, reject) => {
      this.proc = spawn(MALYAVA, ['desk', '--vault', this.vault, '--passphrase-file', this.org.pass, '--no-browser', ...extra],
        { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      this.log = '';
      this.out = '';
      this.proc.stderr.on('data', (d) => { this.log += d; });
      const timer = setTimeout(() => reject(new Error(`desk did not start: ${this.log}`)), 30000);
      this.proc.stdout.on('data', (d) => {
        this.out += d;
        const m = /(http:\/\/127\.0\.0\.1:(\d+))\/open\?k=[0-9a-f]{64}/.exec(this.out);
        if (m && !this.url) {
          clearTimeout(timer);
          this.address = m[0];
          this.url = m[1];
          this.port = Number(m[2]);
          resolve(this.address);
        }
      });
      this.proc.on('exit', (code) => reject(new Error(`desk exited ${code}: ${this.log}`)));
    });
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    await done;
    if (/Sanitizer|runtime error:/.test(this.log)) throw new Error(`the desk's sanitizers reported:\n${this.log}`);
  }

  // `malyava ARGS` as an editor's script runs it next to the open desk.
  cli(...args) {
    const p = spawnSync(MALYAVA, args, { env: this.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: p.status, stdout: p.stdout, stderr: p.stderr };
  }

  // One HTTP request with exactly these headers; { status, headers, body }.
  request(method, path, headers = {}, body = null) {
    return new Promise((resolve, reject) => {
      const all = body === null ? headers : { 'Content-Length': Buffer.byteLength(body), ...headers };
      const req = http.request({ host: '127.0.0.1', port: this.port, method, path, headers: all }, (res) => {
        const parts = [];
        res.on('data', (d) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(parts).toString('utf8') }));
      });
      req.on('error', reject);
      if (body !== null) req.write(body);
      req.end();
    });
  }
}
