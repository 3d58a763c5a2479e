// Runs the proof of work off the page's thread, so typing and the quick
// exit stay responsive while it counts.
import sodium from '../vendor/sodium.js';
import { solve } from './pow.js';

self.onmessage = async (ev) => {
  await sodium.ready;
  const { challenge, bits } = ev.data;
  try {
    const answer = solve(sodium, challenge, bits, (tries) => {
      self.postMessage({ tries });
      return false;
    });
    self.postMessage({ answer });
  } catch (e) {
    self.postMessage({ error: String(e.message) });
  }
};
