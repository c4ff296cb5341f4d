"""Keras 1 `keras.engine`: the layer topology (Layer, Input, InputLayer, InputSpec, Merge,
merge, Container)."""
from .topology import (Container, Input, InputLayer, InputSpec, Layer, Merge, Node,  # noqa: F401
                       get_layer_class, layer_from_config, merge, register_layer_class)
from .training import Model  # noqa: F401
