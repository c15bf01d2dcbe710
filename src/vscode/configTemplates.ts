/** Model config templates offered by "New Model Config…": a dataset and an architecture, combined. */
import type { GeneratorName } from '../protocol/modelSpec';

export interface DatasetChoice {
  id: GeneratorName;
  label: string;
  detail: string;
  classes: number;
  regression: boolean;
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
];

export interface ArchitectureChoice {
  id: string;
  label: string;
  detail: string;
  hidden: (output: string) => string;
}

export const ARCHITECTURES: ArchitectureChoice[] = [
  {
    id: 'paper',
    label: "MLP with dropout (the paper's recipe)",
    detail: 'Input dropout 0.2, hidden dropout 0.5, max-norm 3, SGD with high momentum.',
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
    hidden: (output) => `    - dense: 128
    - batchnorm: {}
    - dropout: 0.3
    - dense: 64
      activation: relu
    - dropout: 0.3
${output}`,
  },
];

export function renderConfig(name: string, dataset: DatasetChoice, architecture: ArchitectureChoice): string {
  const outputs = dataset.regression ? 1 : dataset.classes;
  const output = `    - dense: ${outputs}
      activation: linear`;
  const classes = dataset.id === 'spirals' || dataset.id === 'blobs' ? `\n  classes: ${dataset.classes}` : '';
  const maxNorm = architecture.id === 'paper' ? '\n  maxNorm: 3' : '';
  return `name: ${name}
seed: 42
data:
  generator: ${dataset.id}
  samples: ${dataset.id === 'overfit' ? 120 : 400}
  noise: ${dataset.regression ? 0.2 : 0.25}${classes}
  validation: 0.3
model:
  input: ${dataset.regression ? 1 : 2}
  layers:
${architecture.hidden(output)}
training:
  epochs: 100
  batch: 32
  optimizer: { sgd: { lr: 0.05, momentum: 0.9 } }${maxNorm}
evaluation:
  mode: eval
`;
}
