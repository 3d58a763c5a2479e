// The source's reply account (docs/PROTOCOL.md): the codename's login
// token and reply key, registered for a proof of work. The pages register
// on every visit: an account no reply waits for lives a fixed number of
// days (or gives its place to a newer one when the server is full), and
// registering again links back every reply sent since.
import { toHex } from './bytes.js';
import { proofOfWork } from './pow.js';

// A challenge may expire on a slow link, or the server restart: solve
// another, a few times.
const TRIES = 3;

// Resolves when registered; rejects with the server's reason otherwise.
export async function registerCodename(sodium, keys) {
  const body = `${toHex(keys.token)}\n${toHex(keys.publicKey)}\n`;
  for (let attempt = 1; ; attempt++) {
    const pow = await proofOfWork(sodium);
    const r = await fetch('/api/v1/replies/register', {
      method: 'POST', body, headers: pow ? { 'Malyava-Pow': pow } : {}, cache: 'no-store', credentials: 'omit',
    });
    if (r.status === 204) return;
    if (r.status !== 403 || attempt === TRIES) throw new Error((await r.text()).trim() || String(r.status));
  }
}
