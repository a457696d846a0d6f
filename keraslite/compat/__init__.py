"""Compatibility with older Keras dialects and import paths: aliases (import keras,
tensorflow.keras, ...), Keras 1/2 argument translation, and a small tensorflow shim."""
