import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWebviewMessage } from '../../src/protocol/validate';

test('webview messages: valid ones pass through typed', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'setMode', layer: 2, mode: 'eval' }), { ok: true, value: { type: 'setMode', layer: 2, mode: 'eval' } });
  assert.deepEqual(parseWebviewMessage({ type: 'setMode', layer: null, mode: 'train' }), { ok: true, value: { type: 'setMode', layer: null, mode: 'train' } });
  assert.deepEqual(parseWebviewMessage({ type: 'control', action: 'stop' }), { ok: true, value: { type: 'control', action: 'stop' } });
});

test('webview messages: hostile or malformed ones are refused with a precise error', () => {
  const cases: [unknown, RegExp][] = [
    [null, /not an object/],
    [[], /not an object/],
    [{ type: 'eval', code: 'process.exit()' }, /unknown message type "eval"/],
    [{ type: 'setRate', layer: 1, rate: 1 }, /\[0, 1\)/],
    [{ type: 'setRate', layer: 1, rate: Number.NaN }, /\[0, 1\)/],
    [{ type: 'setRate', layer: -1, rate: 0.5 }, /layer index/],
    [{ type: 'setMode', layer: 1.5, mode: 'eval' }, /layer index/],
    [{ type: 'setMode', layer: 0, mode: 'test' }, /"train" or "eval"/],
    [{ type: 'control', action: 'rm -rf' }, /unknown control action/],
    [{ type: 'runCommand', command: 'workbench.action.terminal.new' }, /unknown panel command/],
  ];
  for (const [raw, error] of cases) {
    const result = parseWebviewMessage(raw);
    assert.equal(result.ok, false, JSON.stringify(raw));
    if (!result.ok) assert.match(result.error, error);
  }
});
