"""Keras 1 module path symkeras.datasets."""
