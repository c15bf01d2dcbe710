"""Keras done right: moderate input dropout, dropout between hidden layers only, inference without training=True,
and explicit Monte Carlo dropout."""
import numpy as np
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

inputs = keras.Input(shape=(20,))
x = layers.Dropout(0.1)(inputs)
x = layers.Dense(128, activation="relu")(x)
x = layers.BatchNormalization()(x)
x = layers.Dropout(0.5)(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs=inputs, outputs=outputs)


def predict(x):
    return model(x, training=False)


def mc_predict(x, n_samples=30):
    # Monte Carlo dropout: keep dropout on to sample predictions.
    return np.stack([model(x, training=True) for _ in range(n_samples)]).mean(0)


def tf2_dropout(x):
    return tf.nn.dropout(x, rate=0.2)
