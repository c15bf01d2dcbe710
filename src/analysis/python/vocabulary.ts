/**
 * The vocabulary: the layer and function names of PyTorch and Keras each rule recognizes, and the name
 * patterns (inference and training functions, validation loaders, Monte Carlo intent, model parameters,
 * sub-blocks).
 */

export const TORCH_DROPOUT = new Set([
  'Dropout',
  'Dropout1d',
  'Dropout2d',
  'Dropout3d',
  'AlphaDropout',
  'FeatureAlphaDropout',
]);
/** Dropout classes (PyTorch and Keras) that drop whole channels of a feature map. */
export const CHANNEL_DROPOUT = new Set([
  'Dropout1d',
  'Dropout2d',
  'Dropout3d',
  'FeatureAlphaDropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'SpatialDropout3D',
]);
export const TORCH_BN = new Set([
  'BatchNorm1d',
  'BatchNorm2d',
  'BatchNorm3d',
  'SyncBatchNorm',
  'LazyBatchNorm1d',
  'LazyBatchNorm2d',
  'LazyBatchNorm3d',
]);
export const TORCH_WEIGHT = new Set([
  'Linear',
  'LazyLinear',
  'Bilinear',
  'Conv1d',
  'Conv2d',
  'Conv3d',
  'ConvTranspose1d',
  'ConvTranspose2d',
  'ConvTranspose3d',
  'LSTM',
  'GRU',
  'RNN',
  'Embedding',
]);
/** The convolutions among the weight layers. */
export const TORCH_CONV = new Set([
  'Conv1d',
  'Conv2d',
  'Conv3d',
  'ConvTranspose1d',
  'ConvTranspose2d',
  'ConvTranspose3d',
]);
export const TORCH_ACT = new Set([
  'ReLU',
  'ReLU6',
  'LeakyReLU',
  'ELU',
  'SELU',
  'CELU',
  'GELU',
  'SiLU',
  'Mish',
  'Tanh',
  'Sigmoid',
  'Softmax',
  'LogSoftmax',
  'Softplus',
  'Hardtanh',
  'PReLU',
  'Hardswish',
  'Hardsigmoid',
  'Softsign',
  'Tanhshrink',
]);
export const TORCH_NEUTRAL = new Set([
  'Flatten',
  'Unflatten',
  'Identity',
  'MaxPool1d',
  'MaxPool2d',
  'MaxPool3d',
  'AvgPool1d',
  'AvgPool2d',
  'AvgPool3d',
  'AdaptiveAvgPool1d',
  'AdaptiveAvgPool2d',
  'AdaptiveAvgPool3d',
  'AdaptiveMaxPool1d',
  'AdaptiveMaxPool2d',
  'LayerNorm',
  'GroupNorm',
  'InstanceNorm1d',
  'InstanceNorm2d',
]);
export const F_DROPOUT = new Set([
  'dropout',
  'dropout1d',
  'dropout2d',
  'dropout3d',
  'alpha_dropout',
  'feature_alpha_dropout',
]);
export const F_ACT = new Set([
  'relu',
  'relu6',
  'gelu',
  'elu',
  'selu',
  'silu',
  'leaky_relu',
  'softmax',
  'log_softmax',
  'sigmoid',
  'tanh',
  'softplus',
  'mish',
  'hardtanh',
]);
export const KERAS_DROPOUT = new Set([
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'SpatialDropout3D',
  'GaussianDropout',
  'AlphaDropout',
]);
export const KERAS_BN = new Set(['BatchNormalization']);
export const KERAS_WEIGHT = new Set([
  'Dense',
  'EinsumDense',
  'Conv1D',
  'Conv2D',
  'Conv3D',
  'Conv1DTranspose',
  'Conv2DTranspose',
  'Conv3DTranspose',
  'SeparableConv1D',
  'SeparableConv2D',
  'DepthwiseConv2D',
  'LSTM',
  'GRU',
  'SimpleRNN',
  'Embedding',
]);
export const KERAS_CONV = new Set([
  'Conv1D',
  'Conv2D',
  'Conv3D',
  'Conv1DTranspose',
  'Conv2DTranspose',
  'Conv3DTranspose',
  'SeparableConv1D',
  'SeparableConv2D',
  'DepthwiseConv2D',
]);
export const KERAS_ACT = new Set(['Activation', 'ReLU', 'Softmax', 'LeakyReLU', 'ELU', 'PReLU']);
export const KERAS_NEUTRAL = new Set([
  'Flatten',
  'Reshape',
  'InputLayer',
  'Input',
  'MaxPooling1D',
  'MaxPooling2D',
  'MaxPooling3D',
  'AveragePooling1D',
  'AveragePooling2D',
  'GlobalAveragePooling1D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling1D',
  'GlobalMaxPooling2D',
  'LayerNormalization',
  'Permute',
  'RepeatVector',
]);
export const TENSOR_NEUTRAL_METHODS = new Set([
  'view',
  'reshape',
  'flatten',
  'squeeze',
  'unsqueeze',
  'contiguous',
  'permute',
  'transpose',
  'float',
  'to',
]);
export const TENSOR_ACT_METHODS = new Set(['relu', 'sigmoid', 'tanh', 'softmax', 'log_softmax']);

export const INFERENCE_FN =
  /^(?:_*)(?:val|valid|validate|validation|eval|evaluate|evaluation|predict|prediction|predictions|infer|inference|test|run_test|run_eval|run_validation|evaluate_model|test_model|test_loop|test_epoch|val_epoch|val_loop|eval_epoch|eval_loop|validate_epoch|validation_loop|evaluate_\w+|predict_\w+|infer_\w+|validate_\w+|eval_\w+|val_\w+|compute_(?:val|test|eval)\w*|score|score_model|accuracy|compute_accuracy|get_predictions)$/i;
export const TRAIN_FN = /train|fit|(^|_)step$|optimi[sz]e|finetune|fine_tune/i;
/** A step function that evaluates (val_step, test_step, evaluation_step), though TRAIN_FN matches its "step". */
export const EVAL_STEP_FN = /(^|_)(val|valid|validation|test|eval|evaluation|predict|prediction|inference)_step$/i;
export const VAL_ITER =
  /(^|[_.])(val|valid|validation|test|testing|eval|evaluation|dev|holdout)(_(?!(lens?|lengths?|masks?|tokens|ids|idx|positions?)(_|$))|$|loader|set|data|ds|dl|batches|iter)|^(val|valid|test|eval|dev)[A-Z]|^(valloader|testloader|evalloader|validloader)$/i;
export const MC_WORDS =
  /(^|[^a-z])mc([^a-z]|$)|monte[\s_-]*carlo|mc_?dropout|mcdropout|uncertaint|bayes|stochastic[_ ]?forward|enable_dropout|activate_dropout|mc_samples|n_samples|num_samples|n_mc/i;
export const MODEL_PARAM =
  /^(model|net|network|classifier|module|mdl|student|clf|regressor)$|(^|_)(model|net|network|classifier)(_|$)/i;
export const BLOCK_NAME =
  /^(features|encoder|backbone|block|blocks|body|trunk|stem|embed|embedding|extractor|feature_extractor|conv|convs|layers_?\d*|hidden|shared|base)$/i;

/** Calls that wrap a model and keep its mode: the result is in whatever mode the argument was. */
export const MODE_PRESERVING_WRAPPERS = new Set([
  'torch.compile',
  'torch.jit.script',
  'torch.jit.trace',
  'torch.jit.freeze',
  'torch.jit.optimize_for_inference',
  'torch.fx.symbolic_trace',
  'torch.fx.GraphModule',
  'torch.nn.DataParallel',
  'torch.nn.parallel.DataParallel',
  'torch.nn.parallel.DistributedDataParallel',
  'torch.ao.quantization.quantize_dynamic',
  'torch.quantization.quantize_dynamic',
]);
