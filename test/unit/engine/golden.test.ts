/**
 * The engine against PyTorch: every case of the project's golden vectors (test/golden/dropout-vectors.json),
 * or of the file named by DROPOUT_LENS_GOLDEN (CI also runs the workplace's set). Masks and noise come from
 * the file, so this checks semantics, not the random stream. Sizes come from the data, never from here.
 * Kinds beyond the workplace set (adam, lr_schedule, batchnorm, activation, mse_loss, network_steps) are
 * documented in test/golden/README.md and made by test/golden/generate.py.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { referenceKernels } from '../../../src/engine/kernels/reference';
import { selectKernels } from '../../../src/engine/kernels';
import type { Dataset } from '../../../src/engine/dataset';
import { activate, activationBackward } from '../../../src/engine/nn/activation';
import { applyEval, applyMask, applyNoise, expandSpatial, trainScale } from '../../../src/engine/nn/dropout';
import { meanSquaredError, softmaxCrossEntropy, softmaxRow } from '../../../src/engine/nn/loss';
import { Network } from '../../../src/engine/nn/network';
import { createOptimizer, maxNorm, scheduledLr, Sgd } from '../../../src/engine/nn/optim';
import { SeededRandom } from '../../../src/engine/random';
import { predictPasses } from '../../../src/engine/predict';
import { createTrainer } from '../../../src/engine/trainer';
import type { LayerSpec, ModelSpec, OptimizerSpec, ScheduleSpec } from '../../../src/protocol/modelSpec';

interface Tensor {
  shape: number[];
  data: number[];
}
interface Case {
  id: string;
  kind: string;
  input: any;
  expected: any;
}

const file = process.env.DROPOUT_LENS_GOLDEN ?? join(import.meta.dirname, '..', '..', 'golden', 'dropout-vectors.json');
const golden = existsSync(file)
  ? (JSON.parse(readFileSync(file, 'utf8')) as { tolerance: { rtol: number; atol: number }; cases: Case[] })
  : undefined;
const { rtol, atol } = golden?.tolerance ?? { rtol: 1e-4, atol: 1e-5 };

const f32 = (t: Tensor) => Float32Array.from(t.data);
const u8 = (t: Tensor) => Uint8Array.from(t.data);

function close(actual: ArrayLike<number>, expected: Tensor | number[] | number, what: string): void {
  const want = typeof expected === 'number' ? [expected] : Array.isArray(expected) ? expected : expected.data;
  assert.equal(actual.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const a = actual[i]!;
    const e = want[i]!;
    assert.ok(Math.abs(a - e) <= atol + rtol * Math.abs(e), `${what}[${i}]: ${a} vs PyTorch ${e}`);
  }
}

/** Where the mask drops, the value must be exactly 0 (not small, not NaN). */
function exactZeros(actual: ArrayLike<number>, keep: ArrayLike<number>, what: string): void {
  for (let i = 0; i < keep.length; i++)
    if (!keep[i])
      assert.ok(Object.is(actual[i], 0) || Object.is(actual[i], -0), `${what}[${i}] is ${actual[i]}, not an exact 0`);
}

/** An MLP from golden layers: dropout entry l before dense layer l; ReLU on hidden layers, logits out. */
function mlp(layers: { W: Tensor; b: Tensor }[], dropout: ({ p: number } | null)[], batch: number) {
  const specs: LayerSpec[] = [];
  const dropoutIndex = new Map<number, number>();
  layers.forEach((layer, l) => {
    const entry = dropout[l];
    if (entry) {
      dropoutIndex.set(l, specs.length);
      specs.push({ type: 'dropout', rate: entry.p, kind: 'bernoulli', scaling: 'inverted' });
    }
    specs.push({ type: 'dense', units: layer.W.shape[0]!, activation: l === layers.length - 1 ? 'linear' : 'relu' });
  });
  const net = new Network(specs, layers[0]!.W.shape[1]!, batch, selectKernels());
  const dense = net.layers.filter((l) => l.kind === 'dense');
  dense.forEach((l, i) => {
    if (l.kind !== 'dense') return;
    l.W.set(layers[i]!.W.data);
    l.b.set(layers[i]!.b.data);
  });
  const masks = (entries: ({ keep: Tensor } | null)[]) =>
    new Map(entries.flatMap((e, l) => (e ? [[dropoutIndex.get(l)!, u8(e.keep)] as [number, Uint8Array]] : [])));
  return { net, dense, masks };
}

/** A Network from golden layers in the `network_steps` form, with their parameters and running statistics. */
function goldenNetwork(layers: any[], inputs: number, batch: number, kernels = selectKernels()): Network {
  const specs: LayerSpec[] = layers.map((l: any): LayerSpec => {
    if (l.type === 'dense')
      return {
        type: 'dense',
        units: l.W.shape[0],
        activation: l.activation,
        ...(l.drop_connect ? { dropConnect: l.drop_connect } : {}),
      };
    if (l.type === 'dropout')
      return { type: 'dropout', rate: l.p, kind: l.kind, scaling: l.scaling, ...(l.shape ? { shape: l.shape } : {}) };
    return { type: 'batchnorm', momentum: l.momentum, epsilon: l.eps };
  });
  const net = new Network(specs, inputs, batch, kernels);
  net.layers.forEach((l, i) => {
    const g = layers[i];
    if (l.kind === 'dense') {
      l.W.set(g.W.data);
      l.b.set(g.b.data);
    } else if (l.kind === 'batchnorm') {
      l.gamma.set(g.gamma.data);
      l.beta.set(g.beta.data);
      l.runningMean.set(g.running_mean.data);
      l.runningVar.set(g.running_var.data);
    }
  });
  return net;
}

const random = new SeededRandom(1);
const checks: Record<string, (c: Case) => void> = {
  mlp({ input, expected }) {
    const batch = input.x.shape[0];
    const { net, dense, masks } = mlp(input.layers, input.dropout, batch);
    const classes = input.layers.at(-1).W.shape[0];
    const labels = Float32Array.from(input.labels.data ?? input.labels);
    const logits = net.forward(f32(input.x), batch, 'train', random, false, masks(input.dropout));
    close(logits.subarray(0, batch * classes), expected.train.logits, 'train logits');
    dense
      .slice(0, -1)
      .forEach(
        (l, i) =>
          l.kind === 'dense' &&
          close(l.z.subarray(0, batch * l.units), expected.train.pre_activations[i], `pre_activations[${i}]`),
      );
    const grad = new Float32Array(batch * classes);
    const result = { loss: 0, correct: 0 };
    softmaxCrossEntropy(logits, labels, batch, classes, grad, result);
    close([result.loss], expected.train.loss, 'train loss');
    const gradX = net.backward(grad, batch, true)!;
    close(gradX.subarray(0, input.x.data.length), expected.train.grad.x, 'grad x');
    dense.forEach((l, i) => {
      if (l.kind !== 'dense') return;
      close(l.gW, expected.train.grad.layers[i].W, `grad W[${i}]`);
      close(l.gb, expected.train.grad.layers[i].b, `grad b[${i}]`);
    });
    const evalLogits = net.forward(f32(input.x), batch, 'eval', random, false);
    close(evalLogits.subarray(0, batch * classes), expected.eval.logits, 'eval logits');
    const probs = new Float64Array(batch * classes);
    for (let b = 0; b < batch; b++) softmaxRow(evalLogits, b * classes, classes, probs, b * classes);
    close(probs, expected.eval.probs, 'eval probs');
    softmaxCrossEntropy(evalLogits, labels, batch, classes, undefined, result);
    close([result.loss], expected.eval.loss, 'eval loss');
  },
  mc_dropout({ input, expected }) {
    const batch = input.x.shape[0];
    const { net, masks } = mlp(input.layers, input.passes[0], batch);
    const classes = input.layers.at(-1).W.shape[0];
    const T = input.passes.length;
    // The engine's one inference path, with each pass's masks injected.
    const { perPass, mean, variance } = predictPasses(net, f32(input.x), batch, true, {
      passes: T,
      mode: 'mc',
      random,
      keepPasses: true,
      inject: (t) => masks(input.passes[t]),
    });
    close(perPass!, expected.probs_per_pass, 'probs per pass');
    const std = Float64Array.from(variance, Math.sqrt);
    close(mean, expected.mean_probs, 'mean probs');
    close(std, expected.std_probs, 'std probs');
    const entropy = [];
    const predicted = [];
    for (let b = 0; b < batch; b++) {
      let h = 0;
      let arg = 0;
      for (let c = 0; c < classes; c++) {
        const p = mean[b * classes + c]!;
        if (p > 0) h -= p * Math.log(p);
        if (p > mean[b * classes + arg]!) arg = c;
      }
      entropy.push(h);
      predicted.push(arg);
    }
    close(entropy, expected.predictive_entropy, 'predictive entropy');
    assert.deepEqual(predicted, expected.predicted_class.data ?? expected.predicted_class);
    const evalLogits = net.forward(f32(input.x), batch, 'eval', random, false);
    const evalProbs = new Float64Array(batch * classes);
    for (let b = 0; b < batch; b++) softmaxRow(evalLogits, b * classes, classes, evalProbs, b * classes);
    close(evalProbs, expected.eval_probs, 'eval probs');
  },
  mc_predict({ input, expected }) {
    const batch = input.x.shape[0];
    const x = f32(input.x);
    const passes = input.passes.length;
    const inject = (t: number) =>
      new Map(
        (input.passes[t] as ({ keep: Tensor } | null)[]).flatMap((e, i) =>
          e ? [[i, u8(e.keep)] as [number, Uint8Array]] : [],
        ),
      );
    for (const kernels of [referenceKernels, selectKernels()]) {
      const k = kernels.name;
      const net = goldenNetwork(input.layers, input.x.shape[1], batch, kernels);
      const mc = predictPasses(net, x, batch, true, { passes, mode: 'mc', random, keepPasses: true, inject });
      assert.equal(mc.passes, passes);
      close(mc.perPass!, expected.probs_per_pass, `${k}: probabilities per pass`);
      close(mc.mean, expected.mean_probs, `${k}: mean probabilities`);
      close(mc.variance, expected.var_probs, `${k}: variance of the probabilities over the passes`);
      const width = mc.width;
      const predicted = Array.from({ length: batch }, (_, b) => {
        let arg = 0;
        for (let c = 1; c < width; c++) if (mc.mean[b * width + c]! > mc.mean[b * width + arg]!) arg = c;
        return arg;
      });
      assert.deepEqual(predicted, expected.predicted_class.data ?? expected.predicted_class, `${k}: predicted class`);
      assert.ok(
        net.layers.every((l) => l.mode === 'train'),
        `${k}: the layers' own modes are restored after the passes`,
      );
      // The summary alone (no per-pass outputs kept) is the same.
      const summary = predictPasses(net, x, batch, true, { passes, mode: 'mc', random, inject });
      assert.equal(summary.perPass, undefined);
      close(summary.variance, expected.var_probs, `${k}: variance, summary only`);
      // Eval mode: one deterministic pass, no variance; and a per-layer override turns the dropout on again.
      const evalPass = predictPasses(net, x, batch, true, { passes: 1, mode: 'eval', random });
      close(evalPass.mean, expected.eval_probs, `${k}: eval probabilities`);
      assert.ok(evalPass.variance.every((v) => v === 0));
      const dropoutLayers = new Map(
        net.layers.filter((l) => l.kind === 'dropout').map((l) => [l.index, 'train'] as const),
      );
      const overridden = predictPasses(net, x, batch, true, {
        passes,
        mode: 'eval',
        overrides: dropoutLayers,
        random,
        keepPasses: true,
        inject,
      });
      close(overridden.perPass!, expected.probs_per_pass, `${k}: eval with the dropout layers overridden to train`);
    }
  },
  bernoulli_dropout: (c) => maskCase(c, 'inverted'),
  standard_dropout: (c) => maskCase(c, 'standard'),
  spatial_dropout({ input, expected }) {
    const [B, C, L] = input.x.shape as [number, number, number];
    // PyTorch's [B, C, L] layout; the engine's spatial layout is position-major, so map indices explicitly.
    const toEngine = (t: Tensor) =>
      Float32Array.from({ length: B * C * L }, (_, i) => {
        const b = Math.floor(i / (L * C)),
          s = Math.floor(i / C) % L,
          c = i % C;
        return t.data[(b * C + c) * L + s]!;
      });
    const fromEngine = (y: Float32Array) =>
      Float32Array.from({ length: B * C * L }, (_, i) => {
        const b = Math.floor(i / (C * L)),
          c = Math.floor(i / L) % C,
          s = i % L;
        return y[(b * L + s) * C + c]!;
      });
    const keep = new Uint8Array(B * L * C);
    expandSpatial(u8(input.keep), keep, B, L, C);
    const scale = trainScale(input.p, 'inverted');
    const y = new Float32Array(keep.length);
    applyMask(toEngine(input.x), keep, scale, y, keep.length);
    const keepTorch = Float32Array.from({ length: B * C * L }, (_, i) => input.keep.data[Math.floor(i / L)]);
    close(fromEngine(y), expected.train_y, 'train y');
    exactZeros(fromEngine(y), keepTorch, 'train y');
    const gx = new Float32Array(keep.length);
    applyMask(toEngine(input.grad_y), keep, scale, gx, keep.length);
    close(fromEngine(gx), expected.grad_x, 'grad x');
    exactZeros(fromEngine(gx), keepTorch, 'grad x');
    close(f32(input.x), expected.eval_y, 'eval y');
  },
  gaussian_dropout({ input, expected }) {
    const n = input.x.data.length;
    const sigma = Math.sqrt(input.p / (1 - input.p));
    close([sigma], expected.sigma, 'sigma');
    const noise = Float32Array.from(input.z.data, (z: number) => 1 + sigma * z);
    close(noise, expected.noise, 'noise');
    const y = new Float32Array(n);
    applyNoise(f32(input.x), noise, y, n);
    close(y, expected.train_y, 'train y');
    applyNoise(f32(input.grad_y), noise, y, n);
    close(y, expected.grad_x, 'grad x');
    applyEval(f32(input.x), input.p, 'inverted', y, n);
    close(y, expected.eval_y, 'eval y');
  },
  dropconnect({ input, expected }) {
    const [out, inputs] = input.W.shape as [number, number];
    const batch = input.x.shape[0];
    for (const kernels of [referenceKernels, selectKernels()]) {
      const net = new Network(
        [{ type: 'dense', units: out, activation: 'linear', dropConnect: input.p }],
        inputs,
        batch,
        kernels,
      );
      const l = net.layers[0]!;
      if (l.kind !== 'dense') throw new Error('dense expected');
      l.W.set(input.W.data);
      l.b.set(input.b.data);
      const y = net.forward(f32(input.x), batch, 'train', random, false, new Map([[0, u8(input.keep)]]));
      close(y.subarray(0, batch * out), expected.train_y, `${kernels.name}: train y`);
      const gx = net.backward(f32(input.grad_y), batch, true)!;
      close(gx.subarray(0, batch * inputs), expected.grad_x, `${kernels.name}: grad x`);
      close(l.gW, expected.grad_W, `${kernels.name}: grad W`);
      exactZeros(l.gW, input.keep.data, `${kernels.name}: grad W`);
      close(l.gb, expected.grad_b, `${kernels.name}: grad b`);
      close(
        net.forward(f32(input.x), batch, 'eval', random, false).subarray(0, batch * out),
        expected.eval_y,
        `${kernels.name}: eval y`,
      );
    }
  },
  max_norm({ input, expected }) {
    const [rows, cols] = input.W.shape as [number, number];
    const W = f32(input.W);
    const norms = (m: Float32Array) =>
      Array.from({ length: rows }, (_, r) => Math.hypot(...m.subarray(r * cols, (r + 1) * cols)));
    close(norms(W), expected.row_norms_before, 'row norms before');
    const changed = new Uint8Array(rows);
    maxNorm(W, rows, cols, input.max_norm, changed);
    close(W, expected.W_after, 'W after');
    close(norms(W), expected.row_norms_after, 'row norms after');
    assert.deepEqual([...changed].map(Boolean), expected.rows_changed.data ?? expected.rows_changed);
  },
  sgd({ input, expected }) {
    const w = f32(input.w0);
    const g = new Float32Array(w.length);
    const sgd = new Sgd([{ value: w, grad: g }], input.momentum, input.dampening, input.nesterov, input.weight_decay);
    input.grads.forEach((grad: Tensor, step: number) => {
      g.set(grad.data);
      sgd.step(input.lr);
      close(w, expected.w_after[step], `w after step ${step + 1}`);
      const buffer = expected.momentum_buffer_after?.[step];
      if (buffer) close(sgd.buffer(0)!, buffer, `momentum buffer after step ${step + 1}`);
    });
  },
  train_steps({ input, expected }) {
    const batch = input.x.shape[0];
    const { net, dense, masks } = mlp(input.layers, input.steps[0], batch);
    const classes = input.layers.at(-1).W.shape[0];
    const labels = Float32Array.from(input.labels.data ?? input.labels);
    const o = input.optimizer;
    const sgd = new Sgd(net.parameters, o.momentum, o.dampening, o.nesterov, o.weight_decay);
    const grad = new Float32Array(batch * classes);
    const result = { loss: 0, correct: 0 };
    input.steps.forEach((step: ({ keep: Tensor } | null)[], s: number) => {
      const logits = net.forward(f32(input.x), batch, 'train', random, false, masks(step));
      softmaxCrossEntropy(logits, labels, batch, classes, grad, result);
      close([result.loss], expected.loss_per_step[s], `loss at step ${s + 1}`);
      net.backward(grad, batch);
      sgd.step(o.lr);
      if (input.max_norm !== null)
        for (const l of dense) if (l.kind === 'dense') maxNorm(l.W, l.units, l.inputs, input.max_norm);
      dense.forEach((l, i) => {
        if (l.kind !== 'dense') return;
        close(l.W, expected.layers_after_step[s][i].W, `W[${i}] after step ${s + 1}`);
        close(l.b, expected.layers_after_step[s][i].b, `b[${i}] after step ${s + 1}`);
      });
    });
  },

  // ---- Kinds of the project's own set (test/golden/README.md).
  adam({ input, expected }) {
    const w = f32(input.w0);
    const g = new Float32Array(w.length);
    const adam = createOptimizer(
      {
        kind: 'adam',
        lr: input.lr,
        beta1: input.beta1,
        beta2: input.beta2,
        epsilon: input.eps,
        weightDecay: input.weight_decay,
      },
      [{ value: w, grad: g }],
    );
    // The moment estimates are the optimizer's private state; read them only to point at the failing one.
    const state = adam as unknown as { m?: Float32Array[]; v?: Float32Array[] };
    assert.ok(state.m && state.v, "Adam's moment buffers (m, v) are not where this test looks for them");
    input.grads.forEach((grad: Tensor, step: number) => {
      g.set(grad.data);
      adam.step(input.lr);
      close(state.m![0]!, expected.exp_avg_after[step], `exp_avg after step ${step + 1}`);
      close(state.v![0]!, expected.exp_avg_sq_after[step], `exp_avg_sq after step ${step + 1}`);
      close(w, expected.w_after[step], `w after step ${step + 1}`);
    });
  },
  lr_schedule({ input, expected }) {
    const schedule = input.schedule as ScheduleSpec;
    expected.lr_per_epoch.forEach((lr: number, epoch: number) =>
      close([scheduledLr(input.lr, schedule, epoch)], lr, `lr in epoch ${epoch + 1}`),
    );
    // The trainer itself: the rate it hands the optimizer at every step, advancing only when an epoch completes.
    const batchSize = 2;
    const n = input.steps_per_epoch * batchSize;
    const data: Dataset = {
      inputDim: 1,
      classes: 2,
      outputDim: 2,
      train: {
        x: Float32Array.from({ length: n }, (_, i) => i / n),
        y: Float32Array.from({ length: n }, (_, i) => i % 2),
        n,
      },
      validation: { x: new Float32Array(1), y: new Float32Array(1), n: 1 },
    };
    const spec: ModelSpec = {
      name: 'golden-lr-schedule',
      seed: 1,
      data: { source: 'generator', generator: 'xor', samples: n + 1, noise: 0, validation: 0.5 },
      model: { input: 1, layers: [{ type: 'dense', units: 2, activation: 'linear' }] },
      training: {
        epochs: input.epochs,
        batchSize,
        optimizer: { kind: 'sgd', lr: input.lr, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 },
        schedule,
        loss: 'cross-entropy',
        init: 'he',
      },
      evaluation: { mode: 'eval' },
    };
    const trainer = createTrainer(spec, data, { kernels: referenceKernels });
    assert.equal(trainer.stepsPerEpoch, input.steps_per_epoch, 'steps per epoch');
    expected.lr_per_step.forEach((lr: number, step: number) => {
      close([trainer.lr], lr, `trainer lr at step ${step + 1} (epoch ${trainer.epoch + 1})`);
      trainer.trainStep();
    });
    assert.equal(trainer.epoch, input.epochs, 'epochs completed');
  },
  batchnorm({ input, expected }) {
    const [batch, C] = input.x.shape as [number, number];
    const net = new Network(
      [{ type: 'batchnorm', momentum: input.momentum, epsilon: input.eps }],
      C,
      batch,
      referenceKernels,
    );
    const l = net.layers[0]!;
    if (l.kind !== 'batchnorm') throw new Error('batchnorm expected');
    l.gamma.set(input.gamma.data);
    l.beta.set(input.beta.data);
    l.runningMean.set(input.running_mean.data);
    l.runningVar.set(input.running_var.data);
    const n = batch * C;
    const y = net.forward(f32(input.x), batch, 'train', random, true);
    close(l.mean, expected.batch_mean, 'batch mean');
    close(l.invStd, expected.inv_std, '1 / sqrt(batch variance + eps)');
    close(y.subarray(0, n), expected.train_y, 'train y');
    close(l.runningMean, expected.running_mean_after, 'running mean after');
    close(l.runningVar, expected.running_var_after, 'running var after (unbiased batch variance)');
    const gx = net.backward(f32(input.grad_y), batch, true)!;
    close(gx.subarray(0, n), expected.grad_x, 'grad x');
    close(l.gGamma, expected.grad_gamma, 'grad gamma');
    close(l.gBeta, expected.grad_beta, 'grad beta');
    // Eval mode: the running statistics normalize, and they stay put even when the caller asks for updates.
    const ye = net.forward(f32(input.x), batch, 'eval', random, true);
    close(ye.subarray(0, n), expected.eval_y, 'eval y');
    close(l.runningMean, expected.running_mean_after, 'running mean after the eval pass');
    close(l.runningVar, expected.running_var_after, 'running var after the eval pass');
    const gxe = net.backward(f32(input.grad_y), batch, true)!;
    close(gxe.subarray(0, n), expected.eval_grad_x, 'eval grad x');
    close(l.gGamma, expected.eval_grad_gamma, 'eval grad gamma');
    close(l.gBeta, expected.eval_grad_beta, 'eval grad beta');
  },
  activation({ input, expected }) {
    const n = input.z.data.length;
    const z = f32(input.z);
    const a = new Float32Array(n);
    activate(input.activation, z, a, n);
    close(a, expected.y, `${input.activation}(z)`);
    const g = f32(input.grad_y);
    activationBackward(input.activation, z, a, g, n);
    close(g, expected.grad_z, `${input.activation} grad z`);
    if (input.activation === 'relu') {
      const active = Uint8Array.from(input.z.data, (v: number) => (v > 0 ? 1 : 0));
      exactZeros(a, active, 'relu(z)');
      exactZeros(g, active, 'relu grad z');
    }
  },
  mse_loss({ input, expected }) {
    const n = input.pred.data.length;
    const grad = new Float32Array(n);
    const result = { loss: 0, correct: 0 };
    meanSquaredError(f32(input.pred), f32(input.target), n, grad, result);
    close([result.loss], expected.loss, 'loss');
    close(grad, expected.grad_pred, 'grad pred');
  },
  network_steps({ input, expected }) {
    const batch = input.x.shape[0];
    const o = input.optimizer;
    const optimizerSpec: OptimizerSpec =
      o.kind === 'sgd'
        ? {
            kind: 'sgd',
            lr: o.lr,
            momentum: o.momentum,
            dampening: o.dampening,
            nesterov: o.nesterov,
            weightDecay: o.weight_decay,
          }
        : { kind: 'adam', lr: o.lr, beta1: o.beta1, beta2: o.beta2, epsilon: o.eps, weightDecay: o.weight_decay };
    const classification = input.loss === 'cross-entropy';
    const target = classification ? Float32Array.from(input.target) : f32(input.target);
    for (const kernels of [referenceKernels, selectKernels()]) {
      const k = kernels.name;
      const net = goldenNetwork(input.layers, input.x.shape[1], batch, kernels);
      const width = net.outputDim;
      const optimizer = createOptimizer(optimizerSpec, net.parameters);
      const result = { loss: 0, correct: 0 };
      const loss = (out: Float32Array, grad: Float32Array | undefined) =>
        classification
          ? softmaxCrossEntropy(out, target, batch, width, grad, result)
          : meanSquaredError(out, target, batch * width, grad, result);
      const grad = new Float32Array(batch * width);
      // As MlpTrainer.trainStep: forward in the layers' own (train) mode updating batch statistics, loss, backward, step, max-norm.
      input.steps.forEach((step: ({ keep?: Tensor; noise?: Tensor } | null)[], s: number) => {
        const inject = new Map(
          step.flatMap((e, i) =>
            e ? [[i, e.keep ? u8(e.keep) : f32(e.noise!)] as [number, Uint8Array | Float32Array]] : [],
          ),
        );
        const out = net.forward(f32(input.x), batch, 'own', random, true, inject);
        loss(out, grad);
        close([result.loss], expected.loss_per_step[s], `${k}: loss at step ${s + 1}`);
        const first = s === 0 ? expected.first_step : undefined;
        if (first) {
          close(out.subarray(0, batch * width), first.output, `${k}: output at step 1`);
          close([result.loss], first.loss, `${k}: loss at step 1`);
        }
        const gx = net.backward(grad, batch, first !== undefined);
        if (first) {
          close(gx!.subarray(0, input.x.data.length), first.grad_x, `${k}: grad x at step 1`);
          net.layers.forEach((l, i) => {
            const want = first.grads[i];
            if (l.kind === 'dense') {
              close(l.gW, want.W, `${k}: grad W[${i}] at step 1`);
              close(l.gb, want.b, `${k}: grad b[${i}] at step 1`);
              if (l.masked) exactZeros(l.gW, step[i]!.keep!.data, `${k}: grad W[${i}] at step 1`);
            } else if (l.kind === 'batchnorm') {
              close(l.gGamma, want.gamma, `${k}: grad gamma[${i}] at step 1`);
              close(l.gBeta, want.beta, `${k}: grad beta[${i}] at step 1`);
            } else assert.equal(want, null, `layer ${i} has no parameters`);
          });
        }
        optimizer.step(o.lr);
        if (input.max_norm !== null)
          for (const l of net.layers) if (l.kind === 'dense') maxNorm(l.W, l.units, l.inputs, input.max_norm);
        net.layers.forEach((l, i) => {
          const want = expected.layers_after_step[s][i];
          if (l.kind === 'dense') {
            close(l.W, want.W, `${k}: W[${i}] after step ${s + 1}`);
            close(l.b, want.b, `${k}: b[${i}] after step ${s + 1}`);
          } else if (l.kind === 'batchnorm') {
            close(l.gamma, want.gamma, `${k}: gamma[${i}] after step ${s + 1}`);
            close(l.beta, want.beta, `${k}: beta[${i}] after step ${s + 1}`);
            close(l.runningMean, want.running_mean, `${k}: running mean[${i}] after step ${s + 1}`);
            close(l.runningVar, want.running_var, `${k}: running var[${i}] after step ${s + 1}`);
          }
        });
      });
      const evalOut = net.forward(f32(input.x), batch, 'eval', random, false);
      close(evalOut.subarray(0, batch * width), expected.eval.output, `${k}: eval output`);
      loss(evalOut, undefined);
      close([result.loss], expected.eval.loss, `${k}: eval loss`);
    }
  },
};

function maskCase({ input, expected }: Case, scaling: 'inverted' | 'standard'): void {
  const n = input.x.data.length;
  const keep = u8(input.keep);
  const scale = trainScale(input.p, scaling);
  const y = new Float32Array(n);
  applyMask(f32(input.x), keep, scale, y, n);
  close(y, expected.train_y, 'train y');
  exactZeros(y, keep, 'train y');
  applyMask(f32(input.grad_y), keep, scale, y, n);
  close(y, expected.grad_x, 'grad x');
  exactZeros(y, keep, 'grad x');
  applyEval(f32(input.x), input.p, scaling, y, n);
  close(y, expected.eval_y, 'eval y');
}

test(`golden vectors from ${file}`, { skip: golden ? false : `no golden file at ${file}` }, async (t) => {
  for (const c of golden!.cases) {
    const check = checks[c.kind];
    // A kind the engine cannot check is a failure, not a skip: every vector must pass.
    await t.test(c.id, () => (check ? check(c) : assert.fail(`kind ${c.kind} is not checked by this engine`)));
  }
});
