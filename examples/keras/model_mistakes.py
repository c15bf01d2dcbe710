"""Keras / TensorFlow mistakes: keep probability as a rate, high input dropout, dropout on the output,
training=True at inference, the TF1 keep_prob API."""
import tensorflow as tf
from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential([
    layers.Input(shape=(20,)),
    layers.Dropout(0.5),
    layers.Dense(128, activation="relu"),
    layers.Dropout(0.9),
    layers.Dense(10),
    layers.Dropout(0.2),
])


def predict(x):
    return model(x, training=True)


def legacy_layer(x):
    return tf.nn.dropout(x, keep_prob=0.8)
