"""`from keras.legacy.models import Graph` (Keras 1.0 - 1.1.1): the 0.3.3 Graph container of
symkeras.engine.graph."""
from ..engine.graph import Graph

__all__ = ['Graph']
