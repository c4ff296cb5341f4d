import numpy as np
import pytest

import symkeras.backend as K
from symkeras import initializations as I
from symkeras.utils.generic_utils import custom_object_scope

ALL = ['uniform', 'normal', 'lecun_uniform', 'glorot_normal', 'glorot_uniform', 'he_normal',
       'he_uniform', 'orthogonal', 'identity', 'zero', 'one']
RANDOM = ['uniform', 'normal', 'lecun_uniform', 'glorot_normal', 'glorot_uniform', 'he_normal',
          'he_uniform', 'orthogonal']


# ---------------------------------------------------------------------------- fans

def test_fans_dense():
    assert I.get_fans((784, 128)) == (784, 128)
    assert I.get_fans((784, 128), dim_ordering='tf') == (784, 128)


def test_fans_conv2d_th_and_tf():
    # th kernel (nb_filter, stack, rows, cols); tf kernel (rows, cols, stack, nb_filter)
    assert I.get_fans((32, 3, 5, 7), 'th') == (3 * 35, 32 * 35)
    assert I.get_fans((5, 7, 3, 32), 'tf') == (3 * 35, 32 * 35)
    assert I.get_fans((32, 3, 5, 7)) == (105, 1120)          # default 'th'


def test_fans_conv3d_th_and_tf():
    assert I.get_fans((8, 2, 3, 4, 5), 'th') == (2 * 60, 8 * 60)
    # Keras 1: the 'tf' receptive field is the product of the first two axes, also for 5-D
    assert I.get_fans((3, 4, 5, 2, 8), 'tf') == (2 * 12, 8 * 12)


@pytest.mark.parametrize('shape', [(10,), (2, 3, 4), (2, 3, 4, 5, 6, 7)])
def test_fans_other_ranks(shape):
    fan_in, fan_out = I.get_fans(shape)
    assert fan_in == fan_out == pytest.approx(np.sqrt(np.prod(shape)))


def test_fans_bad_arguments():
    with pytest.raises(ValueError, match="dim_ordering must be 'th' or 'tf'; got 'nhwc'"):
        I.get_fans((3, 3, 3, 3), dim_ordering='nhwc')
    with pytest.raises(ValueError, match=r'shape must be a tuple of non-negative ints; got '
                                         r'\(3, None\)'):
        I.get_fans((3, None))
    with pytest.raises(ValueError, match=r'got \(3, -1\)'):
        I.get_fans((3, -1))
    with pytest.raises(ValueError, match=r'got \(3, 2.5\)'):
        I.get_fans((3, 2.5))


# ---------------------------------------------------------------------------- every initializer

@pytest.mark.parametrize('name', ALL)
def test_returns_a_named_variable_of_floatx(name):
    v = getattr(I, name)((6, 6), name='w_' + name)
    assert isinstance(v, K.Variable)
    assert K.get_variable_shape(v) == (6, 6) and K.dtype(v) == 'float32'
    assert v.name == 'w_' + name
    assert K.get_value(v).dtype == np.float32


@pytest.mark.parametrize('name', ALL)
def test_dtype_follows_floatx(name, float64):
    v = getattr(I, name)((3, 3))
    assert K.dtype(v) == 'float64' and K.get_value(v).dtype == np.float64


@pytest.mark.parametrize('name', [n for n in ALL if n != 'identity'])
@pytest.mark.parametrize('shape', [(4, 3), (2, 3, 4, 5), (3, 1, 1, 2, 2), (1, 1)])
def test_shapes(name, shape):
    assert K.get_variable_shape(getattr(I, name)(shape)) == shape


@pytest.mark.parametrize('name', RANDOM)
def test_reproducible_under_np_random_seed(name):
    np.random.seed(7)
    a = K.get_value(getattr(I, name)((5, 4)))
    np.random.seed(7)
    b = K.get_value(getattr(I, name)((5, 4)))
    c = K.get_value(getattr(I, name)((5, 4)))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


@pytest.mark.parametrize('name', ALL)
def test_dim_ordering_argument_is_accepted(name):
    # A 4-D kernel (identity is 2-D only), where the ordering decides the fans.
    shape = (3, 3) if name == 'identity' else (8, 6, 5, 5)
    for ordering in ('th', 'tf'):
        assert K.get_variable_shape(getattr(I, name)(shape, dim_ordering=ordering)) == shape


# (8, 6, 5, 5) is (out, in, rows, cols) for 'th': fans (6*25, 8*25); and (rows, cols, in, out)
# for 'tf': fans (5*48, 5*48).
FANS_4D = {'th': (150, 200), 'tf': (240, 240)}


@pytest.mark.parametrize('name, limit', [
    ('lecun_uniform', lambda fan_in, fan_out: np.sqrt(3. / fan_in)),
    ('glorot_uniform', lambda fan_in, fan_out: np.sqrt(6. / (fan_in + fan_out))),
    ('he_uniform', lambda fan_in, fan_out: np.sqrt(6. / fan_in))])
def test_uniform_limit_of_a_4d_kernel_follows_dim_ordering(name, limit):
    np.random.seed(3)
    for ordering, fans in FANS_4D.items():
        w = np.abs(values(name, (8, 6, 5, 5), dim_ordering=ordering))
        assert 0.97 * limit(*fans) < w.max() <= limit(*fans)


@pytest.mark.parametrize('name, std', [
    ('glorot_normal', lambda fan_in, fan_out: np.sqrt(2. / (fan_in + fan_out))),
    ('he_normal', lambda fan_in, fan_out: np.sqrt(2. / fan_in))])
def test_normal_std_of_a_4d_kernel_follows_dim_ordering(name, std):
    np.random.seed(4)
    for ordering, fans in FANS_4D.items():
        w = values(name, (8, 6, 5, 5), dim_ordering=ordering)
        assert w.std() == pytest.approx(std(*fans), rel=0.05)


# ---------------------------------------------------------------------------- distributions

def values(name, shape, **kw):
    return K.get_value(getattr(I, name)(shape, **kw)).astype(np.float64)


def check_uniform(w, limit):
    assert w.min() >= -limit and w.max() <= limit
    assert w.min() < -0.98 * limit and w.max() > 0.98 * limit
    assert abs(w.mean()) < 0.02 * limit
    assert w.var() == pytest.approx(limit ** 2 / 3, rel=0.03)


def check_normal(w, std):
    assert abs(w.mean()) < 0.02 * std
    assert w.std() == pytest.approx(std, rel=0.03)
    assert abs(w).max() > 3 * std             # not truncated


def test_uniform_and_normal_scales():
    check_uniform(values('uniform', (200, 100)), 0.05)
    check_uniform(values('uniform', (200, 100), scale=0.3), 0.3)
    check_normal(values('normal', (200, 100)), 0.05)
    check_normal(values('normal', (200, 100), scale=2.), 2.)


def test_lecun_uniform():
    check_uniform(values('lecun_uniform', (300, 50)), np.sqrt(3. / 300))


def test_glorot():
    check_uniform(values('glorot_uniform', (300, 100)), np.sqrt(6. / 400))
    check_normal(values('glorot_normal', (300, 100)), np.sqrt(2. / 400))


def test_he():
    check_uniform(values('he_uniform', (400, 60)), np.sqrt(6. / 400))
    check_normal(values('he_normal', (400, 60)), np.sqrt(2. / 400))


def test_conv_fans_set_the_scale_th_and_tf():
    # th (64, 16, 3, 3): fan_in 144, fan_out 576; the same kernel in tf is (3, 3, 16, 64)
    check_uniform(values('glorot_uniform', (64, 16, 3, 3)), np.sqrt(6. / 720))
    check_uniform(values('glorot_uniform', (3, 3, 16, 64), dim_ordering='tf'), np.sqrt(6. / 720))
    check_normal(values('he_normal', (64, 16, 3, 3)), np.sqrt(2. / 144))
    check_normal(values('he_normal', (3, 3, 16, 64), dim_ordering='tf'), np.sqrt(2. / 144))
    # the tf kernel read as th has other fans: (3, 3, 16, 64) th -> fan_in 3*1024
    check_uniform(values('lecun_uniform', (3, 3, 16, 64)), np.sqrt(3. / 3072))


@pytest.mark.parametrize('name', ['lecun_uniform', 'glorot_normal', 'glorot_uniform',
                                  'he_normal', 'he_uniform'])
def test_zero_fan_is_an_error(name):
    with pytest.raises(ValueError, match=r'%s: shape \(0, 0\) has no inputs or outputs' % name):
        getattr(I, name)((0, 0))


# ---------------------------------------------------------------------------- orthogonal

@pytest.mark.parametrize('shape', [(8, 8), (10, 4), (4, 10), (1, 5)])
def test_orthogonal_2d(shape):
    q = values('orthogonal', shape, scale=1.0)
    gram = q.T @ q if shape[0] >= shape[1] else q @ q.T
    np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-5)


def test_orthogonal_default_scale_and_conv_shapes():
    q = values('orthogonal', (6, 6))
    np.testing.assert_allclose(q.T @ q, 1.21 * np.eye(6), atol=1e-5)
    w = values('orthogonal', (4, 3, 2, 2), scale=2.)         # flattened to (4, 12)
    flat = w.reshape(4, 12)
    np.testing.assert_allclose(flat @ flat.T, 4. * np.eye(4), atol=1e-5)


def test_orthogonal_needs_rank_2():
    with pytest.raises(ValueError, match=r'orthogonal: needs a shape of rank 2 or more; got '
                                         r'\(5,\)'):
        I.orthogonal((5,))


# ---------------------------------------------------------------------------- deterministic

def test_identity():
    np.testing.assert_array_equal(values('identity', (4, 4)), np.eye(4))
    np.testing.assert_array_equal(values('identity', (3, 3), scale=2.5), 2.5 * np.eye(3))


@pytest.mark.parametrize('shape', [(3, 4), (3,), (3, 3, 3)])
def test_identity_needs_a_square_matrix(shape):
    with pytest.raises(ValueError, match=r'identity: only square 2-D shapes .* got %s'
                                         % str(shape).replace('(', r'\(').replace(')', r'\)')):
        I.identity(shape)


def test_zero_and_one():
    np.testing.assert_array_equal(values('zero', (2, 3, 4)), np.zeros((2, 3, 4)))
    np.testing.assert_array_equal(values('one', (5,)), np.ones(5))
    assert K.get_variable_shape(I.zero((0, 3))) == (0, 3)


# ---------------------------------------------------------------------------- get

@pytest.mark.parametrize('name', ALL)
def test_get_by_name(name):
    assert I.get(name) is getattr(I, name)


def test_get_ignores_kwargs_and_passes_callables():
    assert I.get('glorot_uniform', dim_ordering='tf') is I.glorot_uniform

    def custom(shape, name=None, dim_ordering='th'):
        return K.variable(np.full(shape, 0.5), name=name)
    assert I.get(custom) is custom
    with custom_object_scope({'halves': custom}):
        assert I.get('halves') is custom


@pytest.mark.parametrize('bad', ['xavier', 'get_fans', 'np', 'K'])
def test_get_unknown_name(bad):
    with pytest.raises(ValueError, match='^Invalid initialization: %s$' % bad):
        I.get(bad)


def test_get_not_callable():
    with pytest.raises(ValueError, match=r'Invalid initialization: 0.1 \(expected a name or a '
                                         r'callable\)'):
        I.get(0.1)
