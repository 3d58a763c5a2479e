// Hostile text on the page. Everything a testimony, a file name or a USB
// stick holds reaches the page through show(): as text nodes only (never
// markup), inside an element that isolates its direction, with every
// control, bidirectional and invisible character made visible as
// ⟦U+XXXX⟧ in a marked span, so that nothing can hide, reorder or fake
// what is around it. The page makes elements with el() and never uses
// innerHTML or anything like it.

// Controls (C0 but tab and line feed, DEL, C1), the soft hyphen and other
// invisible joiners and fillers, bidirectional marks, embeddings,
// overrides and isolates, line and paragraph separators, the byte order
// mark, interlinear annotation, invisible Mongolian and Khmer marks,
// musical-notation formatting and the tag characters.
const INVISIBLE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u2028-\u202E\u2060-\u206F\u3164\uFEFF\uFFA0\uFFF9-\uFFFB\u{1BCA0}-\u{1BCA3}\u{1D173}-\u{1D17A}\u{E0000}-\u{E007F}]/gu;

function marker(ch) {
  const code = ch.codePointAt(0).toString(16).toUpperCase().padStart(4, '0');
  const span = document.createElement('span');
  span.className = 'ctl';
  span.title = `U+${code}`;
  span.textContent = `⟦U+${code}⟧`;
  return span;
}

// A fragment holding `text` with its hidden characters shown. With
// `multiline`, line feeds and tabs stay (the element keeps white space);
// otherwise they become spaces.
export function visible(text, multiline = false) {
  const frag = document.createDocumentFragment();
  let s = String(text ?? '');
  if (!multiline) s = s.replace(/[\n\t]/g, ' ');
  let last = 0;
  for (const m of s.matchAll(INVISIBLE)) {
    if (m.index > last) frag.append(document.createTextNode(s.slice(last, m.index)));
    frag.append(marker(m[0]));
    last = m.index + m[0].length;
  }
  if (last < s.length) frag.append(document.createTextNode(s.slice(last)));
  return frag;
}

// Hostile text in its own direction-isolating element.
export function show(text, multiline = false) {
  const e = document.createElement(multiline ? 'div' : 'bdi');
  e.className = multiline ? 'hostile multiline' : 'hostile';
  e.dir = 'auto';
  e.append(visible(text, multiline));
  return e;
}

// el('p', { class: 'x' }, 'text', child...): strings become text nodes.
// Only these attributes are set, and links only inside the desk.
const ATTRS = new Set(['class', 'id', 'type', 'value', 'for', 'name', 'title', 'min', 'max', 'step', 'placeholder',
  'autocomplete', 'role', 'lang', 'dir', 'alt', 'colspan', 'rows', 'maxlength', 'aria-label', 'aria-live', 'list',
  'aria-current', 'scope', 'inputmode', 'width', 'height']);
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'href') {
      if (!/^#\//.test(v)) throw new Error('the desk links only to its own views');
      e.setAttribute('href', v);
    } else if (k === 'src') {
      if (!/^\/api\//.test(v)) throw new Error('the desk loads images only from itself');
      e.setAttribute('src', v);
    } else if (k === 'checked' || k === 'disabled' || k === 'hidden' || k === 'required' || k === 'selected' || k === 'open') {
      e[k] = Boolean(v);
    } else if (k.startsWith('on')) {
      e.addEventListener(k.slice(2), v);
    } else if (ATTRS.has(k) || k.startsWith('data-')) {
      e.setAttribute(k, String(v));
    } else {
      throw new Error(`attribute ${k} is not one the desk sets`);
    }
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
  return e;
}

export function clear(node) {
  while (node.firstChild) node.firstChild.remove();
  return node;
}

export function bytes(n, t) {
  if (n < 10000) return t('unit.bytes', { n });
  if (n < 10000 * 1024) return t('unit.kb', { n: Math.round(n / 1024) });
  return t('unit.mb', { n: (n / 1048576).toFixed(1) });
}
