// PADMÉ padded sizes (docs/FORMAT.md §2.3), with plain arithmetic: sizes
// pass 2^32, where JavaScript's bitwise operators stop working.

function floorLog2(n) {
  let e = 0;
  while (2 ** (e + 1) <= n) e++;
  return e;
}

export function padme(length) {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError('bad length');
  if (length < 2) return length;
  const e = floorLog2(length);
  const s = floorLog2(e) + 1;
  const z = e - s;
  const step = 2 ** z;
  return Math.ceil(length / step) * step;
}
