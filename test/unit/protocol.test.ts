import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePredictCommand, parseWebviewMessage } from '../../src/protocol/validate';

test('webview messages: valid ones pass through typed', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'setMode', layer: 2, mode: 'eval' }), {
    ok: true,
    value: { type: 'setMode', layer: 2, mode: 'eval' },
  });
  assert.deepEqual(parseWebviewMessage({ type: 'setMode', layer: null, mode: 'train' }), {
    ok: true,
    value: { type: 'setMode', layer: null, mode: 'train' },
  });
  assert.deepEqual(parseWebviewMessage({ type: 'control', action: 'stop' }), {
    ok: true,
    value: { type: 'control', action: 'stop' },
  });
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

test('exportChart: a bounded PNG data URL of a known chart passes; anything else is refused with a precise error', () => {
  // A real 1×1 PNG.
  const png =
    'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';
  assert.deepEqual(parseWebviewMessage({ type: 'exportChart', chart: 'loss', dataUrl: png }), {
    ok: true,
    value: { type: 'exportChart', chart: 'loss', dataUrl: png },
  });
  assert.equal(parseWebviewMessage({ type: 'exportChart', chart: 'accuracy', dataUrl: png }).ok, true);
  const cases: [unknown, RegExp][] = [
    [{ type: 'exportChart', chart: 'weights', dataUrl: png }, /unknown chart "weights"/],
    [{ type: 'exportChart', chart: 'loss' }, /dataUrl is not a string/],
    [{ type: 'exportChart', chart: 'loss', dataUrl: 42 }, /dataUrl is not a string/],
    [
      { type: 'exportChart', chart: 'loss', dataUrl: png.replace('image/png', 'image/svg+xml') },
      /does not start with data:image\/png;base64,/,
    ],
    [{ type: 'exportChart', chart: 'loss', dataUrl: 'data:text/html;base64,PHNjcmlwdD4=' }, /does not start with/],
    [{ type: 'exportChart', chart: 'loss', dataUrl: `${png.slice(0, -1)}!` }, /not valid base64/],
    [{ type: 'exportChart', chart: 'loss', dataUrl: `${png}A` }, /not valid base64/],
    [{ type: 'exportChart', chart: 'loss', dataUrl: 'data:image/png;base64,R0lGODlhAQABAAAAACw=' }, /not a PNG image/],
    [{ type: 'exportChart', chart: 'loss', dataUrl: 'data:image/png;base64,' }, /not a PNG image/],
    [
      {
        type: 'exportChart',
        chart: 'loss',
        dataUrl: `data:image/png;base64,iVBORw0KGgo${'A'.repeat(8 * 1024 * 1024)}`,
      },
      /more than 8388608/,
    ],
  ];
  for (const [raw, error] of cases) {
    const result = parseWebviewMessage(raw);
    assert.equal(result.ok, false, JSON.stringify(raw).slice(0, 120));
    if (!result.ok) assert.match(result.error, error);
  }
});

test('predict from the panel: no passes (the config decides) or 2 to 1000; anything else is refused', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'predict' }), { ok: true, value: { type: 'predict' } });
  assert.deepEqual(parseWebviewMessage({ type: 'predict', passes: 30, extra: 'x' }), {
    ok: true,
    value: { type: 'predict', passes: 30 },
  });
  for (const passes of [1, 1001, 2.5, '30', Number.NaN, null])
    assert.match(
      (parseWebviewMessage({ type: 'predict', passes }) as { error: string }).error,
      /predict: passes must be an integer from 2 to 1000/,
      JSON.stringify(passes),
    );
});

test('predict to the engine: the command keeps only its own fields, typed', () => {
  const inputs = Float32Array.from([1, 2]);
  assert.deepEqual(
    parsePredictCommand({
      type: 'predict',
      requestId: 'a',
      passes: 3,
      mode: 'eval',
      layers: [{ layer: 1, mode: 'train', note: 'x' }],
      inputs,
      output: 'passes',
      seed: 7,
      code: 'x',
    }),
    {
      ok: true,
      value: {
        type: 'predict',
        requestId: 'a',
        passes: 3,
        mode: 'eval',
        layers: [{ layer: 1, mode: 'train' }],
        inputs,
        output: 'passes',
        seed: 7,
      },
    },
  );
  const cases: [unknown, RegExp][] = [
    [{ type: 'predict', requestId: '', passes: 1, mode: 'mc' }, /requestId must be a string/],
    [{ type: 'predict', requestId: 'x'.repeat(201), passes: 1, mode: 'mc' }, /requestId/],
    [{ type: 'predict', requestId: 'a', passes: 10_001, mode: 'mc' }, /passes must be an integer from 1 to 10000/],
    [{ type: 'predict', requestId: 'a', passes: 1, mode: 'mc', layers: {} }, /layers must be a list/],
    [
      { type: 'predict', requestId: 'a', passes: 1, mode: 'mc', inputs: new Float32Array(0) },
      /no value; give at least one row/,
    ],
    [{ type: 'predict', requestId: 'a', passes: 1, mode: 'mc', seed: 2 ** 32 }, /seed/],
  ];
  for (const [raw, error] of cases) {
    const result = parsePredictCommand(raw);
    assert.equal(result.ok, false, JSON.stringify(raw));
    if (!result.ok) assert.match(result.error, error);
  }
});
