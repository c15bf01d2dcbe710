// "New Model Config…" writes only configs that read clean: every dataset with every architecture it is offered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzeDocument } from '../../../src/analysis';
import { parseModelConfig } from '../../../src/analysis/config';
import { ARCHITECTURES, DATASETS, architecturesFor, renderConfig } from '../../../src/vscode/configTemplates';

test('config templates: every dataset × offered architecture parses to a spec with no finding', () => {
  let combinations = 0;
  for (const dataset of DATASETS)
    for (const architecture of architecturesFor(dataset)) {
      const text = renderConfig('t', dataset, architecture);
      const file = `${dataset.id}-${architecture.id}.dropout.yaml`;
      const parsed = parseModelConfig(text, file);
      assert.ok(parsed.spec, `${file}: ${JSON.stringify(parsed.findings)}`);
      assert.deepEqual(analyzeDocument(text, file), [], file);
      assert.deepEqual(parsed.spec.model.input, dataset.images ? [1, 16, 16] : dataset.regression ? 1 : 2);
      combinations++;
    }
  assert.ok(combinations >= 3 * 7 + 3 * 3, `${combinations} combinations`);
});

test('config templates: image datasets are offered the convolutional architectures only, points the others', () => {
  for (const dataset of DATASETS) {
    const offered = architecturesFor(dataset);
    assert.ok(offered.length > 0, dataset.id);
    assert.ok(
      offered.every((a) => a.input === (dataset.images ? 'image' : 'flat')),
      dataset.id,
    );
  }
  assert.deepEqual(new Set(ARCHITECTURES.map((a) => a.input)), new Set(['flat', 'image']));
});
