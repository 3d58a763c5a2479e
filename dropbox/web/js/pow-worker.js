// Runs the proof of work off the page's thread, so typing and the quick
// exit stay responsive while it counts. Without WebAssembly libsodium's
// module build cannot run here; the worker says so and the page counts.
import { solve } from './pow.js';

self.onmessage = async (ev) => {
  try {
    if (typeof WebAssembly !== 'object') throw new Error('no WebAssembly');
    const sodium = (await import('../vendor/sodium.js')).default;
    await sodium.ready;
    const { challenge, bits } = ev.data;
    const answer = solve(sodium, challenge, bits, (tries) => {
      self.postMessage({ tries });
      return false;
    });
    self.postMessage({ answer });
  } catch (e) {
    self.postMessage({ error: String(e.message) });
  }
};
