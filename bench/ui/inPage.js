// Evaluated inside the panel page (bench/ui/panel.ts sends this file's text): delivers `updates` (JSON: each an
// engineBatch host message with a step's masks and activations events; typed arrays as {$typed, values}, rebuilt
// here as VS Code rebuilds them) at `rate` per second, 0 as fast as the page takes them, for `seconds`, each as
// its own task through a MessageChannel (a structured clone, like a webview message), and records what the panel
// does with them. Plain JavaScript: its text runs as is.
async ({ json, rate, seconds }) => {
  const updates = JSON.parse(json, (_k, v) =>
    v && typeof v.$typed === 'string' ? new globalThis[v.$typed](v.values) : v,
  );
  const now = () => performance.now();
  // Updates drawn: those that arrived before a paint of the first layer's heatmap (a putImageData on its canvas),
  // at most its width per paint. The check at the end makes sure each of them stands there as a column.
  const heatmap = document.querySelector('canvas.heatmap');
  const proto = CanvasRenderingContext2D.prototype;
  const putImageData = proto.putImageData;
  let drawn = 0;
  let paints = 0;
  let arrived = 0;
  proto.putImageData = function (...args) {
    if (this.canvas === heatmap && arrived > 0) {
      drawn += Math.min(arrived, heatmap.width);
      arrived = 0;
      paints++;
    }
    return putImageData.apply(this, args);
  };
  // The panel's animation-frame work, shared out among the updates it follows.
  const costs = [];
  let pending = [];
  let longestWork = 0;
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (callback) =>
    raf((t) => {
      const t0 = now();
      callback(t);
      const work = now() - t0;
      longestWork = Math.max(longestWork, work);
      const share = work / Math.max(1, pending.length);
      for (const u of pending) costs[u] += share;
      pending = [];
    });
  // Frames: their intervals, and how many painted new masks.
  const frames = [];
  let framesWithMask = 0;
  let seen = 0;
  let measuring = true;
  const tick = (t) => {
    frames.push(t);
    if (paints > seen) framesWithMask++;
    seen = paints;
    if (measuring) raf(tick);
  };
  raf(tick);
  const longTasks = [];
  const observer = new PerformanceObserver((list) => longTasks.push(...list.getEntries().map((e) => e.duration)));
  observer.observe({ type: 'longtask' });

  const channel = new MessageChannel();
  const start = now();
  const end = start + seconds * 1000;
  let sent = 0;
  await new Promise((done) => {
    const send = () => channel.port2.postMessage(updates[sent++ % updates.length]);
    const next = () => {
      const t = now();
      if (t >= end) return done();
      if (rate === 0) send();
      else setTimeout(send, Math.max(0, start + (sent * 1000) / rate - t));
    };
    channel.port1.onmessage = (e) => {
      const t0 = now();
      window.__deliver(e.data);
      const handled = now() - t0;
      arrived++;
      longestWork = Math.max(longestWork, handled);
      pending.push(costs.length);
      costs.push(handled);
      next();
    };
    next();
  });
  const elapsed = (now() - start) / 1000;
  await new Promise((r) => raf(() => raf(r)));
  measuring = false;
  observer.disconnect();
  proto.putImageData = putImageData;
  window.requestAnimationFrame = raf;
  const intervals = frames.slice(1).map((t, i) => t - frames[i]);
  // The last updates, as many as the heatmap is wide, must stand on it in order, oldest on the left:
  // every kept unit in one colour, every dropped unit in another.
  const layer = Number(heatmap.closest('.layer').id.slice('layer-'.length));
  const { width, height } = heatmap;
  const picture = new Uint32Array(heatmap.getContext('2d').getImageData(0, 0, width, height).data.buffer);
  const shown = Math.min(width, costs.length);
  const colours = [new Set(), new Set()];
  for (let j = 0; j < shown; j++) {
    const masks = updates[(costs.length - shown + j) % updates.length].events.find((e) => e.type === 'masks');
    const { bits } = masks.layers.find((m) => m.layer === layer);
    for (let u = 0; u < height; u++) colours[(bits[u >> 3] >> (u & 7)) & 1].add(picture[u * width + width - shown + j]);
  }
  const columnsMatch = colours.every((c) => c.size === 1) && !colours[1].has([...colours[0]][0]);
  return {
    delivered: costs.length,
    seconds: elapsed,
    costs,
    longestWork,
    drawn,
    columnsMatch,
    framesWithMask,
    intervals,
    longTasks,
  };
};
