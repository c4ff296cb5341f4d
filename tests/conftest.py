import os
import sys
import tempfile

import numpy as np
import pytest

# The suite must not depend on the developer's ~/.keras/keras.json or environment: symkeras
# reads them at import, which happens after this file is loaded.
os.environ['KERAS_HOME'] = tempfile.mkdtemp(prefix='symkeras-tests-')
os.environ.pop('KERAS_IMAGE_DIM_ORDERING', None)

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(autouse=True)
def _seed():
    np.random.seed(1337)


@pytest.fixture
def float64():
    """floatx float64 for the whole test (variables made in it are float64), restored after."""
    import symkeras.backend as K
    old = K.floatx()
    K.set_floatx('float64')
    yield
    K.set_floatx(old)
