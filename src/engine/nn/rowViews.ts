/**
 * Per-sample views of a batch buffer, made once per (buffer, row length) and then reused: the matmul kernels take
 * whole arrays, and a fresh subarray per sample per step would allocate in the step loop.
 */
const cache = new WeakMap<Float32Array, { length: number; rows: Float32Array[] }>();

/** Views rows[0..count) of `buffer`, each `length` floats. */
export function rowViews(buffer: Float32Array, length: number, count: number): Float32Array[] {
  let entry = cache.get(buffer);
  if (!entry || entry.length !== length) {
    entry = { length, rows: [] };
    cache.set(buffer, entry);
  }
  const rows = entry.rows;
  while (rows.length < count) rows.push(buffer.subarray(rows.length * length, (rows.length + 1) * length));
  return rows;
}
