import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { buildAll } from '../../../scripts/build-wasm.mjs';
import { referenceKernels } from '../../../src/engine/kernels/reference';
import { smallKernels } from '../../../src/engine/kernels/typescript';
import {
  createWasmKernels,
  fusedMatmulWasmModule,
  selectKernels,
  wasmSimdAvailable,
  type MatmulKernels,
} from '../../../src/engine/kernels/index';

/** Deterministic values in [-1, 1). */
function filled(length: number, seed: number): Float32Array {
  const out = new Float32Array(length);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = ((s >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

function check(
  kernels: MatmulKernels,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  accumulate: boolean,
  seed: number,
): void {
  const A = filled(m * k, seed);
  const B = filled(k * n, seed + 1);
  const start = filled(m * n, seed + 2);
  const expected = start.slice();
  const actual = start.slice();
  referenceKernels.matmul(A, B, expected, m, k, n, transA, transB, accumulate);
  kernels.matmul(A, B, actual, m, k, n, transA, transB, accumulate);
  const tol = 1e-5 * Math.sqrt(k) + 1e-6;
  for (let i = 0; i < m * n; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    if (!(diff <= tol * Math.max(1, Math.abs(expected[i]!)))) {
      assert.fail(
        `${kernels.name} ${m}x${k}x${n} transA=${transA} transB=${transB} accumulate=${accumulate}: ` +
          `C[${Math.floor(i / n)}][${i % n}] = ${actual[i]} but the reference gives ${expected[i]}`,
      );
    }
  }
}

const SIZES = [1, 3, 7, 17, 33];
const LARGE: Array<[number, number, number]> = [
  [129, 300, 33], // more than one k block (KC = 256), edge rows and columns
  [131, 5, 257], // more than one row block (MC = 128)
  [8, 513, 16], // exact tiles, three k blocks
  [4, 1, 8],
  [64, 32, 2],
  [2, 32, 64],
];
const FLAGS: Array<[boolean, boolean]> = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

function checkAll(kernels: MatmulKernels): void {
  let seed = 1;
  for (const [transA, transB] of FLAGS) {
    for (const accumulate of [false, true]) {
      for (const m of SIZES)
        for (const k of SIZES) for (const n of SIZES) check(kernels, m, k, n, transA, transB, accumulate, seed++);
      for (const [m, k, n] of LARGE) check(kernels, m, k, n, transA, transB, accumulate, seed++);
    }
  }
}

test('the small-product TypeScript kernels match the reference for every transpose, accumulate and odd size', () => {
  checkAll(smallKernels);
});

test('the WebAssembly SIMD kernels match the reference for every transpose, accumulate and odd size', (t) => {
  const wasm = createWasmKernels();
  if (!wasm) return t.skip('WebAssembly SIMD unavailable');
  checkAll(wasm);
});

test('selectKernels dispatches to kernels that match the reference, and honours prefer', () => {
  checkAll(selectKernels());
  assert.equal(selectKernels({ prefer: 'reference' }), referenceKernels);
  assert.equal(selectKernels({ prefer: 'typescript' }), smallKernels);
  if (wasmSimdAvailable())
    assert.equal(selectKernels({ prefer: 'wasm' }).name, fusedMatmulWasmModule() ? 'wasm-simd-fma' : 'wasm-simd');
});

test('fused multiply-add kernels where the runtime has relaxed SIMD, the plain ones kept and selectable', (t) => {
  if (!wasmSimdAvailable()) return t.skip('WebAssembly SIMD unavailable');
  const plain = createWasmKernels({ fused: false })!;
  assert.equal(plain.name, 'wasm-simd');
  checkAll(plain);
  // Node 20 validates relaxed SIMD only with --experimental-wasm-relaxed-simd (VS Code's Electron always does).
  if (process.execArgv.includes('--experimental-wasm-relaxed-simd') || process.versions.electron)
    assert.ok(fusedMatmulWasmModule(), 'this runtime has relaxed SIMD: the fused kernels must be detected');
  if (!fusedMatmulWasmModule()) return t.skip('no relaxed SIMD here: run with node --experimental-wasm-relaxed-simd');
  const fused = createWasmKernels()!;
  assert.equal(fused.name, 'wasm-simd-fma');
  checkAll(fused);
});

test('the SIMD kernels work on operands longer than needed and on views into their own memory', (t) => {
  const wasm = createWasmKernels();
  if (!wasm) return t.skip('WebAssembly SIMD unavailable');
  const [m, k, n] = [9, 19, 13];
  const A = filled(m * k + 5, 7);
  const B = filled(k * n + 3, 8);
  const expected = new Float32Array(m * n + 4).fill(42);
  const actual = expected.slice();
  referenceKernels.matmul(A, B, expected, m, k, n, false, true, false);
  wasm.matmul(A, B, actual, m, k, n, false, true, false);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) < 1e-5, `index ${i}`);
  assert.equal(actual[m * n], 42, 'elements past m·n are untouched');

  // A C that lives in the instance's memory is computed in place (and memory growth afterwards is survived).
  wasm.matmul(filled(600, 9), filled(600, 10), new Float32Array(600 * 600), 600, 1, 600, false, false, false); // grows memory
  const inside = new Float32Array(wasm.memory.buffer, wasm.memory.buffer.byteLength - m * n * 4, m * n);
  const c2 = expected.subarray(0, m * n).slice();
  referenceKernels.matmul(A, B, c2, m, k, n, true, false, true);
  inside.set(expected.subarray(0, m * n));
  wasm.matmul(A, B, inside, m, k, n, true, false, true);
  for (let i = 0; i < m * n; i++) assert.ok(Math.abs(inside[i]! - c2[i]!) < 1e-5, `in place, index ${i}`);
});

test('k = 0 gives zeros (or leaves C alone when accumulating); empty products do nothing', (t) => {
  const wasm = createWasmKernels();
  if (!wasm) return t.skip('WebAssembly SIMD unavailable');
  for (const kernels of [wasm, smallKernels, selectKernels()]) {
    const C = new Float32Array([1, 2, 3, 4]);
    kernels.matmul(new Float32Array(0), new Float32Array(0), C, 2, 0, 2, false, false, true);
    assert.deepEqual([...C], [1, 2, 3, 4]);
    kernels.matmul(new Float32Array(0), new Float32Array(0), C, 2, 0, 2, false, false, false);
    assert.deepEqual([...C], [0, 0, 0, 0]);
  }
});

test('the committed generated module matches the assembled .wat', async () => {
  for (const m of await buildAll()) {
    assert.equal(
      readFileSync(new URL(`../../../${m.out}`, import.meta.url), 'utf8'),
      m.text,
      `${m.out} is stale: run node scripts/build-wasm.mjs`,
    );
  }
});
