/** Model config templates offered by "New Model Config…": a dataset and an architecture, combined. */
import type { GeneratorName } from '../protocol/modelSpec';

export interface DatasetChoice {
  id: GeneratorName;
  label: string;
  detail: string;
  classes: number;
  regression: boolean;
  /** 1×16×16 images: offered the convolutional architectures. */
  images?: boolean;
}

export const DATASETS: DatasetChoice[] = [
  {
    id: 'moons',
    label: 'Two moons',
    detail: 'Two interleaved half circles with noise: the classic 2-D toy.',
    classes: 2,
    regression: false,
  },
  {
    id: 'overfit',
    label: 'Overfitting on purpose',
    detail: 'Few noisy samples: an unregularized network memorizes them.',
    classes: 2,
    regression: false,
  },
  { id: 'circles', label: 'Circles', detail: 'A ring around a disc.', classes: 2, regression: false },
  {
    id: 'spirals',
    label: 'Spirals',
    detail: 'Three interleaved spirals: needs capacity.',
    classes: 3,
    regression: false,
  },
  { id: 'xor', label: 'XOR', detail: 'Four noisy quadrants.', classes: 2, regression: false },
  { id: 'blobs', label: 'Gaussian blobs', detail: 'Separable clusters.', classes: 3, regression: false },
  {
    id: 'regression',
    label: 'Noisy 1-D regression',
    detail: 'A wavy curve with noise, mean-squared error.',
    classes: 1,
    regression: true,
  },
  {
    id: 'shapes',
    label: 'Shapes (images)',
    detail: '1×16×16 outlines of squares, circles, triangles and crosses, anywhere in the image.',
    classes: 4,
    regression: false,
    images: true,
  },
  {
    id: 'bars',
    label: 'Bars (images)',
    detail: '1×16×16 horizontal, vertical or diagonal bars.',
    classes: 3,
    regression: false,
    images: true,
  },
  {
    id: 'glyphs',
    label: 'Glyphs (images)',
    detail: '1×16×16 noisy seven-segment digits 0-9.',
    classes: 10,
    regression: false,
    images: true,
  },
];

export interface ArchitectureChoice {
  id: string;
  label: string;
  detail: string;
  /** What it takes: flat points, or images (its first layers are convolutions). */
  input: 'flat' | 'image';
  hidden: (output: string) => string;
}

export const ARCHITECTURES: ArchitectureChoice[] = [
  {
    id: 'paper',
    label: "MLP with dropout (the paper's recipe)",
    detail: 'Input dropout 0.2, hidden dropout 0.5, max-norm 3, SGD with high momentum.',
    input: 'flat',
    hidden: (output) => `    - dropout: 0.2
    - dense: 128
      activation: relu
    - dropout: 0.5
    - dense: 128
      activation: relu
    - dropout: 0.5
${output}`,
  },
  {
    id: 'plain',
    label: 'Wide MLP without dropout',
    detail: 'The baseline that overfits; compare it with the dropout version.',
    input: 'flat',
    hidden: (output) => `    - dense: 128
      activation: relu
    - dense: 128
      activation: relu
${output}`,
  },
  {
    id: 'batchnorm',
    label: 'MLP with batch norm, then dropout',
    detail: 'Dropout after batch normalization, as recommended (not before it).',
    input: 'flat',
    hidden: (output) => `    - dense: 128
    - batchnorm: {}
    - dropout: 0.3
    - dense: 64
      activation: relu
    - dropout: 0.3
${output}`,
  },
  {
    id: 'cnn',
    label: 'Small CNN with spatial dropout',
    detail: 'Two convolutions, Dropout2d 0.2 on the first one’s channels, dropout 0.3 before the output.',
    input: 'image',
    hidden: (output) => `    - { conv2d: 8, kernel: 3, padding: 1 }
    - dropout2d: 0.2
    - maxpool2d: 2
    - { conv2d: 16, kernel: 3, padding: 1 }
    - maxpool2d: 2
    - flatten: true
    - dense: 32
    - dropout: 0.3
${output}`,
  },
  {
    id: 'cnn-batchnorm',
    label: 'CNN with batch norm, then spatial dropout',
    detail:
      'Batch norm after each convolution, Dropout2d after the last one (not before a batch norm, even through a convolution).',
    input: 'image',
    hidden: (output) => `    - { conv2d: 8, kernel: 3, padding: 1 }
    - batchnorm2d: {}
    - maxpool2d: 2
    - { conv2d: 16, kernel: 3, padding: 1 }
    - batchnorm2d: {}
    - dropout2d: 0.2
    - maxpool2d: 2
    - flatten: true
    - dense: 32
${output}`,
  },
  {
    id: 'cnn-plain',
    label: 'Small CNN without dropout',
    detail: 'The same convolutions with no dropout: the baseline.',
    input: 'image',
    hidden: (output) => `    - { conv2d: 8, kernel: 3, padding: 1 }
    - maxpool2d: 2
    - { conv2d: 16, kernel: 3, padding: 1 }
    - maxpool2d: 2
    - flatten: true
    - dense: 32
${output}`,
  },
];

/** The architectures that take the dataset's input. */
export function architecturesFor(dataset: DatasetChoice): ArchitectureChoice[] {
  return ARCHITECTURES.filter((a) => a.input === (dataset.images ? 'image' : 'flat'));
}

export function renderConfig(name: string, dataset: DatasetChoice, architecture: ArchitectureChoice): string {
  const outputs = dataset.regression ? 1 : dataset.classes;
  const output = `    - dense: ${outputs}
      activation: linear`;
  const classes = dataset.id === 'spirals' || dataset.id === 'blobs' ? `\n  classes: ${dataset.classes}` : '';
  const maxNorm = architecture.id === 'paper' ? '\n  maxNorm: 3' : '';
  const images = dataset.images === true;
  // Images: smaller, cleaner data, fewer epochs (a convolution costs more per sample), Adam.
  const optimizer = images ? '{ adam: { lr: 0.003 } }' : '{ sgd: { lr: 0.05, momentum: 0.9 } }';
  return `name: ${name}
seed: 42
data:
  generator: ${dataset.id}
  samples: ${dataset.id === 'overfit' ? 120 : images ? 600 : 400}
  noise: ${dataset.regression ? 0.2 : images ? 0.15 : 0.25}${classes}
  validation: 0.3
model:
  input: ${images ? '[1, 16, 16]' : dataset.regression ? 1 : 2}
  layers:
${architecture.hidden(output)}
training:
  epochs: ${images ? 20 : 100}
  batch: 32
  optimizer: ${optimizer}${maxNorm}
evaluation:
  mode: eval
`;
}
