"""symkeras.backend: the Keras 1 backend API (`K`), on symkeras' own compiler and runtime."""
from .config import (backend, cast_to_floatx, epsilon, floatx, get_uid, image_dim_ordering,
                     legacy_weight_ordering, reset_uids, set_epsilon, set_floatx,
                     set_image_dim_ordering, set_legacy_weight_ordering)
from .graph import Tensor, layer_scope
from .variables import (Variable, batch_get_value, batch_set_value, count_params, dtype, eval,
                        eye, get_value, get_variable_shape, int_shape, is_explicit_shape,
                        is_keras_tensor, is_sparse, learning_phase, ndim, ones, placeholder,
                        random_normal_variable, random_uniform_variable, set_learning_phase,
                        set_value, to_dense, variable, zeros)
from .function import Function, function
from .grad import gradients
from .ops.broadcast import *      # noqa: F401,F403
from .ops.elementwise import *    # noqa: F401,F403
from .ops.reduce import *         # noqa: F401,F403
from .ops.nn import *             # noqa: F401,F403
from .ops.shape import *          # noqa: F401,F403
from .ops.index import *          # noqa: F401,F403
from .ops.linalg import *         # noqa: F401,F403
from .ops.random import *         # noqa: F401,F403
from .ops.control import *        # noqa: F401,F403
from .ops.pool import *           # noqa: F401,F403
from .ops.conv import *           # noqa: F401,F403
from .ops.rnn import *            # noqa: F401,F403

