"""Keras 1 module path symkeras.utils."""
