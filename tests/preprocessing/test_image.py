"""keras.preprocessing.image: transforms against direct numpy expectations, ImageDataGenerator,
the iterators, and the Pillow-backed file functions (with Pillow when it is installed, and
always with a small stand-in PIL module and with PIL missing)."""
import importlib.util
import os
import sys
import threading
import types

import numpy as np
import pytest

import symkeras.backend as K
from symkeras.preprocessing.image import (
    DirectoryIterator, ImageDataGenerator, Iterator, NumpyArrayIterator, apply_transform,
    array_to_img, flip_axis, img_to_array, list_pictures, load_img, random_channel_shift,
    random_rotation, random_shear, random_shift, random_zoom, transform_matrix_offset_center)


def _image(c=2, h=5, w=5, tf=False):
    """A (c, h, w) image with distinct values (or (h, w, c) with tf)."""
    x = np.arange(c * h * w, dtype='float32').reshape(c, h, w)
    return x.transpose(1, 2, 0) if tf else x


def _th(x, tf):
    """An image in either ordering as (c, h, w)."""
    return x.transpose(2, 0, 1) if tf else x


@pytest.fixture
def dim_ordering():
    """Restores the global image_dim_ordering after a test changes it."""
    saved = K.image_dim_ordering()
    yield
    K.set_image_dim_ordering(saved)


@pytest.fixture
def upper_draws(monkeypatch):
    """np.random.uniform returns the top of its range (size draws of it), recording the calls."""
    calls = []

    def uniform(low=0., high=1., size=None):
        calls.append((low, high))
        return high if size is None else np.full(size, high)
    monkeypatch.setattr(np.random, 'uniform', uniform)
    return calls


# --- geometric transforms ---------------------------------------------------------------

@pytest.mark.parametrize('axis', [0, 1, 2, -1])
def test_flip_axis_reverses_axis(axis):
    x = _image(2, 3, 4)
    np.testing.assert_array_equal(flip_axis(x, axis), np.flip(x, axis))
    np.testing.assert_array_equal(flip_axis(x.tolist(), axis), np.flip(x, axis))


# Whole-pixel shifts (rows by 1, cols by -2 and large shifts) against numpy padding/rolling.
@pytest.mark.parametrize('tx, ty', [(1, -2), (-3, 4), (7, -12)])
@pytest.mark.parametrize('fill_mode, pad_mode', [('nearest', 'edge'), ('reflect', 'symmetric'),
                                                ('wrap', 'wrap'), ('constant', 'constant')])
@pytest.mark.parametrize('order', [0, 1])
def test_whole_pixel_shift_moves_pixels_exactly(tx, ty, fill_mode, pad_mode, order):
    x = _image(2, 4, 5)
    m = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]], dtype=float)
    out = apply_transform(x, m, fill_mode=fill_mode, cval=-5., order=order)
    p = 13
    kw = {'constant_values': -5.} if pad_mode == 'constant' else {}
    padded = np.pad(x, ((0, 0), (p, p), (p, p)), mode=pad_mode, **kw)
    expected = padded[:, p + tx:p + tx + 4, p + ty:p + ty + 5]
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == x.dtype


def test_constant_shift_fills_cval():
    x = _image(1, 3, 3)
    out = apply_transform(x, [[1, 0, 1], [0, 1, 0], [0, 0, 1]], fill_mode='constant', cval=9)
    np.testing.assert_array_equal(out[0], [[3, 4, 5], [6, 7, 8], [9, 9, 9]])


@pytest.mark.parametrize('size', [1, 4, 5])
@pytest.mark.parametrize('degrees, k', [(90, -1), (-90, 1), (180, 2)])
def test_rotation_by_right_angles_equals_rot90(size, degrees, k):
    x = _image(3, size, size)
    t = np.deg2rad(degrees)
    m = transform_matrix_offset_center(
        np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]]),
        size, size)
    np.testing.assert_array_equal(apply_transform(x, m), np.rot90(x, k, axes=(1, 2)))


def test_transform_matrix_offset_center_turns_about_the_pixel_centre():
    m = transform_matrix_offset_center(np.diag([2., 3., 1.]), 5, 8)
    # The centre (2, 3.5) is fixed, other points scale about it.
    np.testing.assert_allclose(m.dot([2, 3.5, 1]), [2, 3.5, 1])
    np.testing.assert_allclose(m.dot([3, 4.5, 1]), [4, 6.5, 1])


def test_bilinear_half_pixel_shift_averages_neighbours():
    x = np.random.rand(1, 4, 6)
    out = apply_transform(x, [[1, 0, 0.5], [0, 1, 0], [0, 0, 1]], order=1)
    np.testing.assert_allclose(out[0, :3], (x[0, :3] + x[0, 1:]) / 2)
    np.testing.assert_allclose(out[0, 3], x[0, 3])       # nearest fill beyond the last row
    out = apply_transform(x, [[1, 0, 0], [0, 1, -0.25], [0, 0, 1]], order=1,
                          fill_mode='constant', cval=1.)
    np.testing.assert_allclose(out[0, :, 1:], 0.25 * x[0, :, :-1] + 0.75 * x[0, :, 1:])
    np.testing.assert_allclose(out[0, :, 0], 0.25 + 0.75 * x[0, :, 0])


def test_bilinear_on_integer_image_rounds():
    x = np.array([[[0, 1], [2, 4]]], dtype='uint8')
    out = apply_transform(x, [[1, 0, 0.5], [0, 1, 0], [0, 0, 1]], order=1)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out[0], [[1, 2], [2, 4]])


@pytest.mark.parametrize('channel_index', [0, 2, -1])
def test_apply_transform_channel_index(channel_index):
    x = _image(3, 4, 4)
    xc = np.moveaxis(x, 0, channel_index)
    m = [[1, 0, 1], [0, 1, 0], [0, 0, 1]]
    out = apply_transform(xc, m, channel_index=channel_index)
    np.testing.assert_array_equal(np.moveaxis(out, channel_index, 0), apply_transform(x, m))


def test_apply_transform_accepts_top_two_rows_and_empty_images():
    x = _image(2, 3, 3)
    m = np.array([[1, 0, 1], [0, 1, 1], [0, 0, 1.]])
    np.testing.assert_array_equal(apply_transform(x, m[:2]), apply_transform(x, m))
    assert apply_transform(np.zeros((0, 3, 3)), m).shape == (0, 3, 3)
    assert apply_transform(np.zeros((2, 0, 3)), m).shape == (2, 0, 3)


def test_apply_transform_bad_arguments():
    x = _image(1, 3, 3)
    with pytest.raises(ValueError, match=r"fill_mode must be one of .*'mirror'"):
        apply_transform(x, np.eye(3), fill_mode='mirror')
    with pytest.raises(ValueError, match=r'x must be one image of rank 3; got shape \(3, 3\)'):
        apply_transform(x[0], np.eye(3))
    with pytest.raises(ValueError, match=r'transform_matrix must be 3x3.*\(2, 2\)'):
        apply_transform(x, np.eye(2))
    with pytest.raises(ValueError, match='order must be 0 .* got 3'):
        apply_transform(x, np.eye(3), order=3)
    with pytest.raises(TypeError, match="cval must be a number; got 'a'"):
        apply_transform(x, np.eye(3), cval='a')


@pytest.mark.parametrize('tf', [False, True])
def test_random_rotation_draws_the_angle(upper_draws, tf):
    x = _image(2, 5, 5, tf)
    idx = dict(row_index=0, col_index=1, channel_index=2) if tf else {}
    out = random_rotation(x, 90, **idx)
    assert upper_draws == [(-90, 90)]
    np.testing.assert_array_equal(_th(out, tf), np.rot90(_th(x, tf), -1, axes=(1, 2)))


@pytest.mark.parametrize('tf', [False, True])
def test_random_shift_draws_fractions_of_the_size(upper_draws, tf):
    x = _image(1, 4, 8, tf)
    idx = dict(row_index=0, col_index=1, channel_index=2) if tf else {}
    out = random_shift(x, 0.25, 0.5, fill_mode='constant', cval=-1, **idx)
    assert upper_draws == [(-0.5, 0.5), (-0.25, 0.25)]
    expected = np.full((1, 4, 8), -1.)
    expected[:, :2, :6] = _th(x, tf)[:, 2:, 2:]      # rows by 0.5 * 4, cols by 0.25 * 8
    np.testing.assert_array_equal(_th(out, tf), expected)


def test_random_shear_draws_radians(upper_draws):
    x = _image(1, 5, 5)
    out = random_shear(x, np.pi / 2)
    assert upper_draws == [(-np.pi / 2, np.pi / 2)]
    # sin = 1, cos = 0: output (i, j) reads row i - j + 2 (clipped), column 2.
    i, j = np.meshgrid(np.arange(5), np.arange(5), indexing='ij')
    np.testing.assert_array_equal(out[0], x[0][np.clip(i - j + 2, 0, 4), 2])


def test_random_zoom_fixed_factors():
    x = _image(1, 5, 5)
    # Factor 2 reads rows/cols 2i - 2: [-2, 0, 2, 4, 6], outside filled with cval.
    out = random_zoom(x, (2, 2), fill_mode='constant', cval=-1)
    expected = np.full((5, 5), -1.)
    expected[1:4, 1:4] = x[0][0::2, 0::2]
    np.testing.assert_array_equal(out[0], expected)
    # Factor 0.5 on 4 pixels reads rows 0.75 + i / 2 -> [1, 1, 2, 2].
    x = _image(1, 4, 4)
    rows = cols = [1, 1, 2, 2]
    np.testing.assert_array_equal(random_zoom(x, [0.5, 0.5])[0], x[0][rows][:, cols])
    np.testing.assert_array_equal(random_zoom(x, (1, 1)), x)


@pytest.mark.parametrize('fn, arg', [(random_rotation, 45), (random_shear, 1.)])
def test_random_rotation_and_shear_fill(upper_draws, fn, arg):
    x = _image(1, 5, 5) + 1
    out = fn(x, arg, fill_mode='constant', cval=-7)
    # The corner (0, 4) reads from outside the image in both, the centre stays.
    assert out[0, 0, 4] == -7 and out[0, 2, 2] == x[0, 2, 2]
    assert fn(x, arg, fill_mode='nearest')[0, 0, 4] > 0


def test_random_zoom_draws_two_factors(upper_draws):
    x = _image(1, 5, 5)
    random_zoom(x, (0.5, 2.))
    assert upper_draws == [(0.5, 2.)]


@pytest.mark.parametrize('bad', [0.2, (1, 2, 3), 'ab', None])
def test_random_zoom_needs_a_pair(bad):
    with pytest.raises(ValueError, match=r'random_zoom: zoom_range must be a pair .*got'):
        random_zoom(_image(), bad)


@pytest.mark.parametrize('channel_index', [0, 2])
def test_random_channel_shift(upper_draws, channel_index):
    x = np.moveaxis(np.random.rand(2, 3, 3), 0, channel_index)
    out = random_channel_shift(x, 0.3, channel_index)
    assert upper_draws == [(-0.3, 0.3)] * 2
    np.testing.assert_allclose(out, np.clip(x + 0.3, x.min(), x.max()))
    with pytest.raises(TypeError, match='intensity must be a number'):
        random_channel_shift(x, None)


def test_random_functions_are_seeded_by_numpy():
    x = np.random.rand(3, 6, 6)
    # seed 5 draws -0.56 then 0.74 of the range: visible changes on 6x6 pixels
    for fn, arg in ((random_rotation, 60), (random_shear, 1.), (random_zoom, (0.5, 1.5))):
        np.random.seed(5)
        a = fn(x, arg)
        np.random.seed(5)
        np.testing.assert_array_equal(fn(x, arg), a)
        assert not np.array_equal(a, x)
        # order 0: every output value is one of the input's
        assert np.isin(a, x).all()


# --- ImageDataGenerator ---------------------------------------------------------------------

def test_generator_defaults_and_axes(dim_ordering):
    K.set_image_dim_ordering('tf')
    g = ImageDataGenerator()
    assert g.dim_ordering == 'tf' and (g.channel_index, g.row_index, g.col_index) == (3, 1, 2)
    assert g.zoom_range == [1, 1] and g.fill_mode == 'nearest' and g.rescale is None
    assert g.mean is None and g.std is None and g.principal_components is None
    K.set_image_dim_ordering('th')
    g = ImageDataGenerator()
    assert g.dim_ordering == 'th' and (g.channel_index, g.row_index, g.col_index) == (1, 2, 3)
    assert ImageDataGenerator(dim_ordering='tf').dim_ordering == 'tf'


def test_generator_zoom_range_forms():
    np.testing.assert_allclose(ImageDataGenerator(zoom_range=0.2).zoom_range, [0.8, 1.2])
    assert ImageDataGenerator(zoom_range=(0.5, 3)).zoom_range == [0.5, 3.]
    assert ImageDataGenerator(zoom_range=np.array([0.9, 1.1])).zoom_range == [0.9, 1.1]


@pytest.mark.parametrize('kwargs, error, match', [
    ({'zoom_range': (1, 2, 3)}, ValueError, r'zoom_range must be a number or a pair .*\(1, 2, 3\)'),
    ({'zoom_range': 'big'}, ValueError, r"zoom_range must be a number or a pair .*'big'"),
    ({'zoom_range': None}, ValueError, r'zoom_range must be a number or a pair .*None'),
    ({'zoom_range': (1, 'x')}, TypeError, r"zoom_range\[1\] must be a number; got 'x'"),
    ({'dim_ordering': 'nchw'}, ValueError, r"dim_ordering must be 'th', 'tf' .*'nchw'"),
    ({'fill_mode': 'edge'}, ValueError, r"fill_mode must be one of .*'edge'"),
    ({'rotation_range': '10'}, TypeError, r"rotation_range must be a number; got '10'"),
    ({'rescale': 'half'}, TypeError, r"rescale must be a number; got 'half'"),
    ({'preprocessing_function': 3}, TypeError, 'preprocessing_function must be callable'),
])
def test_generator_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match='ImageDataGenerator: ' + match):
        ImageDataGenerator(**kwargs)


@pytest.mark.parametrize('tf', [False, True])
def test_random_transform_flips(monkeypatch, tf):
    monkeypatch.setattr(np.random, 'random', lambda: 0.25)
    x = _image(2, 3, 4, tf)
    g = ImageDataGenerator(horizontal_flip=True, dim_ordering='tf' if tf else 'th')
    np.testing.assert_array_equal(_th(g.random_transform(x), tf), _th(x, tf)[:, :, ::-1])
    g = ImageDataGenerator(vertical_flip=True, dim_ordering='tf' if tf else 'th')
    np.testing.assert_array_equal(_th(g.random_transform(x), tf), _th(x, tf)[:, ::-1])
    monkeypatch.setattr(np.random, 'random', lambda: 0.75)     # no flip half the time
    np.testing.assert_array_equal(g.random_transform(x), x)


@pytest.mark.parametrize('tf', [False, True])
def test_random_transform_geometry(upper_draws, tf):
    order = 'tf' if tf else 'th'
    x = _image(2, 5, 5, tf)
    out = ImageDataGenerator(rotation_range=90, dim_ordering=order).random_transform(x)
    np.testing.assert_array_equal(_th(out, tf), np.rot90(_th(x, tf), -1, axes=(1, 2)))
    x = _image(1, 4, 8, tf)
    g = ImageDataGenerator(height_shift_range=0.5, width_shift_range=0.25, fill_mode='constant',
                           cval=-1, dim_ordering=order)
    expected = np.full((1, 4, 8), -1.)
    expected[:, :2, :6] = _th(x, tf)[:, 2:, 2:]
    np.testing.assert_array_equal(_th(g.random_transform(x), tf), expected)
    g = ImageDataGenerator(channel_shift_range=2, dim_ordering=order)
    np.testing.assert_array_equal(g.random_transform(x), np.clip(x + 2, x.min(), x.max()))


def test_random_transform_identity_and_copy():
    x = _image()
    out = ImageDataGenerator().random_transform(x)
    np.testing.assert_array_equal(out, x)
    out[...] = 0
    assert x.any()
    with pytest.raises(ValueError, match=r'rank 3; got shape \(1, 2, 5, 5\)'):
        ImageDataGenerator().random_transform(x[None])


def test_random_transform_with_everything_is_seeded():
    g = ImageDataGenerator(rotation_range=20, width_shift_range=0.2, height_shift_range=0.2,
                           shear_range=0.3, zoom_range=0.2, channel_shift_range=0.1,
                           horizontal_flip=True, vertical_flip=True, fill_mode='reflect')
    x = np.random.rand(3, 7, 7)
    np.random.seed(5)
    a = g.random_transform(x)
    np.random.seed(5)
    np.testing.assert_array_equal(g.random_transform(x), a)
    assert a.shape == x.shape and not np.array_equal(a, x)


@pytest.mark.parametrize('tf', [False, True])
def test_featurewise_center_and_std(tf):
    order = 'tf' if tf else 'th'
    X = np.random.rand(20, 3, 4, 4) * [[[2.]], [[5.]], [[1.]]] + [[[1.]], [[-3.]], [[7.]]]
    if tf:
        X = X.transpose(0, 2, 3, 1)
    axes = (0, 1, 2) if tf else (0, 2, 3)
    g = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True,
                           dim_ordering=order)
    g.fit(X)
    assert g.mean.shape == ((1, 1, 3) if tf else (3, 1, 1)) and g.mean.dtype == K.floatx()
    np.testing.assert_allclose(g.mean.ravel(), X.mean(axis=axes), rtol=1e-6)
    np.testing.assert_allclose(g.std.ravel(), X.std(axis=axes), rtol=1e-6)
    batch = next(g.flow(X, batch_size=20, shuffle=False))
    np.testing.assert_allclose(batch.mean(axis=axes), 0, atol=1e-5)
    np.testing.assert_allclose(batch.std(axis=axes), 1, atol=1e-5)


def test_zca_whitening_gives_identity_covariance():
    rng = np.random.RandomState(0)
    X = rng.randn(400, 1, 3, 3).dot(np.eye(3) + 0.8)        # correlated columns
    X = X + rng.randn(400, 1, 3, 1)                        # and rows
    g = ImageDataGenerator(featurewise_center=True, zca_whitening=True)
    g.fit(X)
    assert g.principal_components.shape == (9, 9)
    np.testing.assert_allclose(g.principal_components, g.principal_components.T, atol=1e-4)
    flat = next(g.flow(X, batch_size=400, shuffle=False)).reshape(400, 9).astype('float64')
    assert np.abs(np.corrcoef(X.reshape(400, 9).T) - np.eye(9)).max() > 0.3
    np.testing.assert_allclose(flat.T.dot(flat) / 400, np.eye(9), atol=1e-3)


def test_standardize_samplewise_rescale_and_preprocessing_function():
    seen = []

    def double(x):
        seen.append(x.shape)
        return x * 2
    x = np.random.rand(3, 4, 5).astype('float32')
    g = ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True,
                           rescale=0.5, preprocessing_function=double)
    out = g.standardize(x)
    assert seen == [(3, 4, 5)] and out.dtype == K.floatx()
    # mean and std over the channel axis, as Keras 1.2.2
    expected = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-7)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
    tf = ImageDataGenerator(samplewise_center=True, dim_ordering='tf').standardize(x)
    np.testing.assert_allclose(tf.mean(axis=2), 0, atol=1e-6)
    np.testing.assert_allclose(ImageDataGenerator(rescale=1 / 255.).standardize(x * 255), x,
                               rtol=1e-6)
    assert x.min() >= 0                                   # the input is left alone


@pytest.mark.parametrize('flag', ['featurewise_center', 'featurewise_std_normalization',
                                  'zca_whitening'])
def test_standardize_before_fit_warns(flag):
    x = np.random.rand(1, 3, 3)
    with pytest.warns(UserWarning, match='specifies `%s`, but it has not been fit' % flag):
        out = ImageDataGenerator(**{flag: True}).standardize(x)
    np.testing.assert_allclose(out, x, rtol=1e-6)


def test_standardize_with_statistics_of_other_images():
    g = ImageDataGenerator(featurewise_center=True)
    g.fit(np.random.rand(4, 3, 2, 2))
    with pytest.raises(ValueError, match=r'fit on 3 channels but the image \(shape \(1, 2, 2\)'):
        g.standardize(np.zeros((1, 2, 2)))
    g = ImageDataGenerator(zca_whitening=True)
    g.fit(np.random.rand(8, 1, 2, 2))
    with pytest.raises(ValueError, match=r'images of 4 values but this image \(shape'):
        g.standardize(np.zeros((1, 3, 3)))


def test_fit_augment_rounds_and_seed():
    class PlusOne(ImageDataGenerator):
        calls = 0

        def random_transform(self, x):
            PlusOne.calls += 1
            return x + 1
    X = np.random.rand(5, 1, 2, 2)
    g = PlusOne(featurewise_center=True)
    g.fit(X, augment=True, rounds=3)
    assert PlusOne.calls == 15
    np.testing.assert_allclose(g.mean.ravel(), X.mean() + 1, rtol=1e-6)
    g = ImageDataGenerator(featurewise_center=True, rotation_range=45, zoom_range=0.3)
    X = np.random.rand(6, 1, 5, 5)
    means = []
    for _ in range(2):
        g.fit(X, augment=True, rounds=2, seed=11)
        means.append(g.mean)
    np.testing.assert_array_equal(means[0], means[1])
    assert not np.allclose(means[0].ravel(), X.mean())


def test_fit_bad_input():
    g = ImageDataGenerator(featurewise_center=True)
    with pytest.raises(ValueError, match=r'fit: X must be a batch of images of rank 4; got '
                                         r'shape \(5, 3, 3\)'):
        g.fit(np.zeros((5, 3, 3)))
    with pytest.raises(ValueError, match='rounds must be a whole number >= 1; got 0'):
        g.fit(np.zeros((2, 1, 3, 3)), rounds=0)
    with pytest.warns(UserWarning, match=r'1, 3 or 4 channels on axis 1 .*\(8 channels\)'):
        g.fit(np.zeros((2, 8, 8, 3)))


# --- flow and the iterators -----------------------------------------------------------------

def _indexed(n, tf=False):
    """n images whose pixels all hold the sample's index."""
    X = np.broadcast_to(np.arange(n, dtype='float32')[:, None, None, None], (n, 1, 2, 3))
    return X.transpose(0, 2, 3, 1).copy() if tf else X.copy()


def _ids(batch):
    return batch.reshape(len(batch), -1)[:, 0].astype(int)


def test_flow_batches_cover_each_epoch_with_a_smaller_last_batch():
    X, y = _indexed(10), np.arange(10) * 10
    it = ImageDataGenerator().flow(X, y, batch_size=4, shuffle=False)
    sizes, ids = [], []
    for _ in range(6):
        bx, by = next(it)
        assert bx.shape[1:] == (1, 2, 3) and bx.dtype == K.floatx()
        np.testing.assert_array_equal(by, _ids(bx) * 10)
        sizes.append(len(bx))
        ids.extend(_ids(bx))
    assert sizes == [4, 4, 2, 4, 4, 2]
    assert ids == list(range(10)) * 2


@pytest.mark.parametrize('n, batch_size', [(10, 4), (8, 4), (3, 5)])
def test_flow_shuffles_every_epoch(n, batch_size):
    it = ImageDataGenerator().flow(_indexed(n), batch_size=batch_size)
    per_epoch = -(-n // batch_size)
    epochs = []
    for _ in range(4):
        epochs.append(np.concatenate([_ids(next(it)) for _ in range(per_epoch)]))
        assert sorted(epochs[-1]) == list(range(n))
    assert len({tuple(e) for e in epochs}) > 1


def test_flow_seed_reproduces_order_and_augmentation():
    g = ImageDataGenerator(rotation_range=30, horizontal_flip=True)
    X = np.random.rand(9, 3, 6, 6)

    def run(seed):
        it = g.flow(X, np.arange(9), batch_size=4, seed=seed)
        return [next(it) for _ in range(5)]
    a, b, c = run(7), run(7), run(8)
    for (ax, ay), (bx, by) in zip(a, b):
        np.testing.assert_array_equal(ax, bx)
        np.testing.assert_array_equal(ay, by)
    assert not all(np.array_equal(ay, cy) for (_, ay), (_, cy) in zip(a, c))


def test_flow_tf_ordering_and_no_y(dim_ordering):
    K.set_image_dim_ordering('tf')
    X = _indexed(5, tf=True)
    it = ImageDataGenerator(vertical_flip=True).flow(X, batch_size=5, shuffle=False)
    assert isinstance(it, NumpyArrayIterator) and it.dim_ordering == 'tf'
    batch = next(it)
    assert isinstance(batch, np.ndarray) and batch.shape == (5, 2, 3, 1)
    np.testing.assert_array_equal(_ids(batch), range(5))


def test_flow_reset_and_iter():
    it = ImageDataGenerator().flow(_indexed(7), batch_size=3, shuffle=False)
    assert iter(it) is it
    next(it)
    next(it)
    it.reset()
    np.testing.assert_array_equal(_ids(next(it)), [0, 1, 2])
    np.testing.assert_array_equal(_ids(it.next()), [3, 4, 5])


def test_flow_bad_input():
    g = ImageDataGenerator()
    with pytest.raises(ValueError, match=r'X must be a batch of images of rank 4; got shape '
                                         r'\(4, 2, 2\)'):
        g.flow(np.zeros((4, 2, 2)))
    with pytest.raises(ValueError, match=r'same length; got X.shape = \(4, 1, 2, 2\), '
                                         r'y.shape = \(3,\)'):
        g.flow(np.zeros((4, 1, 2, 2)), np.zeros(3))
    with pytest.raises(ValueError, match='batch_size must be a whole number >= 1; got 0'):
        g.flow(np.zeros((4, 1, 2, 2)), batch_size=0)
    with pytest.warns(UserWarning, match=r"channels on axis 3 \(dim_ordering 'tf'\)"):
        ImageDataGenerator(dim_ordering='tf').flow(np.zeros((4, 1, 2, 2)))
    it = g.flow(np.zeros((0, 1, 2, 2)))
    with pytest.raises(ValueError, match='no samples to iterate over'):
        next(it)


def test_iterator_is_thread_safe():
    it = ImageDataGenerator().flow(_indexed(200), batch_size=1, shuffle=False)
    seen = []

    def worker():
        for _ in range(50):
            seen.extend(_ids(next(it)))
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(200))


def test_base_iterator_yields_index_batches():
    it = Iterator(5, 2, False, None)
    assert (it.N, it.batch_size, it.shuffle) == (5, 2, False)
    got = [next(it.index_generator) for _ in range(4)]
    assert [(list(a), i, n) for a, i, n in got] == [
        ([0, 1], 0, 2), ([2, 3], 2, 2), ([4], 4, 1), ([0, 1], 0, 2)]
    assert it.total_batches_seen == 4 and it.batch_index == 1
    with pytest.raises(ValueError, match='seed must be a whole number >= 0'):
        Iterator(5, 2, True, -1)


def test_fit_generator_trains_on_flow():
    from symkeras.layers.core import Dense, Flatten
    from symkeras.models import Sequential
    from symkeras.optimizers import Adam
    rng = np.random.RandomState(0)
    labels = rng.randint(0, 2, 64)
    X = rng.rand(64, 1, 4, 4).astype('float32') * 0.3
    X[labels == 0, :, :2] += 1.                     # class 0: bright top, class 1: bright bottom
    X[labels == 1, :, 2:] += 1.
    Y = np.eye(2)[labels]
    datagen = ImageDataGenerator(featurewise_center=True, horizontal_flip=True)
    datagen.fit(X)
    model = Sequential([Flatten(input_shape=(1, 4, 4)), Dense(2, activation='softmax')])
    model.compile(Adam(lr=0.05), 'categorical_crossentropy', metrics=['accuracy'])
    hist = model.fit_generator(datagen.flow(X, Y, batch_size=16, seed=1), samples_per_epoch=64,
                               nb_epoch=10, verbose=0)
    assert hist.history['loss'][-1] < hist.history['loss'][0]
    assert hist.history['acc'][-1] > 0.9


# --- image files ----------------------------------------------------------------------------

class _StandInImage(object):
    """Just enough of a PIL image: an uint8 array and a mode, saved as .npz whatever the name."""

    def __init__(self, arr, mode):
        self.arr, self.mode = np.asarray(arr, dtype='uint8'), mode

    @property
    def size(self):
        return self.arr.shape[1], self.arr.shape[0]

    def __array__(self, dtype=None, copy=None):
        return self.arr if dtype is None else self.arr.astype(dtype)

    def convert(self, mode):
        if mode == 'L':
            return _StandInImage(np.rint(self.arr.dot([0.299, 0.587, 0.114])), 'L')
        return _StandInImage(np.stack([self.arr] * 3, axis=-1), 'RGB')

    def resize(self, size, resample=0):
        rows = np.arange(size[1]) * self.arr.shape[0] // size[1]
        cols = np.arange(size[0]) * self.arr.shape[1] // size[0]
        return _StandInImage(self.arr[rows][:, cols], self.mode)

    def save(self, path):
        with open(path, 'wb') as f:
            np.savez(f, arr=self.arr, mode=self.mode)


def _stand_in_pil():
    mod = types.ModuleType('PIL.Image')
    mod.fromarray = lambda arr, mode=None: _StandInImage(arr, mode or
                                                          ('L' if np.ndim(arr) == 2 else 'RGB'))

    def open_(path):
        with np.load(path) as f:
            return _StandInImage(f['arr'], str(f['mode']))
    mod.open = open_
    pkg = types.ModuleType('PIL')
    pkg.Image = mod
    return pkg, mod


@pytest.fixture(params=['stand-in PIL'] +
                (['Pillow'] if importlib.util.find_spec('PIL') is not None else []))
def Image(request, monkeypatch):
    """The PIL.Image module the file functions see: Pillow's when installed, and always a
    stand-in (so that these tests run, and mean the same, with or without Pillow)."""
    if request.param == 'Pillow':
        from PIL import Image
        return Image
    pkg, mod = _stand_in_pil()
    monkeypatch.setitem(sys.modules, 'PIL', pkg)
    monkeypatch.setitem(sys.modules, 'PIL.Image', mod)
    return mod


@pytest.fixture
def no_pil(monkeypatch):
    monkeypatch.setitem(sys.modules, 'PIL', None)
    monkeypatch.setitem(sys.modules, 'PIL.Image', None)


def test_functions_needing_pillow_say_so_without_it(no_pil, tmpdir):
    def raises(fn, *args, **kwargs):
        with pytest.raises(ImportError, match=r'needs Pillow .*pip install Pillow'):
            fn(*args, **kwargs)
    raises(array_to_img, np.zeros((3, 2, 2)))
    raises(load_img, str(tmpdir.join('a.png')))
    raises(ImageDataGenerator().flow_from_directory, str(tmpdir))
    raises(ImageDataGenerator().flow, np.zeros((2, 1, 2, 2)), save_to_dir=str(tmpdir))
    # what needs no image files still works
    assert next(ImageDataGenerator().flow(np.zeros((2, 1, 2, 2)))).shape == (2, 1, 2, 2)
    np.testing.assert_array_equal(img_to_array(np.ones((2, 3)), 'th'), np.ones((1, 2, 3)))


@pytest.mark.parametrize('order', ['th', 'tf'])
def test_img_to_array(order):
    gray, rgb = np.arange(6).reshape(2, 3), np.arange(18).reshape(2, 3, 3)
    x = img_to_array(gray, order)
    assert x.dtype == K.floatx() and x.shape == ((1, 2, 3) if order == 'th' else (2, 3, 1))
    x = img_to_array(rgb, order)
    np.testing.assert_array_equal(x, rgb.transpose(2, 0, 1) if order == 'th' else rgb)
    with pytest.raises(ValueError, match=r'unsupported image shape \(1, 2, 3, 3\)'):
        img_to_array(rgb[None], order)
    with pytest.raises(ValueError, match="dim_ordering must be 'th', 'tf' or 'default'; got 'x'"):
        img_to_array(rgb, 'x')


@pytest.mark.parametrize('order', ['th', 'tf'])
def test_array_to_img_round_trip(Image, order):
    rgb = np.random.RandomState(0).randint(0, 256, (4, 5, 3)).astype('float32')
    x = rgb.transpose(2, 0, 1) if order == 'th' else rgb
    img = array_to_img(x, order, scale=False)
    assert img.mode == 'RGB' and img.size == (5, 4)
    np.testing.assert_array_equal(img_to_array(img, order), x)
    # scale: shifted to start at 0 and stretched to 255; the input is left alone
    y = x / 255. - 0.5
    saved = y.copy()
    out = img_to_array(array_to_img(y, order), order)
    np.testing.assert_array_equal(y, saved)
    np.testing.assert_allclose(out, np.floor((y - y.min()) / (y.max() - y.min()) * 255 + 1e-9),
                               atol=1)
    gray = array_to_img(x[:1] if order == 'th' else x[:, :, :1], order, scale=False)
    assert gray.mode == 'L' and img_to_array(gray, order).shape == (
        (1, 4, 5) if order == 'th' else (4, 5, 1))


def test_array_to_img_bad_input(Image, dim_ordering):
    K.set_image_dim_ordering('tf')
    with pytest.raises(ValueError, match=r'1 or 3 channels; got 2 \(shape \(4, 4, 2\)\)'):
        array_to_img(np.zeros((4, 4, 2)))
    with pytest.raises(ValueError, match=r'rank 3; got shape \(4, 4\)'):
        array_to_img(np.zeros((4, 4)))


def _write_images(Image, root, layout):
    """layout: {relative path: gray level}; each image 4x6, R = G = B = the level."""
    for rel, level in layout.items():
        path = os.path.join(root, rel)
        if not os.path.isdir(os.path.dirname(path)):
            os.makedirs(os.path.dirname(path))
        Image.fromarray(np.full((4, 6, 3), level, dtype='uint8'), 'RGB').save(path)


def test_load_img(Image, tmpdir):
    _write_images(Image, str(tmpdir), {'a.png': 100})
    path = str(tmpdir.join('a.png'))
    img = load_img(path)
    assert img.mode == 'RGB' and img.size == (6, 4)
    gray = load_img(path, grayscale=True, target_size=(2, 3))
    assert gray.mode == 'L' and gray.size == (3, 2)
    np.testing.assert_array_equal(np.asarray(gray), np.full((2, 3), 100))


def test_list_pictures(tmpdir):
    for rel in ['a.jpg', 'b.png', 'sub/c.bmp', 'sub/deep/d-1.jpeg', 'e.txt', 'f.jpg.txt', 'g']:
        p = tmpdir.join(rel)
        p.dirpath().ensure(dir=True)
        p.write('')
    found = sorted(os.path.relpath(p, str(tmpdir)) for p in list_pictures(str(tmpdir)))
    assert found == ['a.jpg', 'b.png', os.path.join('sub', 'c.bmp'),
                     os.path.join('sub', 'deep', 'd-1.jpeg')]
    assert [os.path.basename(p) for p in list_pictures(str(tmpdir), ext='png')] == ['b.png']


@pytest.fixture
def class_dir(Image, tmpdir):
    _write_images(Image, str(tmpdir), {
        'cats/c1.png': 10, 'cats/c2.PNG': 20, 'cats/more/c3.bmp': 30,
        'dogs/d1.png': 40, 'dogs/d2.jpg': 50})
    tmpdir.join('dogs', 'notes.txt').write('not an image')
    return str(tmpdir)


@pytest.mark.parametrize('order', ['th', 'tf'])
def test_flow_from_directory_lists_classes(class_dir, order, capsys):
    it = ImageDataGenerator(dim_ordering=order).flow_from_directory(
        class_dir, target_size=(2, 3), batch_size=3, shuffle=False)
    assert 'Found 5 images belonging to 2 classes.' in capsys.readouterr().out
    assert isinstance(it, DirectoryIterator)
    assert it.class_indices == {'cats': 0, 'dogs': 1} and it.nb_class == 2
    assert it.nb_sample == 5 and list(it.classes) == [0, 0, 0, 1, 1]
    assert it.filenames[:2] == [os.path.join('cats', 'c1.png'), os.path.join('cats', 'c2.PNG')]
    assert it.image_shape == ((3, 2, 3) if order == 'th' else (2, 3, 3))
    bx, by = next(it)
    assert bx.shape == (3,) + it.image_shape and by.dtype == np.float32
    np.testing.assert_array_equal(by, [[1, 0], [1, 0], [1, 0]])
    np.testing.assert_array_equal(bx.reshape(3, -1).mean(axis=1), [10, 20, 30])
    bx, by = next(it)                                           # the smaller last batch
    assert len(bx) == 2 and abs(bx.max() - 50) <= 2
    np.testing.assert_array_equal(by, [[0, 1], [0, 1]])


@pytest.mark.parametrize('class_mode, expected', [
    ('sparse', np.array([0, 0, 1, 1], dtype='int32')),
    ('binary', np.array([0, 0, 1, 1], dtype='float32')),
    (None, None)])
def test_flow_from_directory_class_modes(class_dir, class_mode, expected):
    it = ImageDataGenerator().flow_from_directory(
        class_dir, target_size=(4, 6), color_mode='grayscale', classes=['dogs', 'cats'],
        class_mode=class_mode, batch_size=4, shuffle=False)
    assert it.class_indices == {'dogs': 0, 'cats': 1}
    batch = next(it)
    if expected is None:
        assert isinstance(batch, np.ndarray) and batch.shape == (4, 1, 4, 6)
        return
    bx, by = batch
    assert bx.shape == (4, 1, 4, 6) and by.dtype == expected.dtype
    np.testing.assert_allclose(bx[:, 0, 0, 0], [40, 50, 10, 20], atol=2)   # d2 is a lossy jpg
    np.testing.assert_array_equal(by, expected)


def test_flow_from_directory_follow_links_and_seed(Image, class_dir, tmpdir_factory):
    extra = str(tmpdir_factory.mktemp('extra'))
    _write_images(Image, extra, {'x1.png': 60})
    os.symlink(extra, os.path.join(class_dir, 'dogs', 'linked'))
    g = ImageDataGenerator()
    assert g.flow_from_directory(class_dir, target_size=(2, 2)).nb_sample == 5
    it = g.flow_from_directory(class_dir, target_size=(2, 2), follow_links=True, seed=3,
                               batch_size=6)
    assert it.nb_sample == 6 and os.path.join('dogs', 'linked', 'x1.png') in it.filenames
    again = g.flow_from_directory(class_dir, target_size=(2, 2), follow_links=True, seed=3,
                                  batch_size=6)
    np.testing.assert_array_equal(next(it)[0], next(again)[0])


def test_flow_from_directory_bad_arguments(class_dir):
    g = ImageDataGenerator()
    with pytest.raises(ValueError, match="color_mode must be 'rgb' or 'grayscale'; got 'rgba'"):
        g.flow_from_directory(class_dir, color_mode='rgba')
    with pytest.raises(ValueError, match="class_mode must be .*; got 'onehot'"):
        g.flow_from_directory(class_dir, class_mode='onehot')
    with pytest.raises(ValueError, match=r'target_size must be a pair .*; got \(3,\)'):
        g.flow_from_directory(class_dir, target_size=(3,))
    with pytest.raises(ValueError, match="directory '.*nowhere' does not exist"):
        g.flow_from_directory(os.path.join(class_dir, 'nowhere'))
    with pytest.raises(ValueError, match="class 'birds' has no subfolder"):
        g.flow_from_directory(class_dir, classes=['cats', 'birds'])


def test_flow_from_directory_save_to_dir(class_dir, tmpdir_factory):
    out = str(tmpdir_factory.mktemp('saved'))
    it = ImageDataGenerator().flow_from_directory(
        class_dir, target_size=(2, 2), batch_size=2, shuffle=False, save_to_dir=out,
        save_prefix='d', save_format='bmp')
    next(it)
    assert sorted(n.split('_')[1] for n in os.listdir(out)) == ['0', '1']
    assert all(n.startswith('d_') and n.endswith('.bmp') for n in os.listdir(out))


def test_save_to_dir(Image, tmpdir):
    out = tmpdir.mkdir('out')
    X = np.random.rand(5, 3, 4, 4)
    it = ImageDataGenerator().flow(X, batch_size=3, shuffle=False, save_to_dir=str(out),
                                   save_prefix='aug', save_format='png')
    next(it)
    next(it)
    names = sorted(os.listdir(str(out)))
    assert len(names) == 5 and all(n.startswith('aug_') and n.endswith('.png') for n in names)
    assert sorted(int(n.split('_')[1]) for n in names) == [0, 1, 2, 3, 4]
    saved = img_to_array(load_img(os.path.join(str(out), names[0])), 'th')
    assert saved.shape == (3, 4, 4) and saved.min() >= 0 and saved.max() == 255
