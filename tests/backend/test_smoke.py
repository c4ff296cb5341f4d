import numpy as np

import symkeras.backend as K
from opcheck import check_grad, check_value


def test_tanh_value_and_grad():
    x = np.random.uniform(-2, 2, (3, 4))
    check_value(K.tanh, np.tanh, x.astype('float32'))
    check_grad(lambda a, b: K.tanh(a * b) + a / (b + 3), x, np.random.rand(4))
