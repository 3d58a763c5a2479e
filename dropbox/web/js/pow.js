// Proof of work before an upload (docs/PROTOCOL.md): the first nonce such
// that BLAKE2b-256(challenge ‖ nonce as u64 LE) starts with `bits` zero
// bits. The server checks one hash; the source's device spends a few
// seconds, which a flood of fake uploads cannot afford.
import { fromHex, toHex } from './bytes.js';

export function leadingZeroBitsAtLeast(h, bits) {
  const full = bits >> 3;
  for (let i = 0; i < full; i++) if (h[i] !== 0) return false;
  const rest = bits & 7;
  return rest === 0 || (h[full] >> (8 - rest)) === 0;
}

// -> the header value "challenge:nonce". `report(tries)` is called now
// and then; it may return true to give up (then null is returned). With
// `count`, only the nonces from `start` to start + count - 1 are tried
// (null if none fits), so a caller can share the thread.
export function solve(sodium, challengeHex, bits, report = () => false, start = 0, count = Number.MAX_SAFE_INTEGER - start) {
  const challenge = fromHex(challengeHex);
  if (challenge.length !== 32 || !Number.isInteger(bits) || bits < 0 || bits > 64) throw new Error('bad challenge');
  const input = new Uint8Array(40);
  input.set(challenge, 0);
  const view = new DataView(input.buffer);
  for (let nonce = start; nonce < start + count; nonce++) {
    view.setUint32(32, nonce >>> 0, true);
    view.setUint32(36, Math.floor(nonce / 2 ** 32), true);
    if (leadingZeroBitsAtLeast(sodium.crypto_generichash(32, input), bits)) {
      return `${challengeHex}:${toHex(input.subarray(32))}`;
    }
    if ((nonce & 0xfff) === 0xfff && report(nonce + 1)) return null;
  }
  return null;
}

// In a page: the work runs in a worker, so typing and the quick exit stay
// responsive; the worker is started early (startWorker) and kept for a
// second challenge. Where it cannot run libsodium (no WebAssembly), the
// page counts itself, pausing every few thousand tries so it still
// answers the quick exit.
const SLICE = 4096;
let worker = null;

export function startWorker() {
  worker ??= new Worker(new URL('./pow-worker.js', import.meta.url), { type: 'module' });
  return worker;
}

export function stopWorker() {
  worker?.terminate();
  worker = null;
}

async function solveHere(sodium, challenge, bits) {
  for (let start = 0; ; start += SLICE) {
    const answer = solve(sodium, challenge, bits, () => false, start, SLICE);
    if (answer) return answer;
    await new Promise((r) => setTimeout(r, 0));
  }
}

function solveAside(sodium, challenge, bits) {
  return new Promise((resolve, reject) => {
    const w = startWorker();
    const here = () => {
      stopWorker();
      solveHere(sodium, challenge, bits).then(resolve, reject);
    };
    w.onmessage = (ev) => {
      if (ev.data.answer) resolve(ev.data.answer);
      else if (ev.data.error) here();
    };
    w.onerror = (ev) => {
      ev.preventDefault();
      here();
    };
    w.postMessage({ challenge, bits });
  });
}

// The Malyava-Pow header value for a fresh challenge from this server,
// for an upload of `length` bytes if given (the work grows with it);
// null when the server asks for none (an older server without the route).
export async function proofOfWork(sodium, length) {
  const query = length === undefined ? '' : `?length=${length}`;
  const r = await fetch(`/api/v1/pow${query}`, { cache: 'no-store', credentials: 'omit' });
  if (r.status === 404) return null;
  if (!r.ok) throw new Error(`/api/v1/pow: ${r.status}`);
  const pow = await r.json();
  return solveAside(sodium, pow.challenge, pow.bits);
}
