"""keras.utils.np_utils: one-hot labels, normalisation, scores, class decoding, kernel flipping
and convolution length arithmetic."""
import numpy as np
import pytest

import symkeras.backend as K
from symkeras.utils import np_utils
from symkeras.utils.np_utils import (accuracy, binary_logloss, categorical_probas_to_classes,
                                     conv_input_length, conv_output_length, convert_kernel,
                                     multiclass_logloss, normalize, probas_to_classes,
                                     to_categorical)


# -- to_categorical ---------------------------------------------------------------------------

@pytest.mark.parametrize('y', [[0, 2, 1, 2], np.array([[0], [2], [1], [2]]), (0., 2., 1., 2.)])
def test_to_categorical_shapes_and_default_classes(y):
    out = to_categorical(y)
    assert out.dtype == np.float64 and out.shape == (4, 3)
    np.testing.assert_array_equal(out, np.eye(3)[[0, 2, 1, 2]])


def test_to_categorical_nb_classes():
    out = to_categorical(np.array([1, 0], dtype='uint8'), nb_classes=5)
    np.testing.assert_array_equal(out, [[0, 1, 0, 0, 0], [1, 0, 0, 0, 0]])
    assert to_categorical([1], nb_classes=0).shape == (1, 2)   # 0 means "max + 1", as in Keras
    assert to_categorical([], nb_classes=4).shape == (0, 4)
    assert to_categorical([]).shape == (0, 0)
    assert to_categorical([0], 1.0).shape == (1, 1)


@pytest.mark.parametrize('y, nb, match', [
    ([0, -1], None, r'label -1 \(at index 1\) is outside 0 \.\. 0'),
    ([0, 3], 3, r'label 3 \(at index 1\) is outside 0 \.\. 2 \(nb_classes=3\)'),
    ([0.5], None, r'integer class labels; got 0\.5'),
    ([np.nan], None, r'integer class labels; got nan'),
    (['a'], None, r'integer class labels'),
    (np.zeros((2, 2)), None, r'shape \(n,\) or \(n, 1\); got shape \(2, 2\)'),
    ([1], -2, r'to_categorical: nb_classes must be a whole number >= 1; got -2'),
    ([1], 2.5, r'to_categorical: nb_classes must be a whole number >= 1; got 2\.5'),
])
def test_to_categorical_bad_input(y, nb, match):
    with pytest.raises(ValueError, match=match):
        to_categorical(y, nb)


def test_to_categorical_nb_classes_type():
    with pytest.raises(TypeError, match=r"to_categorical: nb_classes must be a whole number "
                                        r">= 1; got '3'"):
        to_categorical([1], '3')
    assert to_categorical([1], np.int64(3)).shape == (1, 3)
    assert to_categorical([1], 3.0).shape == (1, 3)


# -- normalize --------------------------------------------------------------------------------

def test_normalize_rows_and_zero_norms():
    a = np.array([[3., 4.], [0., 0.], [1., 0.]])
    np.testing.assert_allclose(normalize(a), [[.6, .8], [0., 0.], [1., 0.]])


def test_normalize_axis_and_order():
    a = np.random.uniform(-1, 1, (3, 4, 5))
    for axis in (0, 1, -1):
        for order in (1, 2):
            norms = np.sum(np.abs(a) ** order, axis=axis, keepdims=True) ** (1. / order)
            np.testing.assert_allclose(normalize(a, axis=axis, order=order), a / norms)
    np.testing.assert_allclose(normalize([3, 4]), [.6, .8])     # 1-D, integer input


# -- log losses, accuracy ---------------------------------------------------------------------

def test_binary_logloss():
    p = np.array([0.9, 0.2, 0.0, 1.0])
    y = np.array([1, 0, 0, 1])
    expected = -np.mean([np.log(.9), np.log(.8), np.log(1 - 1e-15), np.log(1 - 1e-15)])
    np.testing.assert_allclose(binary_logloss(p, y), expected)
    # Clipping keeps a confident wrong answer finite: -log(1e-15) / 1.
    np.testing.assert_allclose(binary_logloss([0.], [1]), -np.log(1e-15))
    # Like Keras, the sum runs over the first axis only: one loss per column.
    two = binary_logloss(np.array([[.9, .5], [.2, .5]]), np.array([[1, 1], [0, 0]]))
    np.testing.assert_allclose(two, [-(np.log(.9) + np.log(.8)) / 2, -np.log(.5)])


def test_multiclass_logloss_is_one_based():
    p = np.array([[.2, .7, .1], [.5, .25, .25]])
    np.testing.assert_allclose(multiclass_logloss(p, [2, 1]), -(np.log(.7) + np.log(.5)) / 2)
    np.testing.assert_allclose(multiclass_logloss(p, np.array([[3], [3]])),
                               -(np.log(.1) + np.log(.25)) / 2)


@pytest.mark.parametrize('fn', [binary_logloss, multiclass_logloss, accuracy])
def test_scores_need_same_length(fn):
    with pytest.raises(ValueError, match=r'%s: p and y must be arrays of the same length; got '
                                         r'shapes \(2, 2\) and \(1,\)' % fn.__name__):
        fn(np.full((2, 2), .5), [1])
    with pytest.raises(ValueError, match='same length'):
        fn(np.float64(.5), 1)


def test_multiclass_logloss_bad_labels():
    p = np.full((2, 3), 1. / 3)
    with pytest.raises(ValueError, match=r'1-based \(1 \.\. 3\) as in Keras; got 0 at index 1'):
        multiclass_logloss(p, [1, 0])
    with pytest.raises(ValueError, match=r'got 4 at index 0'):
        multiclass_logloss(p, [4, 1])
    with pytest.raises(ValueError, match=r'2-D matrix .* got shape \(2,\)'):
        multiclass_logloss(np.ones(2), [1, 1])


def test_accuracy():
    assert accuracy([1, 2, 3, 4], [1, 2, 0, 4]) == 0.75
    assert accuracy(np.array([0, 1]), np.array([1, 0])) == 0.


# -- class decoding ---------------------------------------------------------------------------

def test_probas_to_classes():
    np.testing.assert_array_equal(probas_to_classes(np.array([[.1, .7, .2], [.5, .1, .4]])),
                                  [1, 0])
    np.testing.assert_array_equal(probas_to_classes(np.array([.2, .5, .51])), [0, 0, 1])
    np.testing.assert_array_equal(probas_to_classes(np.array([[.2], [.9]])), [0, 1])
    with pytest.raises(ValueError, match=r'probas_to_classes: y_pred must be an array'):
        probas_to_classes(0.3)


def test_categorical_probas_to_classes():
    p = np.random.uniform(size=(7, 4))
    np.testing.assert_array_equal(categorical_probas_to_classes(p), p.argmax(axis=1))
    with pytest.raises(ValueError, match=r'class axis \(ndim >= 2\); got shape \(3,\)'):
        categorical_probas_to_classes(np.ones(3))


# -- convert_kernel ---------------------------------------------------------------------------

def test_convert_kernel_th_and_tf_2d():
    k = np.random.normal(size=(4, 3, 2, 5))
    np.testing.assert_array_equal(convert_kernel(k, 'th'), k[:, :, ::-1, ::-1])
    np.testing.assert_array_equal(convert_kernel(k, 'tf'), k[::-1, ::-1, :, :])
    np.testing.assert_array_equal(convert_kernel(convert_kernel(k, 'th'), 'th'), k)


def test_convert_kernel_3d():
    k = np.random.normal(size=(2, 3, 4, 5, 6))
    np.testing.assert_array_equal(convert_kernel(k, 'th'), k[:, :, ::-1, ::-1, ::-1])
    np.testing.assert_array_equal(convert_kernel(k, 'tf'), k[::-1, ::-1, ::-1, :, :])


def test_convert_kernel_returns_a_copy():
    k = np.zeros((1, 1, 2, 2))
    out = convert_kernel(k, 'th')
    out[0, 0, 0, 0] = 1
    assert k[0, 0, 1, 1] == 0 and out.flags.c_contiguous


def test_convert_kernel_default_ordering():
    k = np.random.normal(size=(2, 3, 4, 5))
    saved = K.image_dim_ordering()
    try:
        K.set_image_dim_ordering('tf')
        np.testing.assert_array_equal(convert_kernel(k), k[::-1, ::-1])
        K.set_image_dim_ordering('th')
        np.testing.assert_array_equal(convert_kernel(k), k[:, :, ::-1, ::-1])
    finally:
        K.set_image_dim_ordering(saved)


def test_convert_kernel_makes_conv_match_correlation():
    """The th kernel of a true convolution, flipped, is the kernel of a cross-correlation."""
    x = np.random.normal(size=(6, 7))
    k = np.random.normal(size=(3, 2))
    flipped = convert_kernel(k[None, None], 'th')[0, 0]
    conv = np.array([[np.sum(x[i:i + 3, j:j + 2] * k[::-1, ::-1]) for j in range(6)]
                     for i in range(4)])
    corr = np.array([[np.sum(x[i:i + 3, j:j + 2] * flipped) for j in range(6)]
                     for i in range(4)])
    np.testing.assert_allclose(conv, corr)


def test_convert_kernel_bad_input():
    with pytest.raises(ValueError, match=r'4-D or 5-D; got shape \(3, 3, 3\)'):
        convert_kernel(np.ones((3, 3, 3)), 'th')
    with pytest.raises(ValueError, match=r"dim_ordering must be 'th' or 'tf'; got 'nhwc'"):
        convert_kernel(np.ones((1, 1, 3, 3)), 'nhwc')


# -- conv_output_length / conv_input_length ---------------------------------------------------

def _conv_positions(n, f, mode, stride, dilation=1):
    """Count output positions by brute force: the dilated filter's first tap over a padded
    input of n cells."""
    span = (f - 1) * dilation + 1
    if mode == 'valid':
        starts = range(0, n - span + 1)
    elif mode == 'full':
        starts = range(-(span - 1), n)
    else:
        starts = range(0, n)
    return len(list(starts)[::stride])


@pytest.mark.parametrize('mode', ['valid', 'same', 'full'])
def test_conv_output_length_brute_force(mode):
    for n in (1, 2, 5, 8, 13):
        for f in (1, 2, 3, 5):
            for stride in (1, 2, 3):
                for dilation in (1, 2):
                    if mode == 'valid' and (f - 1) * dilation + 1 > n:
                        continue        # the filter does not fit: see the test below
                    assert (conv_output_length(n, f, mode, stride, dilation)
                            == _conv_positions(n, f, mode, stride, dilation)), \
                        (n, f, mode, stride, dilation)


def test_conv_output_length_values():
    assert conv_output_length(28, 3, 'valid', 1) == 26
    assert conv_output_length(28, 3, 'same', 2) == 14
    assert conv_output_length(28, 3, 'full', 1) == 30
    assert conv_output_length(10, 3, 'valid', 1, dilation=2) == 6
    assert conv_output_length(10, 3, 'full', 3, dilation=2) == 5
    assert conv_output_length(None, 3, 'valid', 1) is None
    # A filter longer than the input gives Keras' arithmetic (<= 0); the layer reports it.
    assert conv_output_length(2, 5, 'valid', 1) == -2


def test_conv_input_length_values():
    assert conv_input_length(26, 3, 'valid', 1) == 28
    assert conv_input_length(30, 3, 'full', 1) == 28
    assert conv_input_length(28, 3, 'same', 1) == 28
    assert conv_input_length(14, 3, 'same', 2) == 27
    assert conv_input_length(5, 4, 'valid', 3) == 16
    assert conv_input_length(None, 3, 'same', 1) is None


def test_conv_input_inverts_output_for_stride_1():
    for mode in ('valid', 'same', 'full'):
        for f in (1, 3, 5):
            for n in (5, 9):
                assert conv_input_length(conv_output_length(n, f, mode, 1), f, mode, 1) == n


@pytest.mark.parametrize('fn', [conv_output_length, conv_input_length])
def test_conv_length_bad_arguments(fn):
    with pytest.raises(ValueError, match=r"%s: border_mode must be one of 'same', 'valid', "
                                         r"'full'; got 'causal'" % fn.__name__):
        fn(10, 3, 'causal', 1)
    with pytest.raises(ValueError, match=r'%s: stride must be a whole number >= 1; got 0'
                       % fn.__name__):
        fn(10, 3, 'valid', 0)
    with pytest.raises(ValueError, match=r'filter_size must be a whole number >= 1; got 1\.5'):
        fn(10, 1.5, 'valid', 1)
    with pytest.raises(TypeError, match=r"stride must be a whole number >= 1; got '2'"):
        fn(10, 3, 'valid', '2')
    # Whole floats and numpy integers count as their int.
    assert fn(10, 3.0, 'valid', np.int64(1)) == fn(10, 3, 'valid', 1)
    assert type(fn(10, 3.0, 'valid', 1.0)) is int
    with pytest.raises(ValueError, match=r'border_mode'):
        fn(None, 3, 'bogus', 1)                 # checked even for an unknown length
    if fn is conv_output_length:
        with pytest.raises(ValueError, match=r'dilation must be a whole number >= 1; got 0'):
            fn(10, 3, 'valid', 1, 0)


def test_module_exports_keras_names():
    for name in ('to_categorical', 'normalize', 'binary_logloss', 'multiclass_logloss',
                 'accuracy', 'probas_to_classes', 'categorical_probas_to_classes',
                 'convert_kernel', 'conv_output_length', 'conv_input_length'):
        assert callable(getattr(np_utils, name))
