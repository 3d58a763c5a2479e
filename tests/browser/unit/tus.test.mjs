// The upload client against a fake tus server that loses the link in
// the worst places: after keeping part of a PATCH, before answering one
// it stored whole, and while busy. Whatever happens, the server ends up
// with exactly the bytes written, in order, and nothing is sent twice
// that it already had.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TusUpload, UploadError } from '../../../dropbox/web/js/tus.js';

class FakeServer {
  constructor(length, faults) {
    this.length = length;
    this.stored = [];
    this.offset = 0;
    this.faults = faults; // (patchNumber, offset, bodyLength) -> null | {keep, answer}
    this.patches = 0;
    this.log = [];
    this.receipt = 'aaaa-bbbb-cccc-dddd-eeee-ffff-0000-1111';
  }

  headers(extra = {}) {
    return new Headers({ 'Upload-Offset': String(this.offset), ...extra });
  }

  fetch = async (url, init) => {
    const h = init.headers;
    if (h['Tus-Resumable'] !== '1.0.0') return new Response('tus', { status: 412 });
    if (init.method === 'POST') {
      this.log.push(['POST', Number(h['Upload-Length']), h['Malyava-Pow']]);
      return new Response(null, { status: 201, headers: { Location: '/api/v1/uploads/abc' } });
    }
    if (init.method === 'HEAD') {
      this.log.push(['HEAD', this.offset]);
      const done = this.offset === this.length ? { 'Malyava-Receipt': this.receipt } : {};
      return new Response(null, { status: 200, headers: this.headers(done) });
    }
    const at = Number(h['Upload-Offset']);
    const body = new Uint8Array(init.body);
    this.log.push(['PATCH', at, body.length]);
    if (at !== this.offset) return new Response('offset', { status: 409 });
    const fault = this.faults(this.patches++, at, body.length);
    const keep = fault ? Math.min(fault.keep, body.length) : body.length;
    this.stored.push(body.slice(0, keep));
    this.offset += keep;
    if (fault?.answer === 'drop') throw new TypeError('network error');
    if (fault?.answer === 'busy') return new Response('busy', { status: 503 });
    const done = this.offset === this.length ? { 'Malyava-Receipt': this.receipt } : {};
    return new Response(null, { status: 204, headers: this.headers(done) });
  };

  bytes() {
    return Buffer.concat(this.stored.map((b) => Buffer.from(b)));
  }
}

async function send(server, data, pieces, patchBytes) {
  const up = new TusUpload({ length: data.length, pow: 'x:0', fetchImpl: server.fetch, patchBytes });
  await up.create();
  for (let off = 0; off < data.length; off += pieces) await up.write(data.subarray(off, off + pieces));
  return up.finish();
}

const data = Uint8Array.from({ length: 300000 }, (_, i) => (i * 31 + 7) & 0xff);

test('a clean upload: header alone first, then PATCHes of the set size', async () => {
  const s = new FakeServer(data.length, () => null);
  const receipt = await send(s, data, 65553, 100000);
  assert.equal(receipt, s.receipt);
  assert.ok(s.bytes().equals(Buffer.from(data)));
  const patches = s.log.filter((l) => l[0] === 'PATCH');
  assert.equal(patches[0][2], 65553, 'the first PATCH carries only the first piece written');
  assert.ok(patches.every((p) => p[2] <= 100000 + 65553));
  assert.equal(s.log.filter((l) => l[0] === 'POST').length, 1);
});

test('cut after the server kept part of a PATCH: it resumes from the server offset', async () => {
  const s = new FakeServer(data.length, (n) => (n === 2 ? { keep: 12345, answer: 'drop' } : null));
  const receipt = await send(s, data, 50000, 100000);
  assert.equal(receipt, s.receipt);
  assert.ok(s.bytes().equals(Buffer.from(data)), 'exactly the bytes, once each');
  const i = s.log.findIndex((l) => l[0] === 'HEAD');
  assert.ok(i > 0, 'asked where to go on');
  const next = s.log[i + 1];
  assert.equal(next[0], 'PATCH');
  assert.equal(next[1], s.log[i][1], 'the next PATCH starts where the server stands');
  assert.ok(next[1] > 0 && next[1] % 50000 !== 0, `mid-PATCH offset ${next[1]}`);
});

test('stored whole but the answer lost, and a busy server: no byte sent twice, none lost', async () => {
  const s = new FakeServer(data.length, (n) => (n === 1 ? { keep: Infinity, answer: 'drop' } : n === 3 ? { keep: 0, answer: 'busy' } : null));
  const receipt = await send(s, data, 70000, 64000);
  assert.equal(receipt, s.receipt);
  assert.ok(s.bytes().equals(Buffer.from(data)));
  const sent = s.log.filter((l) => l[0] === 'PATCH').reduce((n, l) => n + l[2], 0);
  assert.ok(sent <= data.length + 70000 + 64000, `at most the piece in flight is sent again: ${sent}`);
});

test('an expired upload and a refused one end with an UploadError', async () => {
  const gone = new FakeServer(data.length, () => null);
  const base = gone.fetch;
  let n = 0;
  gone.fetch = async (url, init) => (init.method === 'PATCH' && n++ === 1 ? new Response('expired', { status: 410 }) : base(url, init));
  await assert.rejects(send(gone, data, 70000, 64000), (e) => e instanceof UploadError && e.code === 'EXPIRED');
  const refused = new FakeServer(data.length, () => null);
  const base2 = refused.fetch;
  refused.fetch = async (url, init) => (init.method === 'PATCH' ? new Response('not addressed to this manifest', { status: 422 }) : base2(url, init));
  await assert.rejects(send(refused, data, 70000, 64000), (e) => e instanceof UploadError && e.code === 'REFUSED' && /manifest/.test(e.message));
  const pow = new FakeServer(data.length, () => null);
  pow.fetch = async () => new Response('fetch /api/v1/pow', { status: 428 });
  const up = new TusUpload({ length: 10, pow: null, fetchImpl: pow.fetch });
  await assert.rejects(up.create(), (e) => e instanceof UploadError && e.code === 'POW');
});
