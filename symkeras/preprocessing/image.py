"""Keras 1.2.2's keras.preprocessing.image: real-time data augmentation for image tensors.

Images are rank-3 arrays: (channels, rows, cols) for dim_ordering 'th', (rows, cols,
channels) for 'tf'; batches add a leading sample axis. Random draws use numpy's global
generator, as Keras 1.2.2 did, so np.random.seed(...) (or an iterator's `seed`, which reseeds
it before every batch) reproduces the augmentation.

The geometric transforms are numpy only (Keras used scipy.ndimage.affine_transform): the
output pixel at (row, col) takes the input at matrix[:2, :2] . (row, col) + matrix[:2, 2].
Interpolation is order 0, nearest pixel, as Keras 1.2.2 called scipy (order=1, bilinear, is
available through apply_transform's `order`). Source pixels outside the image are filled by
fill_mode: 'constant' (cval), 'nearest' (edge pixel), 'reflect' (mirror including the edge:
d c b a | a b c d | d c b a) or 'wrap' (periodic). Differences from Keras 1.2.2, each a
Keras bug: transforms turn about the true pixel centre ((n - 1) / 2, Keras used n / 2 + 0.5,
one pixel off), 'wrap' has period n (old scipy used n - 1), an iterator reshuffles at every
epoch (Keras did not when the batch size divided the sample count), array_to_img leaves
its input unchanged, and list_pictures takes any file name with a listed extension (Keras'
pattern took only names of letters, digits and '_', and missed 'my-cat.jpg').

Reading and writing image files (load_img, array_to_img, flow_from_directory, save_to_dir)
needs Pillow, which symkeras does not depend on; without it those raise an ImportError
saying what to install.
"""
import os
import re
import threading
import warnings

import numpy as np

from .. import backend as K
from ..backend.config import normalize_dim_ordering
from ..utils.generic_utils import check_number

FILL_MODES = ('constant', 'nearest', 'reflect', 'wrap')
# The file types flow_from_directory reads, as in Keras 1.2.2.
_WHITE_LIST_FORMATS = ('png', 'jpg', 'jpeg', 'bmp')


def _pil_image(what):
    """PIL.Image, or an ImportError naming `what` and the package to install."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError('%s needs Pillow (the PIL package) to read and write image files, '
                          'and it is not installed; install it with `pip install Pillow`' % what)
    return Image


def _check_fill_mode(owner, fill_mode):
    if fill_mode not in FILL_MODES:
        raise ValueError('%s: fill_mode must be one of %s; got %r'
                         % (owner, ', '.join(repr(m) for m in FILL_MODES), fill_mode))


def _zoom_pair(owner, zoom_range, scalar_allowed):
    """[low, high] zoom factors from a pair, or from a number z as [1 - z, 1 + z] (when
    `scalar_allowed`)."""
    if (isinstance(zoom_range, (list, tuple)) or
            (isinstance(zoom_range, np.ndarray) and zoom_range.ndim == 1)) and len(zoom_range) == 2:
        return [check_number(owner, 'zoom_range[%d]' % i, z) for i, z in enumerate(zoom_range)]
    if scalar_allowed:
        try:
            z = check_number(owner, 'zoom_range', zoom_range)
        except TypeError:
            pass
        else:
            return [1 - z, 1 + z]
    raise ValueError('%s: zoom_range must be %sa pair (low, high) of numbers; got %r'
                     % (owner, 'a number or ' if scalar_allowed else '', zoom_range))


# --- geometric transforms ---------------------------------------------------------------

def _wrap_index(idx, n, fill_mode):
    """Integer source indices brought into [0, n) by fill_mode, and for 'constant' the mask
    of those that were inside (None otherwise)."""
    if fill_mode == 'nearest':
        return np.clip(idx, 0, n - 1), None
    if fill_mode == 'wrap':
        return idx % n, None
    if fill_mode == 'reflect':
        m = idx % (2 * n)
        return np.where(m >= n, 2 * n - 1 - m, m), None
    return np.clip(idx, 0, n - 1), (idx >= 0) & (idx < n)


def _sample(channels, rows, cols, fill_mode, cval):
    """channels[:, rows, cols] for integer index grids that may leave the image."""
    r, r_in = _wrap_index(rows, channels.shape[1], fill_mode)
    c, c_in = _wrap_index(cols, channels.shape[2], fill_mode)
    out = channels[:, r, c]
    if fill_mode == 'constant':
        out = np.where(r_in & c_in, out, cval)
    return out


def _affine(channels, matrix, offset, fill_mode, cval, order):
    """Each (rows, cols) channel of `channels` resampled at matrix . (row, col) + offset."""
    h, w = channels.shape[1:]
    rows, cols = np.meshgrid(np.arange(h), np.arange(w), indexing='ij')
    src_r = matrix[0, 0] * rows + matrix[0, 1] * cols + offset[0]
    src_c = matrix[1, 0] * rows + matrix[1, 1] * cols + offset[1]
    if order == 0:
        # Round half up, as scipy's order-0 spline does.
        r = np.floor(src_r + 0.5).astype(np.int64)
        c = np.floor(src_c + 0.5).astype(np.int64)
        return _sample(channels, r, c, fill_mode, cval).astype(channels.dtype)
    r0, c0 = np.floor(src_r), np.floor(src_c)
    fr, fc = src_r - r0, src_c - c0
    r0, c0 = r0.astype(np.int64), c0.astype(np.int64)
    out = 0.
    for dr, wr in ((0, 1 - fr), (1, fr)):
        for dc, wc in ((0, 1 - fc), (1, fc)):
            out = out + wr * wc * _sample(channels, r0 + dr, c0 + dc, fill_mode, cval)
    if channels.dtype.kind in 'iub':
        out = np.rint(out)
    return out.astype(channels.dtype)


def apply_transform(x, transform_matrix, channel_index=0, fill_mode='nearest', cval=0., order=0):
    """The rank-3 image x (channels on axis channel_index, rows before cols among the other
    two) resampled by the 3x3 affine transform_matrix, which maps output (row, col) to input
    coordinates. order 0 takes the nearest pixel (Keras 1.2.2), 1 interpolates bilinearly."""
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError('apply_transform: x must be one image of rank 3; got shape %s'
                         % (x.shape,))
    m = np.asarray(transform_matrix, dtype=np.float64)
    if m.shape not in ((3, 3), (2, 3)):
        raise ValueError('apply_transform: transform_matrix must be 3x3 (or its top 2x3); got '
                         'shape %s' % (m.shape,))
    _check_fill_mode('apply_transform', fill_mode)
    if order not in (0, 1):
        raise ValueError('apply_transform: order must be 0 (nearest) or 1 (bilinear); got %r'
                         % (order,))
    cval = check_number('apply_transform', 'cval', cval)
    channels = np.moveaxis(x, channel_index, 0)
    if channels.size == 0:
        return x.copy()
    out = _affine(channels, m[:2, :2], m[:2, 2], fill_mode, cval, order)
    return np.moveaxis(out, 0, channel_index)


def transform_matrix_offset_center(matrix, x, y):
    """`matrix` conjugated to act about the centre of an x-by-y (rows by cols) image."""
    o_x = (float(x) - 1) / 2
    o_y = (float(y) - 1) / 2
    offset_matrix = np.array([[1, 0, o_x], [0, 1, o_y], [0, 0, 1]])
    reset_matrix = np.array([[1, 0, -o_x], [0, 1, -o_y], [0, 0, 1]])
    return offset_matrix.dot(matrix).dot(reset_matrix)


def _rotation(theta):
    return np.array([[np.cos(theta), -np.sin(theta), 0],
                     [np.sin(theta), np.cos(theta), 0],
                     [0, 0, 1]])


def _translation(tx, ty):
    return np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]], dtype=np.float64)


def _shear(shear):
    return np.array([[1, -np.sin(shear), 0], [0, np.cos(shear), 0], [0, 0, 1]])


def _zoom(zx, zy):
    return np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]], dtype=np.float64)


def _draw_zoom(zoom_range):
    if zoom_range[0] == 1 and zoom_range[1] == 1:
        return 1., 1.
    return tuple(np.random.uniform(zoom_range[0], zoom_range[1], 2))


def _centred(x, matrix, row_index, col_index, channel_index, fill_mode, cval):
    h, w = np.shape(x)[row_index], np.shape(x)[col_index]
    matrix = transform_matrix_offset_center(matrix, h, w)
    return apply_transform(x, matrix, channel_index, fill_mode, cval)


def random_rotation(x, rg, row_index=1, col_index=2, channel_index=0, fill_mode='nearest',
                    cval=0.):
    """x rotated about its centre by an angle drawn uniformly from [-rg, rg] degrees."""
    rg = check_number('random_rotation', 'rg', rg)
    theta = np.pi / 180 * np.random.uniform(-rg, rg)
    return _centred(x, _rotation(theta), row_index, col_index, channel_index, fill_mode, cval)


def random_shift(x, wrg, hrg, row_index=1, col_index=2, channel_index=0, fill_mode='nearest',
                 cval=0.):
    """x shifted by up to hrg of its height and wrg of its width (fractions, drawn
    uniformly from [-range, range])."""
    wrg = check_number('random_shift', 'wrg', wrg)
    hrg = check_number('random_shift', 'hrg', hrg)
    h, w = np.shape(x)[row_index], np.shape(x)[col_index]
    tx = np.random.uniform(-hrg, hrg) * h
    ty = np.random.uniform(-wrg, wrg) * w
    return apply_transform(x, _translation(tx, ty), channel_index, fill_mode, cval)


def random_shear(x, intensity, row_index=1, col_index=2, channel_index=0, fill_mode='nearest',
                 cval=0.):
    """x sheared by an angle drawn uniformly from [-intensity, intensity] radians."""
    intensity = check_number('random_shear', 'intensity', intensity)
    shear = np.random.uniform(-intensity, intensity)
    return _centred(x, _shear(shear), row_index, col_index, channel_index, fill_mode, cval)


def random_zoom(x, zoom_range, row_index=1, col_index=2, channel_index=0, fill_mode='nearest',
                cval=0.):
    """x zoomed about its centre: rows and cols sample the input at factors drawn uniformly
    from zoom_range = (low, high) (a factor below 1 enlarges the picture)."""
    zx, zy = _draw_zoom(_zoom_pair('random_zoom', zoom_range, scalar_allowed=False))
    return _centred(x, _zoom(zx, zy), row_index, col_index, channel_index, fill_mode, cval)


def random_channel_shift(x, intensity, channel_index=0):
    """Each channel of x plus its own offset drawn from [-intensity, intensity], clipped to
    the range of x."""
    intensity = check_number('random_channel_shift', 'intensity', intensity)
    x = np.moveaxis(np.asarray(x), channel_index, 0)
    min_x, max_x = np.min(x), np.max(x)
    shifted = np.stack([np.clip(c + np.random.uniform(-intensity, intensity), min_x, max_x)
                        for c in x], axis=0)
    return np.moveaxis(shifted, 0, channel_index)


def flip_axis(x, axis):
    """x reversed along `axis` (a view)."""
    return np.flip(np.asarray(x), axis)


# --- image files --------------------------------------------------------------------------

def array_to_img(x, dim_ordering='default', scale=True):
    """A PIL image of the rank-3 array x (3 channels: RGB, 1: grayscale). With `scale`, x is
    shifted to be non-negative and stretched to 0..255 first."""
    Image = _pil_image('array_to_img')
    x = np.array(x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError('array_to_img: x must be one image of rank 3; got shape %s'
                         % (x.shape,))
    if normalize_dim_ordering('array_to_img', dim_ordering) == 'th':
        x = x.transpose(1, 2, 0)
    if scale:
        x += max(-np.min(x), 0)
        x_max = np.max(x)
        if x_max != 0:
            x /= x_max
        x *= 255
    if x.shape[2] == 3:
        return Image.fromarray(x.astype('uint8'), 'RGB')
    if x.shape[2] == 1:
        return Image.fromarray(x[:, :, 0].astype('uint8'), 'L')
    raise ValueError('array_to_img: the image must have 1 or 3 channels; got %d (shape %s)'
                     % (x.shape[2], x.shape))


def img_to_array(img, dim_ordering='default'):
    """A PIL image (or anything numpy can convert) as a floatx array of rank 3, a grayscale
    image getting a channel axis of size 1."""
    dim_ordering = normalize_dim_ordering('img_to_array', dim_ordering)
    x = np.asarray(img, dtype=K.floatx())
    if x.ndim == 2:
        x = x[np.newaxis] if dim_ordering == 'th' else x[:, :, np.newaxis]
    elif x.ndim == 3:
        if dim_ordering == 'th':
            x = x.transpose(2, 0, 1)
    else:
        raise ValueError('img_to_array: unsupported image shape %s (expected (rows, cols) or '
                         '(rows, cols, channels))' % (x.shape,))
    return x


def load_img(path, grayscale=False, target_size=None):
    """The image file at `path` as a PIL image in mode 'RGB' (or 'L' with grayscale),
    resized (nearest pixel) to target_size = (rows, cols) if given."""
    Image = _pil_image('load_img')
    img = Image.open(path)
    mode = 'L' if grayscale else 'RGB'
    if img.mode != mode:
        img = img.convert(mode)
    if target_size:
        img = img.resize((target_size[1], target_size[0]), 0)   # 0: nearest, Keras 1.2.2's
    return img


def list_pictures(directory, ext='jpg|jpeg|bmp|png'):
    """Paths of the files under `directory` (recursively) whose extension matches `ext`, a
    regular-expression alternation."""
    pattern = re.compile(r'.+\.(?:%s)$' % ext)
    return [os.path.join(root, f)
            for root, _, files in sorted(os.walk(directory)) for f in sorted(files)
            if pattern.match(f)]


# --- the generator --------------------------------------------------------------------------

class ImageDataGenerator(object):
    """Batches of augmented, standardised image data (flow, flow_from_directory).

    rotation_range: degrees; width_shift_range, height_shift_range: fractions of the image;
    shear_range: radians; zoom_range: z (zoom in [1 - z, 1 + z]) or (low, high);
    channel_shift_range: added per channel; horizontal_flip / vertical_flip: each with
    probability 1/2. standardize applies, in this order, preprocessing_function, rescale
    (a factor), samplewise centring and std normalisation (over the channel axis), then the
    featurewise mean, std and ZCA matrix learnt by fit."""

    def __init__(self, featurewise_center=False, samplewise_center=False,
                 featurewise_std_normalization=False, samplewise_std_normalization=False,
                 zca_whitening=False, rotation_range=0., width_shift_range=0.,
                 height_shift_range=0., shear_range=0., zoom_range=0., channel_shift_range=0.,
                 fill_mode='nearest', cval=0., horizontal_flip=False, vertical_flip=False,
                 rescale=None, preprocessing_function=None, dim_ordering='default'):
        owner = 'ImageDataGenerator'
        self.featurewise_center = featurewise_center
        self.samplewise_center = samplewise_center
        self.featurewise_std_normalization = featurewise_std_normalization
        self.samplewise_std_normalization = samplewise_std_normalization
        self.zca_whitening = zca_whitening
        self.rotation_range = check_number(owner, 'rotation_range', rotation_range)
        self.width_shift_range = check_number(owner, 'width_shift_range', width_shift_range)
        self.height_shift_range = check_number(owner, 'height_shift_range', height_shift_range)
        self.shear_range = check_number(owner, 'shear_range', shear_range)
        self.zoom_range = _zoom_pair(owner, zoom_range, scalar_allowed=True)
        self.channel_shift_range = check_number(owner, 'channel_shift_range',
                                                channel_shift_range)
        _check_fill_mode(owner, fill_mode)
        self.fill_mode = fill_mode
        self.cval = check_number(owner, 'cval', cval)
        self.horizontal_flip = horizontal_flip
        self.vertical_flip = vertical_flip
        if rescale is not None:
            rescale = check_number(owner, 'rescale', rescale)
        self.rescale = rescale
        if preprocessing_function is not None and not callable(preprocessing_function):
            raise TypeError('%s: preprocessing_function must be callable or None; got %r'
                            % (owner, preprocessing_function))
        self.preprocessing_function = preprocessing_function
        self.dim_ordering = normalize_dim_ordering(owner, dim_ordering)
        # Axes of a batch (an image's are one less), named as in Keras 1.2.2.
        if self.dim_ordering == 'th':
            self.channel_index, self.row_index, self.col_index = 1, 2, 3
        else:
            self.channel_index, self.row_index, self.col_index = 3, 1, 2
        self.mean = None
        self.std = None
        self.principal_components = None

    def flow(self, X, y=None, batch_size=32, shuffle=True, seed=None, save_to_dir=None,
             save_prefix='', save_format='jpeg'):
        """An endless NumpyArrayIterator over X (and y): batches of (x, y), or x alone."""
        return NumpyArrayIterator(X, y, self, batch_size=batch_size, shuffle=shuffle,
                                  seed=seed, dim_ordering=self.dim_ordering,
                                  save_to_dir=save_to_dir, save_prefix=save_prefix,
                                  save_format=save_format)

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode='rgb',
                            classes=None, class_mode='categorical', batch_size=32,
                            shuffle=True, seed=None, save_to_dir=None, save_prefix='',
                            save_format='jpeg', follow_links=False):
        """An endless DirectoryIterator over the images in directory's class subfolders."""
        return DirectoryIterator(directory, self, target_size=target_size,
                                 color_mode=color_mode, classes=classes,
                                 class_mode=class_mode, dim_ordering=self.dim_ordering,
                                 batch_size=batch_size, shuffle=shuffle, seed=seed,
                                 save_to_dir=save_to_dir, save_prefix=save_prefix,
                                 save_format=save_format, follow_links=follow_links)

    def standardize(self, x):
        """The image x (rank 3) normalised as configured; x itself is left unchanged."""
        x = np.array(x, dtype=K.floatx())
        if self.preprocessing_function:
            x = np.array(self.preprocessing_function(x), dtype=K.floatx())
        if self.rescale:
            x *= self.rescale
        channel_axis = self.channel_index - 1
        if self.samplewise_center:
            x -= np.mean(x, axis=channel_axis, keepdims=True)
        if self.samplewise_std_normalization:
            x /= np.std(x, axis=channel_axis, keepdims=True) + 1e-7
        if self.featurewise_center:
            if self._fitted('featurewise_center', self.mean):
                x -= self._per_channel('mean', self.mean, x)
        if self.featurewise_std_normalization:
            if self._fitted('featurewise_std_normalization', self.std):
                x /= self._per_channel('std', self.std, x) + 1e-7
        if self.zca_whitening:
            if self._fitted('zca_whitening', self.principal_components):
                x = self._whiten(x)
        return x

    def _fitted(self, flag, statistic):
        if statistic is None:
            warnings.warn('This ImageDataGenerator specifies `%s`, but it has not been fit on '
                          'any training data. Fit it first by calling `.fit(numpy_data)`.'
                          % flag, stacklevel=3)
        return statistic is not None

    def _per_channel(self, name, stat, x):
        channels = x.shape[self.channel_index - 1]
        if stat.size != channels:
            raise ValueError('ImageDataGenerator.standardize: the featurewise %s was fit on %d '
                             'channels but the image (shape %s, dim_ordering %r) has %d'
                             % (name, stat.size, x.shape, self.dim_ordering, channels))
        return stat

    def _whiten(self, x):
        pc = self.principal_components
        if pc.shape[0] != x.size:
            raise ValueError('ImageDataGenerator.standardize: zca_whitening was fit on images of '
                             '%d values but this image (shape %s) has %d'
                             % (pc.shape[0], x.shape, x.size))
        return x.reshape(x.size).dot(pc).reshape(x.shape).astype(x.dtype)

    def random_transform(self, x):
        """A copy of the image x (rank 3) with one random draw of the configured augmentation."""
        x = np.array(x)
        if x.ndim != 3:
            raise ValueError('ImageDataGenerator.random_transform: x must be one image of rank '
                             '3; got shape %s' % (x.shape,))
        row_axis, col_axis = self.row_index - 1, self.col_index - 1
        channel_axis = self.channel_index - 1
        # Composed in Keras 1.2.2's order and with its draws, so a seed gives Keras' sequence.
        theta = 0.
        if self.rotation_range:
            theta = np.pi / 180 * np.random.uniform(-self.rotation_range, self.rotation_range)
        tx = ty = 0.
        if self.height_shift_range:
            tx = np.random.uniform(-self.height_shift_range,
                                   self.height_shift_range) * x.shape[row_axis]
        if self.width_shift_range:
            ty = np.random.uniform(-self.width_shift_range,
                                   self.width_shift_range) * x.shape[col_axis]
        shear = 0.
        if self.shear_range:
            shear = np.random.uniform(-self.shear_range, self.shear_range)
        zx, zy = _draw_zoom(self.zoom_range)
        matrix = (_rotation(theta).dot(_translation(tx, ty)).dot(_shear(shear))
                  .dot(_zoom(zx, zy)))
        if not np.array_equal(matrix, np.eye(3)):     # the identity would copy x unchanged
            matrix = transform_matrix_offset_center(matrix, x.shape[row_axis], x.shape[col_axis])
            x = apply_transform(x, matrix, channel_axis, self.fill_mode, self.cval)
        if self.channel_shift_range != 0:
            x = random_channel_shift(x, self.channel_shift_range, channel_axis)
        if self.horizontal_flip and np.random.random() < 0.5:
            x = flip_axis(x, col_axis)
        if self.vertical_flip and np.random.random() < 0.5:
            x = flip_axis(x, row_axis)
        return x

    def fit(self, X, augment=False, rounds=1, seed=None):
        """Learn the featurewise statistics of the rank-4 sample batch X: the per-channel mean
        and std and the ZCA whitening matrix (as configured). With `augment`, they are taken
        over `rounds` randomly transformed copies of X; `seed` seeds numpy first."""
        X = np.array(X, dtype=np.float64)
        if X.ndim != 4:
            raise ValueError('ImageDataGenerator.fit: X must be a batch of images of rank 4; '
                             'got shape %s' % (X.shape,))
        _warn_channels('ImageDataGenerator.fit', X.shape, self.channel_index, self.dim_ordering)
        rounds = check_number('ImageDataGenerator.fit', 'rounds', rounds, integer=True,
                              minimum=1)
        if seed is not None:
            np.random.seed(seed)
        if augment:
            X = np.concatenate([np.stack([self.random_transform(x) for x in X])
                                for _ in range(rounds)])
        shape = [1, 1, 1]
        shape[self.channel_index - 1] = X.shape[self.channel_index]
        axes = (0, self.row_index, self.col_index)
        if self.featurewise_center:
            mean = np.mean(X, axis=axes).reshape(shape)
            self.mean = mean.astype(K.floatx())
            X = X - mean
        if self.featurewise_std_normalization:
            std = np.std(X, axis=axes).reshape(shape)
            self.std = std.astype(K.floatx())
            X = X / (std + K.epsilon())
        if self.zca_whitening:
            flat = X.reshape(X.shape[0], -1)
            sigma = flat.T.dot(flat) / flat.shape[0]
            U, S, _ = np.linalg.svd(sigma)
            self.principal_components = (U * (1. / np.sqrt(S + 10e-7))).dot(U.T).astype(
                K.floatx())


def _warn_channels(owner, shape, channel_index, dim_ordering):
    """Data with other than 1, 3 or 4 channels is most likely in the other dim_ordering."""
    if shape[channel_index] not in (1, 3, 4):
        warnings.warn('%s: expected images with 1, 3 or 4 channels on axis %d (dim_ordering '
                      '%r), got an array of shape %s (%d channels); is dim_ordering right?'
                      % (owner, channel_index, dim_ordering, shape, shape[channel_index]),
                      stacklevel=3)


# --- iterators --------------------------------------------------------------------------------

class Iterator(object):
    """Endless batches of sample indices over N samples: epochs of batch_size (the last one
    of an epoch smaller if batch_size does not divide N), in a new random order every epoch
    when `shuffle`. With `seed`, numpy's generator is reseeded with seed + batches so far
    before every batch. next() is thread-safe; reset() starts a new epoch."""

    def __init__(self, N, batch_size, shuffle, seed):
        owner = type(self).__name__
        self.N = check_number(owner, 'N', N, integer=True, minimum=0)
        self.batch_size = check_number(owner, 'batch_size', batch_size, integer=True, minimum=1)
        if seed is not None:
            seed = check_number(owner, 'seed', seed, integer=True, minimum=0)
        self.shuffle = shuffle
        self.batch_index = 0
        self.total_batches_seen = 0
        self.lock = threading.Lock()
        self.index_generator = self._flow_index(self.N, self.batch_size, shuffle, seed)

    def reset(self):
        self.batch_index = 0

    def _flow_index(self, N, batch_size=32, shuffle=False, seed=None):
        """Yields (sample indices, position of the batch in the epoch, batch size)."""
        self.reset()
        if N == 0:
            raise ValueError('%s: there are no samples to iterate over (N is 0)'
                             % type(self).__name__)
        while True:
            if seed is not None:
                np.random.seed(seed + self.total_batches_seen)
            if self.batch_index == 0:
                index_array = np.random.permutation(N) if shuffle else np.arange(N)
            current_index = self.batch_index * batch_size
            if current_index + batch_size < N:
                current_batch_size = batch_size
                self.batch_index += 1
            else:
                current_batch_size = N - current_index
                self.batch_index = 0
            self.total_batches_seen += 1
            yield (index_array[current_index:current_index + current_batch_size],
                   current_index, current_batch_size)

    def _next_indices(self):
        # Only advancing the index is locked: the batches are built in parallel.
        with self.lock:
            return next(self.index_generator)

    def __iter__(self):
        return self

    def __next__(self, *args, **kwargs):
        return self.next(*args, **kwargs)


class _SavingIterator(Iterator):
    """An iterator that can write each batch's images to save_to_dir."""

    def _init_saving(self, save_to_dir, save_prefix, save_format):
        if save_to_dir:
            _pil_image('save_to_dir')
        self.save_to_dir = save_to_dir
        self.save_prefix = save_prefix
        self.save_format = save_format

    def _save(self, batch_x, current_index):
        for i, x in enumerate(batch_x):
            img = array_to_img(x, self.dim_ordering, scale=True)
            fname = '{prefix}_{index}_{hash}.{format}'.format(
                prefix=self.save_prefix, index=current_index + i,
                hash=np.random.randint(10000), format=self.save_format)
            # Written under a temporary name first (same extension: PIL picks the format by
            # it), so that a reader never sees a half-written file.
            tmp = os.path.join(self.save_to_dir, '.tmp-' + fname)
            img.save(tmp)
            os.replace(tmp, os.path.join(self.save_to_dir, fname))


class NumpyArrayIterator(_SavingIterator):
    """Batches of X (rank 4) transformed and standardised by image_data_generator, with the
    matching rows of y when y is given."""

    def __init__(self, X, y, image_data_generator, batch_size=32, shuffle=False, seed=None,
                 dim_ordering='default', save_to_dir=None, save_prefix='', save_format='jpeg'):
        owner = 'NumpyArrayIterator'
        self.X = np.asarray(X, dtype=K.floatx())
        if self.X.ndim != 4:
            raise ValueError('%s: X must be a batch of images of rank 4; got shape %s'
                             % (owner, self.X.shape))
        self.y = None if y is None else np.asarray(y)
        if self.y is not None and (self.y.ndim == 0 or len(self.y) != len(self.X)):
            raise ValueError('%s: X (images) and y (labels) must have the same length; got '
                             'X.shape = %s, y.shape = %s' % (owner, self.X.shape, self.y.shape))
        self.dim_ordering = normalize_dim_ordering(owner, dim_ordering)
        _warn_channels(owner, self.X.shape, 1 if self.dim_ordering == 'th' else 3,
                       self.dim_ordering)
        self.image_data_generator = image_data_generator
        self._init_saving(save_to_dir, save_prefix, save_format)
        super(NumpyArrayIterator, self).__init__(len(self.X), batch_size, shuffle, seed)

    def next(self):
        index_array, current_index, current_batch_size = self._next_indices()
        batch_x = np.zeros((current_batch_size,) + self.X.shape[1:], dtype=K.floatx())
        for i, j in enumerate(index_array):
            x = self.image_data_generator.random_transform(self.X[j])
            batch_x[i] = self.image_data_generator.standardize(x)
        if self.save_to_dir:
            self._save(batch_x, current_index)
        if self.y is None:
            return batch_x
        return batch_x, self.y[index_array]


class DirectoryIterator(_SavingIterator):
    """Batches of the images under directory/<class>/ (recursively; png, jpg, jpeg, bmp),
    loaded at target_size, transformed and standardised by image_data_generator.

    classes: the class subfolder names in label order (default: every subfolder, sorted).
    class_mode: 'categorical' (one-hot float32 labels), 'binary' (float32 0/1), 'sparse'
    (int32 labels) or None (batches of images alone). Attributes: filenames (relative to
    directory), classes (the label of each file), class_indices, nb_class, nb_sample."""

    def __init__(self, directory, image_data_generator, target_size=(256, 256),
                 color_mode='rgb', dim_ordering='default', classes=None,
                 class_mode='categorical', batch_size=32, shuffle=True, seed=None,
                 save_to_dir=None, save_prefix='', save_format='jpeg', follow_links=False):
        owner = 'DirectoryIterator'
        _pil_image('flow_from_directory (DirectoryIterator)')
        if not os.path.isdir(directory):
            raise ValueError('%s: directory %r does not exist or is not a directory'
                             % (owner, directory))
        self.directory = directory
        self.image_data_generator = image_data_generator
        if (not hasattr(target_size, '__len__') or len(target_size) != 2
                or not all(isinstance(s, (int, np.integer)) and s > 0 for s in target_size)):
            raise ValueError('%s: target_size must be a pair (rows, cols) of positive ints; '
                             'got %r' % (owner, target_size))
        self.target_size = tuple(int(s) for s in target_size)
        if color_mode not in ('rgb', 'grayscale'):
            raise ValueError("%s: color_mode must be 'rgb' or 'grayscale'; got %r"
                             % (owner, color_mode))
        self.color_mode = color_mode
        self.dim_ordering = normalize_dim_ordering(owner, dim_ordering)
        channels = (3,) if color_mode == 'rgb' else (1,)
        self.image_shape = (channels + self.target_size if self.dim_ordering == 'th'
                            else self.target_size + channels)
        if class_mode not in ('categorical', 'binary', 'sparse', None):
            raise ValueError("%s: class_mode must be 'categorical', 'binary', 'sparse' or None; "
                             "got %r" % (owner, class_mode))
        self.class_mode = class_mode
        self._init_saving(save_to_dir, save_prefix, save_format)
        if not classes:
            classes = sorted(d for d in os.listdir(directory)
                             if os.path.isdir(os.path.join(directory, d)))
        self.nb_class = len(classes)
        self.class_indices = dict(zip(classes, range(len(classes))))
        self.filenames, labels = self._list_files(classes, follow_links)
        self.classes = np.array(labels, dtype='int32')
        self.nb_sample = len(self.filenames)
        print('Found %d images belonging to %d classes.' % (self.nb_sample, self.nb_class))
        super(DirectoryIterator, self).__init__(self.nb_sample, batch_size, shuffle, seed)

    def _list_files(self, classes, follow_links):
        """Image paths relative to the directory, class by class, and their labels."""
        filenames, labels = [], []
        for label, subdir in enumerate(classes):
            subpath = os.path.join(self.directory, subdir)
            if not os.path.isdir(subpath):
                raise ValueError('DirectoryIterator: class %r has no subfolder in %r'
                                 % (subdir, self.directory))
            for root, _, files in sorted(os.walk(subpath, followlinks=follow_links)):
                for fname in sorted(files):
                    if fname.lower().endswith(tuple('.' + e for e in _WHITE_LIST_FORMATS)):
                        filenames.append(os.path.relpath(os.path.join(root, fname),
                                                         self.directory))
                        labels.append(label)
        return filenames, labels

    def next(self):
        index_array, current_index, current_batch_size = self._next_indices()
        batch_x = np.zeros((current_batch_size,) + self.image_shape, dtype=K.floatx())
        grayscale = self.color_mode == 'grayscale'
        for i, j in enumerate(index_array):
            img = load_img(os.path.join(self.directory, self.filenames[j]),
                           grayscale=grayscale, target_size=self.target_size)
            x = img_to_array(img, dim_ordering=self.dim_ordering)
            x = self.image_data_generator.random_transform(x)
            batch_x[i] = self.image_data_generator.standardize(x)
        if self.save_to_dir:
            self._save(batch_x, current_index)
        labels = self.classes[index_array]
        if self.class_mode == 'sparse':
            return batch_x, labels
        if self.class_mode == 'binary':
            return batch_x, labels.astype('float32')
        if self.class_mode == 'categorical':
            batch_y = np.zeros((len(batch_x), self.nb_class), dtype='float32')
            batch_y[np.arange(len(batch_x)), labels] = 1.
            return batch_x, batch_y
        return batch_x
