"""Keras 1.0's `keras.legacy` package: the 0.3.3 Graph container (legacy.models.Graph)."""
