import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

SHARED = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', 'shared'))


@pytest.fixture(autouse=True)
def _seed():
    np.random.seed(1337)
