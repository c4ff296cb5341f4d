"""Backend settings: epsilon, floatx, image dim ordering, keras.json and environment overrides,
auto-name counters."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import symkeras.backend as K
from symkeras.backend import config


@pytest.fixture(autouse=True)
def restore_settings():
    saved = config._FLOATX, config._EPSILON, config._IMAGE_DIM_ORDERING
    yield
    config._FLOATX, config._EPSILON, config._IMAGE_DIM_ORDERING = saved


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    """An empty KERAS_HOME; write keras.json into it and call config._load_user_config()."""
    monkeypatch.setenv('KERAS_HOME', str(tmp_path))
    monkeypatch.delenv('KERAS_IMAGE_DIM_ORDERING', raising=False)
    return tmp_path


def write_config(home, cfg):
    (home / 'keras.json').write_text(cfg if isinstance(cfg, str) else json.dumps(cfg))


def test_defaults(tmp_path):
    """In a fresh process with no keras.json: Keras 1 defaults with the Theano-era 'th'."""
    env = dict(os.environ, KERAS_HOME=str(tmp_path))
    env.pop('KERAS_IMAGE_DIM_ORDERING', None)
    code = ('import symkeras.backend as K; '
            'print(K.epsilon(), K.floatx(), K.image_dim_ordering(), K.backend())')
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(K.__file__))))
    out = subprocess.run([sys.executable, '-c', code], env=env, cwd=root, capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ['1e-07', 'float32', 'th', 'theano']


def test_epsilon():
    K.set_epsilon(1e-4)
    assert K.epsilon() == 1e-4
    K.set_epsilon('0.001')
    assert K.epsilon() == 1e-3 and isinstance(K.epsilon(), float)


def test_floatx():
    K.set_floatx('float64')
    assert K.floatx() == 'float64'
    assert K.dtype(K.variable(1.)) == 'float64'
    assert K.cast_to_floatx([1, 2]).dtype == np.float64
    K.set_floatx('float32')
    assert K.dtype(K.variable(1.)) == 'float32'


def test_floatx_rejects_float16_and_unknown_names():
    with pytest.raises(ValueError, match="unknown floatx 'float16'.*float32, float64.*no kernels"):
        K.set_floatx('float16')
    with pytest.raises(ValueError, match="unknown floatx 'double'"):
        K.set_floatx('double')
    assert K.floatx() == 'float32'


def test_image_dim_ordering():
    K.set_image_dim_ordering('tf')
    assert K.image_dim_ordering() == 'tf'
    K.set_image_dim_ordering('th')
    assert K.image_dim_ordering() == 'th'
    with pytest.raises(ValueError, match="unknown dim_ordering 'channels_last'; expected 'th' or 'tf'"):
        K.set_image_dim_ordering('channels_last')
    assert K.image_dim_ordering() == 'th'


def test_cast_to_floatx():
    a = K.cast_to_floatx(np.array([1, 2], 'int64'))
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    np.testing.assert_array_equal(a, [1, 2])
    assert K.cast_to_floatx(3.5).dtype == np.float32 and K.cast_to_floatx(3.5) == 3.5


def test_uids():
    K.reset_uids()
    assert [K.get_uid('dense'), K.get_uid('dense'), K.get_uid('conv'), K.get_uid('dense')] == [1, 2, 1, 3]
    assert K.get_uid() == 1
    K.reset_uids()
    assert K.get_uid('dense') == 1
    K.reset_uids()


def test_keras_json_overrides(keras_home):
    write_config(keras_home, {'floatx': 'float64', 'epsilon': 1e-5, 'image_dim_ordering': 'tf',
                              'backend': 'theano'})
    config._load_user_config()
    assert (K.floatx(), K.epsilon(), K.image_dim_ordering()) == ('float64', 1e-5, 'tf')


def test_keras_json_partial_and_missing(keras_home):
    write_config(keras_home, {'epsilon': 1e-3})
    config._load_user_config()
    assert (K.floatx(), K.epsilon(), K.image_dim_ordering()) == ('float32', 1e-3, 'th')
    (keras_home / 'keras.json').unlink()
    config._load_user_config()               # no file: settings unchanged
    assert (K.floatx(), K.epsilon(), K.image_dim_ordering()) == ('float32', 1e-3, 'th')


def test_env_image_dim_ordering_wins(keras_home, monkeypatch):
    write_config(keras_home, {'image_dim_ordering': 'th'})
    monkeypatch.setenv('KERAS_IMAGE_DIM_ORDERING', 'tf')
    config._load_user_config()
    assert K.image_dim_ordering() == 'tf'


def test_bad_user_config_changes_nothing(keras_home, monkeypatch):
    write_config(keras_home, {'floatx': 'float16', 'epsilon': 1e-3})
    with pytest.raises(ValueError, match="floatx 'float16'.*keras.json"):
        config._load_user_config()
    assert (K.floatx(), K.epsilon(), K.image_dim_ordering()) == ('float32', 1e-7, 'th')
    write_config(keras_home, {'floatx': 'float64'})
    monkeypatch.setenv('KERAS_IMAGE_DIM_ORDERING', 'xy')
    with pytest.raises(ValueError, match="dim_ordering 'xy'"):
        config._load_user_config()
    assert (K.floatx(), K.image_dim_ordering()) == ('float32', 'th')
    write_config(keras_home, '{"floatx": ')
    with pytest.raises(ValueError, match='cannot read .*keras.json'):
        config._load_user_config()
    assert K.floatx() == 'float32'


def test_import_with_an_unusable_keras_json_warns_and_keeps_the_defaults(tmp_path):
    import subprocess
    import sys
    (tmp_path / 'keras.json').write_text('{"floatx": "float16", "image_dim_ordering": "tf"}')
    code = ('import warnings, symkeras.backend as K; '
            'print(K.floatx(), K.image_dim_ordering())')
    env = dict(os.environ, KERAS_HOME=str(tmp_path))
    env.pop('KERAS_IMAGE_DIM_ORDERING', None)
    run = subprocess.run([sys.executable, '-W', 'always', '-c', code], env=env,
                         capture_output=True, text=True, check=True)
    assert run.stdout.split() == ['float32', 'th']
    assert 'float16' in run.stderr and 'using the defaults' in run.stderr
