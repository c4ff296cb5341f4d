"""Keras 1 module path symkeras.preprocessing."""
