"""MNIST handwritten digits, read from local files (symkeras never downloads).

load_data(path=None) looks, in this order, in:
  1. `path`, when given: a directory holding the files below, or one file (mnist.npz or
     mnist.pkl.gz style); a bare file name that is not in the working directory is also looked
     up in the Keras cache (Keras 1.2.2's load_data(path='mnist.pkl.gz') meant that);
  2. $SYMKERAS_DATA/mnist and $SYMKERAS_DATA;
  3. the Keras cache, ~/.keras/datasets (KERAS_HOME moves ~/.keras), where Keras downloads.
A directory may hold, tried in this order: the four IDX files of the original distribution
(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
t10k-labels-idx1-ubyte, each gzipped (.gz) or not), mnist.npz (arrays x_train, y_train, x_test,
y_test, as Keras 2 ships it), or Keras 1's mnist.pkl.gz (the pickle
((x_train, y_train), (x_test, y_test))). An explicit `path` is used alone: when it holds no
MNIST data that is an error, rather than silently reading data from somewhere else.
"""
import gzip
import os
import pickle
import zipfile

import numpy as np

from ..utils.data_utils import cache_dir, dataset_places

IDX_FILES = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
             't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')
NPZ_FILE = 'mnist.npz'
PICKLE_FILE = 'mnist.pkl.gz'
ORIGIN = 'https://s3.amazonaws.com/img-datasets/mnist.pkl.gz'

_IMAGE_SIZE = (28, 28)
_UINT8 = 0x08


def load_data(path=None):
    """(x_train, y_train), (x_test, y_test): uint8 images (n, 28, 28) and uint8 labels (n,),
    60000 training and 10000 test digits for the standard files."""
    searched = []
    for place in dataset_places(path, 'mnist'):
        found = _load_from(place, searched)
        if found is not None:
            return found
    raise FileNotFoundError(
        'mnist.load_data: no MNIST data found (symkeras does not download). Searched:\n  %s\n'
        'Expected, in one directory: the four IDX files %s (each optionally .gz), or %s, or %s '
        '(from %s). Pass the directory as load_data(path=...), set SYMKERAS_DATA, or copy the '
        'files to %s.' % ('\n  '.join(searched), ', '.join(IDX_FILES), NPZ_FILE, PICKLE_FILE,
                          ORIGIN, cache_dir('datasets', create=False)))


def _load_from(place, searched):
    """Data from a directory or file, or None (noting in `searched` what was missing)."""
    if os.path.isfile(place):
        searched.append(place)
        return _load_file(place)
    if not os.path.isdir(place):
        searched.append('%s (does not exist)' % place)
        return None
    idx = [_find_idx(place, name) for name in IDX_FILES]
    if all(idx):
        searched.append(place)
        return _load_idx(*idx)
    for name in (NPZ_FILE, PICKLE_FILE):
        if os.path.isfile(os.path.join(place, name)):
            searched.append(place)
            return _load_file(os.path.join(place, name))
    missing = [name for name, found in zip(IDX_FILES, idx) if not found]
    note = 'no MNIST files' if len(missing) == 4 else 'missing %s' % ', '.join(missing)
    searched.append('%s (%s)' % (place, note))
    return None


def _find_idx(directory, name):
    for candidate in (name, name + '.gz'):
        if os.path.isfile(os.path.join(directory, candidate)):
            return os.path.join(directory, candidate)
    return None


def _load_file(path):
    with open(path, 'rb') as f:
        magic = f.read(4)
    if magic.startswith(b'PK'):
        return _load_npz(path)
    if magic.startswith(b'\x1f\x8b') and not _is_idx(path):
        return _load_pickle(path)
    raise ValueError('mnist.load_data: %s is neither an %s-style .npz archive nor an %s-style '
                     'pickle; pass the directory that holds the IDX files instead'
                     % (path, NPZ_FILE, PICKLE_FILE))


def _is_idx(path):
    with gzip.open(path, 'rb') as f:
        try:
            head = f.read(3)
        except (OSError, EOFError):
            return False
    return head[:2] == b'\0\0'


def _load_npz(path):
    keys = ('x_train', 'y_train', 'x_test', 'y_test')
    try:
        # Our own handle: np.load(path) leaks its file when the archive is corrupt.
        with open(path, 'rb') as f, np.load(f, allow_pickle=False) as data:
            missing = [k for k in keys if k not in data]
            if missing:
                raise ValueError('it lacks the arrays %s (it has %s)'
                                 % (', '.join(missing), ', '.join(sorted(data.files))))
            x_train, y_train, x_test, y_test = (data[k] for k in keys)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise ValueError('mnist.load_data: cannot read %s as %s (arrays %s): %s'
                         % (path, NPZ_FILE, ', '.join(keys), e)) from None
    return _checked(path, (x_train, y_train), (x_test, y_test))


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickles numpy arrays and plain containers only: a pickle can otherwise run code.
    (_codecs.encode is how Python 3 writes bytes in protocol 2.)"""
    _ALLOWED = {('numpy.core.multiarray', '_reconstruct'), ('numpy.core.multiarray', 'scalar'),
                ('numpy._core.multiarray', '_reconstruct'), ('numpy._core.multiarray', 'scalar'),
                ('numpy', 'ndarray'), ('numpy', 'dtype'), ('_codecs', 'encode')}

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError('%s.%s is not allowed in an MNIST pickle (only numpy '
                                         'arrays)' % (module, name))
        return super().find_class(module, name)


def _load_pickle(path):
    try:
        with gzip.open(path, 'rb') as f:
            # latin1 reads the byte strings of Python 2 pickles (Keras' file) as numpy expects.
            data = _ArrayUnpickler(f, encoding='latin1').load()
        (x_train, y_train), (x_test, y_test) = data
    except (pickle.UnpicklingError, EOFError, OSError, TypeError, ValueError) as e:
        raise ValueError('mnist.load_data: cannot read %s as the Keras pickle '
                         '((x_train, y_train), (x_test, y_test)): %s' % (path, e)) from None
    return _checked(path, (x_train, y_train), (x_test, y_test))


def _checked(source, *pairs):
    """Validate shapes and values; return uint8 arrays."""
    out = []
    for part, (x, y) in zip(('train', 'test'), pairs):
        x, y = np.asarray(x), np.asarray(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if x.ndim != 3 or x.shape[1:] != _IMAGE_SIZE:
            raise ValueError('mnist.load_data: x_%s in %s has shape %s; expected (n, 28, 28)'
                             % (part, source, x.shape))
        if y.shape != (x.shape[0],):
            raise ValueError('mnist.load_data: y_%s in %s has shape %s; expected (%d,) to match '
                             'x_%s' % (part, source, y.shape, x.shape[0], part))
        out.append((_as_uint8(x, 'x_' + part, source, 255), _as_uint8(y, 'y_' + part, source, 9)))
    return tuple(out)


def _as_uint8(a, name, source, top):
    if a.dtype == np.uint8 and top == 255:
        return a
    if a.dtype.kind not in 'iu' and not (a.dtype.kind == 'f' and np.all(a == np.round(a))):
        raise ValueError('mnist.load_data: %s in %s has dtype %s; expected integers'
                         % (name, source, a.dtype))
    if a.size and (a.min() < 0 or a.max() > top):
        raise ValueError('mnist.load_data: %s in %s has values in %s .. %s; expected 0 .. %d'
                         % (name, source, a.min(), a.max(), top))
    return a.astype(np.uint8)


def _load_idx(train_images, train_labels, test_images, test_labels):
    x_train = _read_idx(train_images, _IMAGE_SIZE)
    y_train = _read_idx(train_labels, ())
    x_test = _read_idx(test_images, _IMAGE_SIZE)
    y_test = _read_idx(test_labels, ())
    return _checked(os.path.dirname(train_images), (x_train, y_train), (x_test, y_test))


def _read_idx(path, item_shape):
    """An IDX file of uint8 items of item_shape (gzipped or not): the big-endian header
    00 00 08 <ndim>, ndim uint32 sizes, then the data, nothing after it."""
    ndim = 1 + len(item_shape)
    try:
        with (gzip.open if _is_gzip(path) else open)(path, 'rb') as f:
            header = _read_exact(f, 4)
            if len(header) < 4 or header[:2] != b'\0\0':
                raise ValueError('not an IDX file (magic number %s)' % header.hex())
            if header[2] != _UINT8 or header[3] != ndim:
                raise ValueError('expected magic number 0x0000080%d (%d-D uint8); found type '
                                 '0x%02x with %d dimensions' % (ndim, ndim, header[2], header[3]))
            raw_dims = _read_exact(f, 4 * ndim)
            if len(raw_dims) < 4 * ndim:
                raise ValueError('truncated header')
            dims = tuple(int(d) for d in np.frombuffer(raw_dims, dtype='>u4'))
            if dims[1:] != item_shape:
                raise ValueError('the header gives dimensions %s; expected (n%s)'
                                 % (dims, ''.join(', %d' % d for d in item_shape)))
            data = np.empty(dims, dtype=np.uint8)
            got = _read_into(f, data)
            if got < data.size:
                raise ValueError('truncated: the header promises %s = %d bytes of data; the '
                                 'file has %d' % (dims, data.size, got))
            if f.read(1):
                raise ValueError('the file has data beyond the %s array its header '
                                 'describes' % (dims,))
    except (OSError, EOFError, MemoryError) as e:
        raise ValueError('mnist.load_data: cannot read %s: %s' % (path, e)) from None
    except ValueError as e:
        raise ValueError('mnist.load_data: %s: %s' % (path, e)) from None
    return data


def _is_gzip(path):
    with open(path, 'rb') as f:
        return f.read(2) == b'\x1f\x8b'


def _read_exact(f, n):
    chunks = []
    while n > 0:
        chunk = f.read(n)
        if not chunk:
            break
        chunks.append(chunk)
        n -= len(chunk)
    return b''.join(chunks)


def _read_into(f, array):
    view = memoryview(array.reshape(-1))
    got = 0
    while got < len(view):
        n = f.readinto(view[got:])
        if not n:
            break
        got += n
    return got
