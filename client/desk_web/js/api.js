// Talking to the desk: JSON over fetch, same origin only. A 423 answer
// means the desk locked itself: the page asks for the passphrase.

export class DeskError extends Error {
  constructor(status, code, detail) {
    super(detail || code);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

let onLocked = () => {};
export function whenLocked(fn) {
  onLocked = fn;
}

async function answer(r) {
  const body = await r.json().catch(() => null);
  if (r.status === 423) onLocked();
  if (!r.ok) throw new DeskError(r.status, body?.error ?? 'failed', body?.detail ?? '');
  return body;
}

export async function get(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (Array.isArray(v)) v.forEach((x) => q.append(k, x));
    else if (v !== undefined && v !== null && v !== '' && v !== false) q.append(k, v === true ? '1' : String(v));
  }
  const s = q.toString();
  return answer(await fetch(s ? `${path}?${s}` : path, { credentials: 'same-origin' }));
}

export async function post(path, body = {}) {
  return answer(await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  }));
}

// A passphrase goes as the raw body, never inside JSON.
export async function postSecret(path, params, secret) {
  const q = new URLSearchParams(params).toString();
  return answer(await fetch(`${path}?${q}`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/octet-stream' },
    body: new TextEncoder().encode(secret),
  }));
}
