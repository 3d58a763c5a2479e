// Loads libsodium.js. Where the browser runs WebAssembly, the small ES
// module build; where it does not (Tor Browser's "Safer" level turns it
// off), the larger build compiled to plain JavaScript, loaded as a classic
// script (CSP script-src 'self' allows both). Same functions either way.

let loading = null;

function classicScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = resolve;
    s.onerror = () => reject(new Error(`${src} did not load`));
    document.head.append(s);
  });
}

async function plainJavaScript() {
  // The classic build tries WebAssembly first and leaves that attempt's
  // failure unhandled before it switches to plain JavaScript: expected
  // here, so it is not reported as an error.
  const expected = (ev) => {
    if (/WebAssembly|Aborted\(/.test(String(ev.reason?.message ?? ev.reason))) ev.preventDefault();
  };
  window.addEventListener('unhandledrejection', expected);
  try {
    await classicScript('/static/vendor/sodium-plain.js');
    await window.sodium.ready;
    return window.sodium;
  } finally {
    setTimeout(() => window.removeEventListener('unhandledrejection', expected), 1000);
  }
}

export function loadSodium() {
  loading ??= (async () => {
    if (typeof WebAssembly === 'object') {
      try {
        const m = await import('../vendor/sodium.js');
        await m.default.ready;
        return m.default;
      } catch {
        // WebAssembly present but refused (an old browser, a policy):
        // fall through to the plain build.
      }
    }
    return plainJavaScript();
  })();
  return loading;
}
