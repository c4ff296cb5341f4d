"""Global backend settings: floatx, epsilon, image dim ordering, and auto-name counters.

Defaults are Keras 1's with the Theano-era image ordering 'th'. They can be overridden, as in
Keras, by ~/.keras/keras.json (keys floatx, epsilon, image_dim_ordering; the directory can be
moved with KERAS_HOME) and, for the image ordering, by the environment variable
KERAS_IMAGE_DIM_ORDERING. Reading them happens once, at import.
"""
import json
import os
import warnings
from collections import defaultdict

_FLOATX = 'float32'
_EPSILON = 1e-7
_IMAGE_DIM_ORDERING = 'th'
_UID_PREFIXES = defaultdict(int)
_FLOAT_TYPES = ('float32', 'float64')


def _config_path():
    home = os.environ.get('KERAS_HOME') or os.path.join(os.path.expanduser('~'), '.keras')
    return os.path.join(home, 'keras.json')


def _load_user_config():
    """Apply keras.json and KERAS_IMAGE_DIM_ORDERING; a bad value changes no setting."""
    global _FLOATX, _EPSILON, _IMAGE_DIM_ORDERING
    path = _config_path()
    cfg = {}
    if os.path.exists(path):
        try:
            with open(path) as f:
                cfg = json.load(f)
        except (OSError, ValueError) as e:
            raise ValueError('symkeras: cannot read %s: %s' % (path, e)) from None
    saved = _FLOATX, _EPSILON, _IMAGE_DIM_ORDERING
    try:
        set_floatx(cfg.get('floatx', _FLOATX))
        set_epsilon(cfg.get('epsilon', _EPSILON))
        set_image_dim_ordering(os.environ.get('KERAS_IMAGE_DIM_ORDERING',
                                              cfg.get('image_dim_ordering', _IMAGE_DIM_ORDERING)))
    except (TypeError, ValueError) as e:
        _FLOATX, _EPSILON, _IMAGE_DIM_ORDERING = saved
        raise ValueError('symkeras: %s (settings from %s and the environment)' % (e, path)) from None


def epsilon():
    """The fuzz factor used in numeric expressions (1e-7 by default)."""
    return _EPSILON


def set_epsilon(e):
    global _EPSILON
    _EPSILON = float(e)


def floatx():
    """The default float type, 'float32' unless changed."""
    return _FLOATX


def set_floatx(floatx):
    global _FLOATX
    if floatx not in _FLOAT_TYPES:
        raise ValueError('set_floatx: unknown floatx %r; symkeras supports %s '
                         '(float16 has no kernels)' % (floatx, ', '.join(_FLOAT_TYPES)))
    _FLOATX = str(floatx)


def cast_to_floatx(x):
    import numpy as np
    return np.asarray(x, dtype=_FLOATX)


def image_dim_ordering():
    """'th' (channels first, the default) or 'tf' (channels last)."""
    return _IMAGE_DIM_ORDERING


def normalize_dim_ordering(owner, dim_ordering):
    """A layer's or preprocessing function's dim_ordering argument as 'th' or 'tf': 'default'
    means image_dim_ordering() at construction, as in Keras 1.2.2. `owner` names the caller
    in errors."""
    if dim_ordering == 'default':
        dim_ordering = _IMAGE_DIM_ORDERING
    if dim_ordering not in ('th', 'tf'):
        raise ValueError("%s: dim_ordering must be 'th', 'tf' or 'default'; got %r"
                         % (owner, dim_ordering))
    return dim_ordering


def set_image_dim_ordering(dim_ordering):
    global _IMAGE_DIM_ORDERING
    if dim_ordering not in ('th', 'tf'):
        raise ValueError("set_image_dim_ordering: unknown dim_ordering %r; expected 'th' or 'tf'"
                         % (dim_ordering,))
    _IMAGE_DIM_ORDERING = str(dim_ordering)


def get_uid(prefix=''):
    """1, 2, 3, ... for each prefix: the counter behind auto names like dense_1."""
    _UID_PREFIXES[prefix] += 1
    return _UID_PREFIXES[prefix]


def reset_uids():
    _UID_PREFIXES.clear()


_LEGACY_WEIGHT_ORDERING = False


def legacy_weight_ordering():
    """Keras 1 flag for reading weights saved before 1.0 with the old recurrent ordering."""
    return _LEGACY_WEIGHT_ORDERING


def set_legacy_weight_ordering(value):
    global _LEGACY_WEIGHT_ORDERING
    if value not in (True, False):
        raise ValueError('set_legacy_weight_ordering: expected True or False; got %r' % (value,))
    _LEGACY_WEIGHT_ORDERING = value


def spatial_axes(fn, dim_ordering, n, allow_default=True):
    """The n spatial axes of an image tensor: after the channels for 'th', before them for
    'tf'; 'default' (when allowed) is image_dim_ordering(). `fn` names the caller in errors."""
    if allow_default and dim_ordering == 'default':
        dim_ordering = _IMAGE_DIM_ORDERING
    if dim_ordering == 'th':
        return tuple(range(2, 2 + n))
    if dim_ordering == 'tf':
        return tuple(range(1, 1 + n))
    raise ValueError("%s: unknown dim_ordering %r; expected %s" % (
        fn, dim_ordering, "'th', 'tf' or 'default'" if allow_default else "'th' or 'tf'"))


def backend():
    """The backend's name. symkeras follows the Theano backend's semantics, and says so."""
    return 'theano'



def _load_at_import():
    """A keras.json written for Keras (say floatx float16, which Keras allowed) must not stop
    symkeras from importing: warn, and keep the defaults."""
    try:
        _load_user_config()
    except ValueError as e:
        warnings.warn('%s; using the defaults (floatx %s, epsilon %g, image_dim_ordering %r)'
                      % (e, _FLOATX, _EPSILON, _IMAGE_DIM_ORDERING), stacklevel=2)


_load_at_import()
