// Events of a conv model's run as the engine streams them, for the panel's conv tests. SYNTHETIC until the
// engine's conv layers land (branch conv-engine): then this becomes engineRun() of the spatial-dropout example.
export function convEvents() {
  const channels = 8;
  const layer = 1;
  const [h, w] = [8, 8];
  const rate = 0.25;
  let seed = 12345;
  const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const layers = [
    {
      index: 0,
      spec: { type: 'conv2d', filters: channels, kernel: [3, 3], stride: 1, padding: 1, activation: 'relu' },
      units: channels * 256,
      shape: [channels, 16, 16],
      mode: 'train',
    },
    {
      index: 1,
      spec: { type: 'dropout2d', rate },
      units: channels * h * w,
      shape: [channels, h, w],
      mode: 'train',
      rate,
    },
  ];
  const events = [{ type: 'ready', layers, task: 'classification', inputDim: 256 }];
  const masks = [];
  const maps = [];
  for (let step = 1; step <= 40; step++) {
    const keep = Array.from({ length: channels }, () => random() >= rate);
    if (step === 40) keep.splice(0, 3, false, true, false); // some dropped, some kept in the last picture
    const bits = [keep.reduce((b, k, c) => b | ((k ? 1 : 0) << c), 0)];
    const mask = {
      type: 'masks',
      step,
      layers: [{ layer, units: channels, bits, rate, realizedDropFraction: keep.filter((k) => !k).length / channels }],
    };
    const before = Float32Array.from({ length: channels * h * w }, () => Math.max(0, random() * 2 - 0.5));
    const after = before.map((v, i) => (keep[Math.floor(i / (h * w))] ? v / (1 - rate) : 0));
    const picture = { type: 'featureMaps', step, layer, shape: [channels, h, w], before, after };
    masks.push(mask);
    maps.push(picture);
    events.push({ type: 'step', step, epoch: 1, loss: 1 / step, lr: 0.01, stepsPerSecond: 100 }, mask, picture);
  }
  const snapshot = {
    runId: 'conv',
    name: 'shapes, spatial dropout',
    status: 'paused',
    layers,
    task: 'classification',
    inputDim: 256,
    epochs: [],
    totalEpochs: 10,
    step: 0,
    stepsPerSecond: 0,
  };
  return { events, masks, maps, snapshot, layer, channels };
}
