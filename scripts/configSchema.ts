/**
 * The JSON Schema of model configs, built from the vocabulary of src/protocol/vocabulary.ts: every enum and
 * every mapping's key set comes from there, so the schema cannot drift from the reader. What is written here is
 * only what a schema adds: descriptions, defaults and bounds. scripts/build-schema.mjs writes the result to
 * schemas/model-config.schema.json (`npm run build:schema`; `--check` in `npm run lint` fails on a stale file).
 */
import {
  ACTIVATIONS,
  CONFIG_KEYS,
  CSV_ONLY_DATA_KEYS,
  DROPOUT_KINDS,
  DROPOUT_SCALINGS,
  GENERATOR_ONLY_DATA_KEYS,
  GENERATORS,
  INITS,
  type LAYER_KEYS,
  LAYER_KINDS,
  LAYER_MODES,
  LOSSES,
  OPTIMIZERS,
  layerItemKeys,
  type LayerKind,
} from '../src/protocol/vocabulary';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };

/** An object schema whose properties are exactly `keys`, each described in `props` (the compiler checks both ways). */
function object<const K extends string>(keys: readonly K[], props: { [P in K]: Schema }, extra: Schema = {}): Schema {
  const properties: { [key: string]: Json } = {};
  for (const k of keys) properties[k] = props[k];
  return { type: 'object', additionalProperties: false, ...extra, properties };
}

const rate = (description: string): Schema => ({
  type: 'number',
  minimum: 0,
  exclusiveMaximum: 1,
  description,
});

const data = object(
  CONFIG_KEYS.data,
  {
    generator: {
      enum: [...GENERATORS],
      description: 'Built-in dataset: 2-D points (regression: 1-D); shapes, bars and glyphs: 1×16×16 images.',
    },
    csv: {
      type: 'string',
      minLength: 1,
      description: 'CSV file path relative to this config; first row is the header.',
    },
    label: {
      oneOf: [
        { type: 'string', minLength: 1 },
        { type: 'integer', minimum: 0 },
      ],
      description: 'CSV label column: header name or 0-based index. Default: last column.',
    },
    standardize: {
      type: 'boolean',
      default: true,
      description: 'CSV: standardize features with training-split statistics.',
    },
    shape: {
      type: 'array',
      items: { type: 'integer', minimum: 1 },
      minItems: 3,
      maxItems: 3,
      description:
        'CSV: each row is an image [channels, height, width] in NCHW order; channels × height × width must equal the feature count.',
    },
    samples: { type: 'integer', minimum: 4, default: 200, description: 'Generator: number of samples.' },
    noise: { type: 'number', minimum: 0, default: 0.1, description: 'Generator: noise level.' },
    classes: {
      type: 'integer',
      minimum: 2,
      maximum: 100,
      description: 'Generator blobs/spirals: number of classes.',
    },
    validation: {
      type: 'number',
      exclusiveMinimum: 0,
      exclusiveMaximum: 1,
      default: 0.3,
      description: 'Fraction held out for validation.',
    },
  },
  { description: 'Where samples come from: a built-in generator or a CSV file.' },
);
data.oneOf = [
  {
    required: ['generator'],
    not: { anyOf: ['csv', ...CSV_ONLY_DATA_KEYS].map((k) => ({ required: [k] })) },
  },
  {
    required: ['csv'],
    not: { anyOf: ['generator', ...GENERATOR_ONLY_DATA_KEYS].map((k) => ({ required: [k] })) },
  },
];

const side: Schema = { type: 'integer', minimum: 1, maximum: 1024 };

function batchNorm(path: 'layer.batchnorm' | 'layer.batchnorm2d'): Schema {
  return {
    oneOf: [
      { type: 'null' },
      object(CONFIG_KEYS[path], {
        momentum: {
          type: 'number',
          exclusiveMinimum: 0,
          maximum: 1,
          default: 0.1,
          description: 'Running-statistics momentum (PyTorch convention).',
        },
        epsilon: { type: 'number', exclusiveMinimum: 0, default: 0.00001 },
      }),
    ],
  };
}

/** One layer item's schema per kind: its kind key's value and its options. Adding a kind without one fails here. */
const LAYER_SCHEMAS: { [K in LayerKind]: { description: string; props: { [P in LayerKeys<K>]: Schema } } } = {
  dense: {
    description: 'Fully connected layer.',
    props: {
      dense: { type: 'integer', minimum: 1, maximum: 4096, description: 'Units.' },
      activation: {
        enum: [...ACTIVATIONS],
        description: 'Default: relu for hidden layers, linear for the last dense layer.',
      },
      dropconnect: rate("DropConnect drop rate on this layer's weights."),
    },
  },
  batchnorm: {
    description: 'Batch normalization.',
    props: { batchnorm: batchNorm('layer.batchnorm') },
  },
  conv2d: {
    description: '2-D convolution over an image [C, H, W] (NCHW, as PyTorch).',
    props: {
      conv2d: { type: 'integer', minimum: 1, maximum: 4096, description: 'Filters (output channels).' },
      kernel: {
        oneOf: [side, { type: 'array', items: side, minItems: 2, maxItems: 2 }],
        description: 'Kernel side, or [height, width].',
      },
      stride: { ...side, default: 1 },
      padding: { type: 'integer', minimum: 0, maximum: 1024, default: 0, description: 'Zero padding on every side.' },
      activation: { enum: [...ACTIVATIONS], default: 'relu' },
      dropconnect: rate("DropConnect drop rate on this layer's kernel weights."),
    },
  },
  maxpool2d: {
    description: 'Max pooling over square windows.',
    props: {
      maxpool2d: { ...side, description: 'Window side.' },
      stride: { ...side, description: 'Default: the window side.' },
    },
  },
  avgpool2d: {
    description: 'Average pooling over square windows.',
    props: {
      avgpool2d: { ...side, description: 'Window side.' },
      stride: { ...side, description: 'Default: the window side.' },
    },
  },
  flatten: {
    description: 'An image [C, H, W] to a flat vector of C*H*W (NCHW order), before a dense layer.',
    props: { flatten: { oneOf: [{ const: true }, { type: 'null' }] } },
  },
  batchnorm2d: {
    description: 'Batch normalization per channel, over the batch and the positions.',
    props: { batchnorm2d: batchNorm('layer.batchnorm2d') },
  },
  dropout2d: {
    description: 'Spatial dropout: whole channels dropped per sample, kept ones scaled by 1/(1-rate).',
    props: { dropout2d: rate('Drop probability of each channel.') },
  },
  dropout: {
    description: 'Dropout layer.',
    props: {
      dropout: {
        oneOf: [
          rate('Drop probability (Bernoulli, inverted scaling).'),
          object(
            CONFIG_KEYS['layer.dropout'],
            {
              rate: rate('Drop probability.'),
              kind: {
                enum: [...DROPOUT_KINDS],
                default: 'bernoulli',
                description: 'Mask distribution; spatial drops whole channels and needs shape.',
              },
              scaling: {
                enum: [...DROPOUT_SCALINGS],
                default: 'inverted',
                description:
                  'inverted: scale kept units by 1/(1-rate) in training; standard: scale by (1-rate) at test.',
              },
              shape: {
                type: 'array',
                items: { type: 'integer', minimum: 1 },
                minItems: 2,
                maxItems: 2,
                description: 'Spatial: the input viewed as [positions, channels].',
              },
            },
            { required: ['rate'] },
          ),
        ],
      },
    },
  },
};

type LayerKeys<K extends LayerKind> = K | (typeof LAYER_KEYS)[K][number];

const layer = (kind: LayerKind): Schema => {
  const { description, props } = LAYER_SCHEMAS[kind];
  return object(layerItemKeys(kind), props as Record<string, Schema>, { required: [kind], description });
};

const model = object(
  CONFIG_KEYS.model,
  {
    input: {
      oneOf: [
        { type: 'integer', minimum: 1, maximum: 4096 },
        { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 3, maxItems: 3 },
      ],
      description:
        'Input width, or an image [channels, height, width]. Optional for CSV data (the file decides, or data.shape) and generators (2, regression 1, images [1, 16, 16]).',
    },
    layers: {
      type: 'array',
      minItems: 1,
      description: 'Layers in order; the last dense layer is the output.',
      items: { oneOf: LAYER_KINDS.map(layer) },
    },
  },
  { required: ['layers'], description: 'The network.' },
);

const optimizer = (name: (typeof OPTIMIZERS)[number], body: Schema): Schema => ({
  type: 'object',
  additionalProperties: false,
  required: [name],
  properties: { [name]: { ...body, type: ['object', 'null'] } },
});

const sgd = object(CONFIG_KEYS['optimizer.sgd'], {
  lr: { type: 'number', exclusiveMinimum: 0, default: 0.05 },
  momentum: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.9 },
  nesterov: { type: 'boolean', default: false },
  weightDecay: { type: 'number', minimum: 0, default: 0 },
  dampening: { type: 'number', minimum: 0, maximum: 1, default: 0 },
});
const adam = object(CONFIG_KEYS['optimizer.adam'], {
  lr: { type: 'number', exclusiveMinimum: 0, default: 0.001 },
  beta1: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.9 },
  beta2: { type: 'number', minimum: 0, exclusiveMaximum: 1, default: 0.999 },
  epsilon: { type: 'number', exclusiveMinimum: 0, default: 1e-8 },
  weightDecay: { type: 'number', minimum: 0, default: 0 },
});

const gamma = (def: number, description?: string): Schema => ({
  type: 'number',
  exclusiveMinimum: 0,
  maximum: 1,
  default: def,
  ...(description ? { description } : {}),
});

const training = object(
  CONFIG_KEYS.training,
  {
    epochs: { type: 'integer', minimum: 1, default: 50, description: 'Passes over the training split.' },
    batch: { type: 'integer', minimum: 1, default: 32, description: 'Mini-batch size.' },
    optimizer: {
      description: 'Default: sgd lr 0.05 momentum 0.9.',
      oneOf: OPTIMIZERS.map((name) => optimizer(name, { sgd, adam }[name])),
    },
    schedule: {
      description: 'Learning-rate schedule. Absent: constant.',
      oneOf: [
        { const: 'constant' },
        object(
          ['step'],
          {
            step: object(
              CONFIG_KEYS['schedule.step'],
              {
                every: { type: 'integer', minimum: 1, description: 'Epochs between drops.' },
                gamma: gamma(0.5),
              },
              { required: ['every'] },
            ),
          },
          { required: ['step'] },
        ),
        object(
          ['exponential'],
          {
            exponential: object(CONFIG_KEYS['schedule.exponential'], {
              gamma: gamma(0.99, 'lr *= gamma every epoch.'),
            }),
          },
          { required: ['exponential'] },
        ),
      ],
    },
    maxNorm: {
      type: 'number',
      exclusiveMinimum: 0,
      description: "Max-norm constraint on each unit's incoming weights.",
    },
    loss: { enum: [...LOSSES], description: 'Default: mse for the regression generator, else cross-entropy.' },
    init: { enum: [...INITS], default: 'he', description: 'Weight initialisation.' },
  },
  { description: 'Optimisation.' },
);

const evaluation = object(
  CONFIG_KEYS.evaluation,
  {
    mode: {
      enum: [...LAYER_MODES],
      default: 'eval',
      description:
        'eval turns dropout off. train keeps it on: a mistake unless mcSamples declares Monte Carlo dropout.',
    },
    mcSamples: {
      type: 'integer',
      minimum: 2,
      maximum: 10000,
      description: 'Monte Carlo dropout: stochastic passes at inference.',
    },
  },
  { description: 'How validation runs.' },
);

export function buildSchema(): Schema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://dropout-lens.invalid/schemas/model-config.schema.json',
    $comment:
      'GENERATED by scripts/build-schema.mjs from src/protocol/vocabulary.ts and scripts/configSchema.ts. Do not edit; run npm run build:schema.',
    title: 'Dropout Lens model config',
    description:
      'A small network, its dataset, training and evaluation, trained by Dropout Lens (*.dropout.yaml, *.dropout.yml, *.dropout.json). Rates are drop probabilities in [0, 1).',
    ...object(
      CONFIG_KEYS.root,
      {
        name: { type: 'string', minLength: 1, description: 'Display name. Default: the file name.' },
        seed: {
          type: 'integer',
          minimum: 0,
          default: 0,
          description: 'Seed of data generation, initialisation, shuffling and dropout masks.',
        },
        data,
        model,
        training,
        evaluation,
      },
      { required: ['data', 'model'] },
    ),
  };
}
