/** How a layer reads in the sidebar and quick picks, e.g. "dense 128 relu" and "bernoulli 0.50". */
import type { LayerSpec } from '../protocol/modelSpec';

export function layerTitle(spec: LayerSpec): string {
  switch (spec.type) {
    case 'dense':
      return `dense ${spec.units} ${spec.activation}`;
    case 'dropout':
      return 'dropout';
    case 'batchnorm':
      return 'batch norm';
    case 'conv2d':
      return `conv2d ${spec.filters} ${spec.kernel[0]}×${spec.kernel[1]} ${spec.activation}`;
    case 'maxpool2d':
    case 'avgpool2d':
      return `${spec.type} ${spec.size}`;
    case 'flatten':
      return 'flatten';
    case 'batchnorm2d':
      return 'batch norm 2d';
    case 'dropout2d':
      return 'dropout2d';
  }
}

/** The dropout this layer applies, or undefined when it has none. */
export function dropoutSummary(spec: LayerSpec, rate?: number): string | undefined {
  if (spec.type === 'dropout') {
    const scaling = spec.scaling === 'standard' ? ', standard scaling' : '';
    return `${spec.kind} ${(rate ?? spec.rate).toFixed(2)}${scaling}`;
  }
  if (spec.type === 'dropout2d') return `dropout2d ${(rate ?? spec.rate).toFixed(2)}`;
  if ((spec.type === 'dense' || spec.type === 'conv2d') && spec.dropConnect)
    return `dropconnect ${(rate ?? spec.dropConnect).toFixed(2)}`;
  return undefined;
}

export function hasDropout(spec: LayerSpec): boolean {
  return dropoutSummary(spec) !== undefined;
}

/** Layers whose train/eval mode changes what they compute: dropout of any kind, and batch norm. */
export function hasMode(spec: LayerSpec): boolean {
  return hasDropout(spec) || spec.type === 'batchnorm' || spec.type === 'batchnorm2d';
}
