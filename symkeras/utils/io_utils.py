"""Keras 1.2.2's keras.utils.io_utils: HDF5Matrix, save_array/load_array, and the overwrite
prompt; plus atomic_write_path, which symkeras uses wherever it writes a file."""
import contextlib
import os
import uuid

import numpy as np


class HDF5Matrix(object):
    """Rows start .. end-1 of an HDF5 dataset, read lazily, as an array-like: len(), shape,
    dtype, ndim, and indexing by an integer, a slice, or a list/array of integers (any order,
    repeats allowed), all relative to `start`. `normalizer`, when given, is applied to every
    block read. Feed it to fit(..., shuffle='batch') as in Keras.

    Files are opened read-only and shared between the HDF5Matrix objects of one file."""
    refs = {}

    def __init__(self, datapath, dataset, start=0, end=None, normalizer=None):
        import h5py
        key = os.path.abspath(datapath)
        f = self.refs.get(key)
        if f is None or not f.id.valid:
            f = self.refs[key] = h5py.File(datapath, 'r')
        if not isinstance(f.get(dataset), h5py.Dataset):
            raise KeyError('HDF5Matrix: %s has no dataset %r (it has %s)'
                           % (datapath, dataset, sorted(f.keys())))
        self.data = f[dataset]
        if self.data.ndim == 0:
            raise ValueError('HDF5Matrix: dataset %r in %s is a scalar; it needs rows'
                             % (dataset, datapath))
        rows = self.data.shape[0]
        self.end = rows if end is None else end
        self.start = start
        if not 0 <= start <= self.end <= rows:
            raise ValueError('HDF5Matrix: need 0 <= start <= end <= %d (rows of %r); got '
                             'start=%r, end=%r' % (rows, dataset, start, end))
        if normalizer is not None and not callable(normalizer):
            raise TypeError('HDF5Matrix: normalizer must be callable; got %r' % (normalizer,))
        self.normalizer = normalizer

    def __len__(self):
        return self.end - self.start

    @property
    def shape(self):
        return (self.end - self.start,) + tuple(self.data.shape[1:])

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self):
        return self.data.ndim

    def __getitem__(self, key):
        n = len(self)
        if isinstance(key, slice):
            first, stop, step = key.indices(n)
            if step == 1:
                block = self.data[self.start + first:self.start + max(first, stop)]
            else:
                block = self._take(np.arange(first, stop, step))
        elif isinstance(key, (int, np.integer)):
            index = key + n if key < 0 else key
            if not 0 <= index < n:
                raise IndexError('HDF5Matrix: index %d is out of range for %d rows' % (key, n))
            block = self.data[self.start + index]
        elif isinstance(key, (list, np.ndarray)):
            block = self._take(self._indices(key))
        else:
            raise TypeError('HDF5Matrix: index rows with an int, a slice or a list/array of '
                            'ints (one axis only); got %s' % (type(key).__name__,))
        return self.normalizer(block) if self.normalizer is not None else block

    def _indices(self, key):
        idx = np.asarray(key)
        if idx.size == 0:
            return idx.astype('int64').reshape(-1)
        if idx.ndim != 1 or idx.dtype.kind not in 'iu':
            raise TypeError('HDF5Matrix: a list/array index must be a 1-D list of integers; got '
                            'dtype %s, shape %s' % (idx.dtype, idx.shape))
        n = len(self)
        bad = (idx < -n) | (idx >= n)
        if bad.any():
            raise IndexError('HDF5Matrix: index %d is out of range for %d rows'
                             % (idx[bad][0], n))
        return np.where(idx < 0, idx + n, idx)

    def _take(self, idx):
        """Rows idx (relative to start): h5py reads only increasing, unique lists, so read
        those and put them back in the order asked for."""
        if idx.size == 0:
            return self.data[self.start:self.start]
        unique, inverse = np.unique(idx, return_inverse=True)
        first = self.start + int(unique[0])
        if unique[-1] - unique[0] + 1 == len(unique):     # a contiguous run: one slice read
            rows = self.data[first:first + len(unique)]
        else:
            rows = self.data[(self.start + unique).tolist()]
        if len(unique) == len(idx) and (unique == idx).all():
            return rows
        return rows[inverse.reshape(-1)]


@contextlib.contextmanager
def atomic_write_path(filepath):
    """Yield a fresh temporary path in filepath's directory for the caller to write; on
    success it replaces filepath in one step (os.replace), so that readers never see a
    half-written file; on error it is removed. The file is created by the writer, so it gets
    the usual permissions."""
    filepath = os.fspath(filepath)
    tmp = os.path.join(os.path.dirname(os.path.abspath(filepath)),
                       '.%s.%s.tmp' % (os.path.basename(filepath), uuid.uuid4().hex))
    try:
        yield tmp
        os.replace(tmp, filepath)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _npy_path(name):
    name = os.fspath(name)
    return name if name.endswith('.npy') else name + '.npy'


def save_array(array, name):
    """Save a numpy array to `name` (a .npy file; '.npy' is appended when missing).
    Keras 1 stored a bcolz directory here; symkeras uses numpy's .npy format instead, so
    arrays saved by Keras cannot be read and the other way round."""
    with atomic_write_path(_npy_path(name)) as tmp:
        with open(tmp, 'wb') as f:
            np.save(f, np.asarray(array), allow_pickle=False)


def load_array(name):
    """Load an array written by save_array(array, name) (from a .npy file, not bcolz)."""
    return np.load(_npy_path(name), allow_pickle=False)


def ask_to_proceed_with_overwrite(filepath):
    """Ask on the terminal whether to overwrite filepath; True for 'y', False for 'n', asked
    again on any other answer ('Y' or ' y' included), with Keras 1.2.2's prompts. With no
    terminal input left (EOFError), it raises and says to pass overwrite=True, rather than
    guess."""
    try:
        answer = input('[WARNING] %s already exists - overwrite? [y/n]' % (filepath,))
        while answer not in ('y', 'n'):
            answer = input('Enter "y" (overwrite) or "n" (cancel).')
    except EOFError:
        raise EOFError('ask_to_proceed_with_overwrite: no answer on standard input to whether '
                       '%s may be overwritten; pass overwrite=True to overwrite without asking'
                       % (filepath,)) from None
    if answer == 'n':
        return False
    print('[TIP] Next time specify overwrite=True!')
    return True
