// A small tus 1.0 client for one upload whose bytes are made as they are
// sent: the envelope is sealed on the fly, so the bytes of a PATCH cannot
// be made again. They are kept until the server has them durably (a 204,
// or an offset from HEAD past them), which is at most one PATCH's worth.
// A dropped link, a sleeping phone or a busy server only pause the
// upload: it asks HEAD where to go on and sends the rest, never the
// whole again.

const TUS = { 'Tus-Resumable': '1.0.0' };
export const PATCH_BYTES = 1 << 20;
const PATCH_TIMEOUT_MS = 180000;
const RETRY_MS = [500, 1000, 2000, 4000, 8000, 15000];

export class UploadError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code; // REFUSED, EXPIRED, POW, UNREACHABLE, SERVER
  }
}

function sleep(ms, wake) {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      wake.removeEventListener('wake', done);
      resolve();
    }
    wake.addEventListener('wake', done);
  });
}

export class TusUpload {
  // events: onProgress({offset, length}), onState('sending'|'waiting'|'unreachable', detail)
  constructor({ endpoint = '/api/v1/uploads', length, pow, onProgress = () => {}, onState = () => {}, patchBytes = PATCH_BYTES,
    fetchImpl = (...a) => fetch(...a) }) {
    this.endpoint = endpoint;
    this.length = length;
    this.pow = pow;
    this.onProgress = onProgress;
    this.onState = onState;
    this.patchBytes = patchBytes;
    this.fetch = fetchImpl;
    this.offset = 0; // what the server holds durably
    this.pending = []; // bytes made but not yet confirmed, from this.offset on
    this.pendingBytes = 0;
    this.location = null;
    this.receipt = null;
    this.firstPatch = true;
    this.wake = new EventTarget();
    if (typeof window !== 'undefined') {
      // Coming back online or to the foreground: try at once.
      const poke = () => this.wake.dispatchEvent(new Event('wake'));
      window.addEventListener('online', poke);
      document.addEventListener('visibilitychange', () => {
        if (document.visibilityState === 'visible') poke();
      });
    }
  }

  async _request(method, url, headers, body) {
    const ctl = new AbortController();
    const t = setTimeout(() => ctl.abort(), PATCH_TIMEOUT_MS);
    try {
      return await this.fetch(url, { method, headers: { ...TUS, ...headers }, body, signal: ctl.signal,
        cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' });
    } finally {
      clearTimeout(t);
    }
  }

  async _retrying(what) {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await what();
        if (r.status >= 500 || r.status === 409 || r.status === 429) throw new Error(`busy (${r.status})`);
        if (attempt > 0) this.onState('sending');
        return r;
      } catch (e) {
        if (e instanceof UploadError) throw e;
        this.onState(attempt >= 3 ? 'unreachable' : 'waiting', e.message);
        await sleep(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)], this.wake);
      }
    }
  }

  async create() {
    const r = await this._retrying(() => this._request('POST', this.endpoint,
      { 'Upload-Length': String(this.length), ...(this.pow ? { 'Malyava-Pow': this.pow } : {}) }));
    if (r.status === 428 || r.status === 403) throw new UploadError('POW', await r.text());
    if (r.status !== 201) throw new UploadError('REFUSED', await r.text());
    this.location = new URL(r.headers.get('Location'), globalThis.location?.href ?? 'http://localhost/').pathname;
    this.onState('sending');
  }

  // Appends bytes to the upload; resolves when they are buffered or sent.
  async write(bytes) {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    // The first PATCH carries the envelope header alone: a refused one
    // then costs nothing (docs/PROTOCOL.md).
    if (this.firstPatch || this.pendingBytes >= this.patchBytes) await this._flush();
  }

  async finish() {
    if (this.pendingBytes > 0 || this.offset < this.length) await this._flush();
    if (this.offset !== this.length) throw new UploadError('SERVER', 'the upload did not complete');
    return this.receipt;
  }

  // Sends everything pending, resuming from wherever the server stands.
  async _flush() {
    this.firstPatch = false;
    const body = new Uint8Array(this.pendingBytes);
    let o = 0;
    for (const p of this.pending) {
      body.set(p, o);
      o += p.length;
    }
    this.pending = [];
    this.pendingBytes = 0;
    const start = this.offset;
    const end = start + body.length;
    let failures = 0;
    let lost = false;
    while (this.offset < end) {
      try {
        if (lost) await this._head();
        if (this.offset < start || this.offset > end) throw new UploadError('SERVER', 'the server lost bytes it had confirmed');
        if (this.offset === end) break;
        const r = await this._request('PATCH', this.location, {
          'Content-Type': 'application/offset+octet-stream', 'Upload-Offset': String(this.offset) },
        body.subarray(this.offset - start));
        if (r.status === 404 || r.status === 410) throw new UploadError('EXPIRED', await r.text());
        if (r.status === 409 || r.status === 429 || r.status >= 500) throw new Error(`busy (${r.status})`);
        if (r.status !== 204) throw new UploadError('REFUSED', await r.text());
        this._took(r);
        if (failures > 0) this.onState('sending');
        failures = 0;
        lost = false;
      } catch (e) {
        if (e instanceof UploadError) throw e;
        // Cut off, timed out or busy: the server may hold part of this
        // PATCH. Wait, then ask it where to go on.
        this.onState(failures >= 3 ? 'unreachable' : 'waiting', e.message);
        await sleep(RETRY_MS[Math.min(failures, RETRY_MS.length - 1)], this.wake);
        failures++;
        lost = true;
      }
    }
  }

  _took(r) {
    this.offset = Number(r.headers.get('Upload-Offset'));
    const receipt = r.headers.get('Malyava-Receipt');
    if (receipt) this.receipt = receipt;
    this.onProgress({ offset: this.offset, length: this.length });
  }

  // Where the server stands, after a failure.
  async _head() {
    const r = await this._request('HEAD', this.location, {});
    if (r.status === 404 || r.status === 410) throw new UploadError('EXPIRED', 'the upload expired');
    if (r.status !== 200) throw new Error(`HEAD answered ${r.status}`);
    this._took(r);
  }
}
