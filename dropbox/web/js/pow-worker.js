// Runs the proof of work off the page's thread, so typing and the quick
// exit stay responsive while it counts. The page starts this worker as
// soon as it has loaded, so libsodium arrives here while the source is
// still writing, not when they press send. Without WebAssembly the
// module build cannot run here; the worker says so and the page counts.
import { solve } from './pow.js';

const ready = (async () => {
  if (typeof WebAssembly !== 'object') throw new Error('no WebAssembly');
  const sodium = (await import('../vendor/sodium.js')).default;
  await sodium.ready;
  return sodium;
})();
ready.catch(() => {}); // reported to the page with the first challenge

self.onmessage = async (ev) => {
  try {
    const sodium = await ready;
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
