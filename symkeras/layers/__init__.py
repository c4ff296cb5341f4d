"""Keras 1.2.2 `keras.layers`: the engine's Layer, Input, InputLayer, Merge, merge and
InputSpec, and every layer class of the layer modules."""
from ..engine import Input, InputLayer, InputSpec, Layer, Merge, merge  # noqa: F401
from .advanced_activations import *  # noqa: F401,F403
from .convolutional import *  # noqa: F401,F403
from .convolutional_recurrent import *  # noqa: F401,F403
from .core import *  # noqa: F401,F403
from .embeddings import *  # noqa: F401,F403
from .local import *  # noqa: F401,F403
from .noise import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .resampling import *  # noqa: F401,F403
from .wrappers import *  # noqa: F401,F403
