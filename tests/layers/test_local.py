"""LocallyConnected1D/2D against direct loops over the definition (unshared filters, patches
flattened in the input's axis order, Keras 1.2.2's 'th' bias reshape)."""
import numpy as np
import pytest

import symkeras.backend as K
from symkeras import constraints, regularizers
from symkeras.engine import Input
from symkeras.engine.topology import layer_from_config
from symkeras.layers.local import LocallyConnected1D, LocallyConnected2D
from symkeras.models import Sequential

from .test_convolutional import regularized_model_losses
from .test_pooling import check_layer, predict, rand


def local_1d_ref(x, W, b, filter_length, stride):
    batch, _, input_dim = x.shape
    out_len, _, nb_filter = W.shape
    out = np.zeros((batch, out_len, nb_filter))
    for n in range(batch):
        for i in range(out_len):
            for f in range(nb_filter):
                total = 0.
                for t in range(filter_length):
                    for c in range(input_dim):
                        total += x[n, i * stride + t, c] * W[i, t * input_dim + c, f]
                out[n, i, f] = total + (b[i, f] if b is not None else 0.)
    return out


def local_2d_ref(x, W, b, nb_row, nb_col, subsample, ordering):
    """x and the result in `ordering`; patch index (c, r, col) for 'th', (r, col, c) for
    'tf'; 'th' adds b reshaped (not transposed) to (nb_filter, rows, cols), as Keras 1.2.2."""
    if ordering == 'th':
        batch, stack, rows_in, cols_in = x.shape
    else:
        batch, rows_in, cols_in, stack = x.shape
    nb_filter = W.shape[2]
    rows = (rows_in - nb_row) // subsample[0] + 1
    cols = (cols_in - nb_col) // subsample[1] + 1
    out = np.zeros((batch, nb_filter, rows, cols))
    for n in range(batch):
        for i in range(rows):
            for j in range(cols):
                for f in range(nb_filter):
                    total = 0.
                    for r in range(nb_row):
                        for q in range(nb_col):
                            for c in range(stack):
                                row, col = i * subsample[0] + r, j * subsample[1] + q
                                if ordering == 'th':
                                    value = x[n, c, row, col]
                                    k = c * nb_row * nb_col + r * nb_col + q
                                else:
                                    value = x[n, row, col, c]
                                    k = (r * nb_col + q) * stack + c
                                total += value * W[i * cols + j, k, f]
                    out[n, f, i, j] = total
    if ordering == 'th':
        return out + (b.reshape(nb_filter, rows, cols) if b is not None else 0.)
    return np.moveaxis(out, 1, -1) + (b if b is not None else 0.)


@pytest.mark.parametrize('filter_length,stride', [(3, 1), (2, 2), (1, 1), (7, 1)])
def test_locally_connected_1d_values(filter_length, stride):
    data = rand(2, 7, 3)
    out_len = (7 - filter_length) // stride + 1
    W, b = rand(out_len, filter_length * 3, 4), rand(out_len, 4)
    layer, _ = check_layer(LocallyConnected1D,
                           dict(nb_filter=4, filter_length=filter_length,
                                subsample_length=stride, weights=[W, b], activation='tanh'),
                           data, np.tanh(local_1d_ref(data, W, b, filter_length, stride)))
    assert [K.int_shape(w) for w in layer.weights] == [(out_len, filter_length * 3, 4),
                                                        (out_len, 4)]


def test_locally_connected_1d_names_config_and_shortcut():
    K.reset_uids()
    layer = LocallyConnected1D(5, 3, input_dim=4, input_length=6, bias=False)
    assert layer.batch_input_shape == (None, 6, 4)
    model = Sequential([layer])
    assert [w.name for w in layer.weights] == ['locallyconnected1d_1_W']
    assert model.output_shape == (None, 4, 5)
    assert set(layer.get_config()) == {
        'name', 'trainable', 'batch_input_shape', 'input_dtype', 'nb_filter', 'filter_length',
        'init', 'activation', 'border_mode', 'subsample_length', 'W_regularizer',
        'b_regularizer', 'activity_regularizer', 'W_constraint', 'b_constraint', 'bias',
        'input_dim', 'input_length'}
    data = rand(2, 6, 4)
    W, = layer.get_weights()
    np.testing.assert_allclose(model.predict(data), local_1d_ref(data, W, None, 3, 1),
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('ordering', ['th', 'tf'])
@pytest.mark.parametrize('nb_row,nb_col,subsample', [(2, 3, (1, 1)), (3, 2, (2, 1)),
                                                     (1, 1, (1, 2))])
def test_locally_connected_2d_values(ordering, nb_row, nb_col, subsample):
    shape = (2, 3, 5, 4) if ordering == 'th' else (2, 5, 4, 3)
    data = rand(*shape)
    rows = (5 - nb_row) // subsample[0] + 1
    cols = (4 - nb_col) // subsample[1] + 1
    W, b = rand(rows * cols, nb_row * nb_col * 3, 2), rand(rows, cols, 2)
    expected = local_2d_ref(data, W, b, nb_row, nb_col, subsample, ordering)
    layer, _ = check_layer(LocallyConnected2D,
                           dict(nb_filter=2, nb_row=nb_row, nb_col=nb_col, subsample=subsample,
                                dim_ordering=ordering, weights=[W, b]), data, expected)
    assert layer.get_config()['subsample'] == subsample
    assert [K.int_shape(w) for w in layer.weights] == [W.shape, b.shape]


def test_locally_connected_2d_th_bias_is_reshaped_not_transposed():
    data = np.zeros((1, 1, 3, 4), 'float32')
    b = np.arange(2 * 3 * 2, dtype='float32').reshape(2, 3, 2)  # (rows, cols, nb_filter)
    layer = LocallyConnected2D(2, 2, 2, dim_ordering='th', weights=[rand(6, 4, 2), b])
    x = Input(shape=(1, 3, 4))
    out = predict(x, layer(x), data)
    np.testing.assert_array_equal(out[0], b.reshape(2, 2, 3))
    assert not np.array_equal(out[0], b.transpose(2, 0, 1))


def test_locally_connected_2d_default_names_and_config_keys():
    K.reset_uids()
    layer = LocallyConnected2D(4, 3, 3)
    assert layer.dim_ordering == 'th' and layer.subsample == (1, 1)
    layer(Input(shape=(2, 6, 5)))
    assert [w.name for w in layer.weights] == ['locallyconnected2d_1_W',
                                               'locallyconnected2d_1_b']
    assert [K.int_shape(w) for w in layer.weights] == [(4 * 3, 3 * 3 * 2, 4), (4, 3, 4)]
    assert set(layer.get_config()) == {
        'name', 'trainable', 'nb_filter', 'nb_row', 'nb_col', 'init', 'activation',
        'border_mode', 'subsample', 'dim_ordering', 'W_regularizer', 'b_regularizer',
        'activity_regularizer', 'W_constraint', 'b_constraint', 'bias'}


def test_locally_connected_regularizers_and_constraints_reach_the_model():
    layer = LocallyConnected2D(2, 2, 2, W_regularizer=regularizers.l2(0.1),
                               b_regularizer=regularizers.l1(0.2),
                               activity_regularizer=regularizers.activity_l2(0.3),
                               W_constraint=constraints.maxnorm(2),
                               b_constraint=constraints.nonneg(), dim_ordering='tf',
                               input_shape=(3, 3, 1))
    W, b, data, activity = regularized_model_losses(layer, (2, 3, 3, 1))
    out = local_2d_ref(data, W, b, 2, 2, (1, 1), 'tf')
    np.testing.assert_allclose(activity, 0.3 * (out ** 2).sum(), rtol=1e-4)
    copy = layer_from_config({'class_name': 'LocallyConnected2D', 'config': layer.get_config()})
    assert isinstance(copy.W_constraint, constraints.MaxNorm)


def test_locally_connected_trains():
    np.random.seed(3)
    model = Sequential([LocallyConnected1D(3, 2, input_shape=(5, 2), activation='tanh'),
                        LocallyConnected1D(1, 4)])
    model.compile('sgd', 'mse')
    x = rand(16, 5, 2)
    y = np.sin(x.sum(axis=(1, 2)))[:, None, None]
    first = model.train_on_batch(x, y)
    for _ in range(20):
        last = model.train_on_batch(x, y)
    assert last < first


def test_locally_connected_errors():
    K.reset_uids()
    with pytest.raises(ValueError, match=r"LocallyConnected1D: border_mode must be one of "
                                         r"'valid'; got 'same'"):
        LocallyConnected1D(2, 3, border_mode='same')
    with pytest.raises(ValueError, match=r"LocallyConnected2D: dim_ordering must be"):
        LocallyConnected2D(2, 3, 3, dim_ordering='nhwc')
    with pytest.raises(ValueError, match=r'LocallyConnected1D \(layer locallyconnected1d_1\) '
                                         r'needs a fully defined input shape .*\(None, None, 3\)'):
        LocallyConnected1D(2, 3)(Input(shape=(None, 3)))
    with pytest.raises(ValueError, match=r'locallyconnected2d_1\): the input is too small for '
                                         r'the kernel: spatial size \(2, 5\)'):
        LocallyConnected2D(2, 3, 3)(Input(shape=(1, 2, 5)))
    with pytest.raises(ValueError, match='LocallyConnected2D: subsample must be a tuple of 2'):
        LocallyConnected2D(2, 3, 3, subsample=2)
    with pytest.raises(ValueError, match='expecting 2 weights'):
        LocallyConnected1D(2, 2, weights=[rand(2, 2, 2)])(Input(shape=(3, 1)))
