"""datasets.mnist.load_data: the real files in ../shared/data/mnist, and small synthetic IDX,
npz and pickle files for every source and every malformed-file error."""
import gzip
import os
import pickle
import struct

import numpy as np
import pytest

from symkeras.datasets import mnist

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED_MNIST = os.path.join(ROOT, '..', 'shared', 'data', 'mnist')
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def test_real_mnist():
    """The canonical files (CI has ../shared beside the clone; a missing folder fails)."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data(path=SHARED_MNIST)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    for a in (x_train, y_train, x_test, y_test):
        assert a.dtype == np.uint8 and a.flags.writeable
    assert np.bincount(y_train).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test, minlength=10).sum() == 10000 and y_test.max() == 9
    assert x_train.max() == 255 and x_train.min() == 0
    assert 30 < x_train.mean() < 36        # about 33.3 for MNIST


# -- synthetic data ---------------------------------------------------------------------------

def synthetic(n_train=5, n_test=3, seed=0):
    rng = np.random.RandomState(seed)
    return ((rng.randint(0, 256, (n_train, 28, 28)).astype('uint8'),
             rng.randint(0, 10, n_train).astype('uint8')),
            (rng.randint(0, 256, (n_test, 28, 28)).astype('uint8'),
             rng.randint(0, 10, n_test).astype('uint8')))


def idx_bytes(array, type_code=0x08, ndim=None, dims=None):
    ndim = array.ndim if ndim is None else ndim
    dims = array.shape if dims is None else dims
    return bytes([0, 0, type_code, ndim]) + struct.pack('>%dI' % len(dims), *dims) + \
        array.tobytes()


def write_idx(directory, data, gz=True, skip=()):
    os.makedirs(str(directory), exist_ok=True)
    (x_train, y_train), (x_test, y_test) = data
    for name, array in zip(mnist.IDX_FILES, (x_train, y_train, x_test, y_test)):
        if name in skip:
            continue
        raw = idx_bytes(array)
        path = os.path.join(str(directory), name + ('.gz' if gz else ''))
        with (gzip.open(path, 'wb') if gz else open(path, 'wb')) as f:
            f.write(raw)
    return str(directory)


def write_npz(path, data):
    (x_train, y_train), (x_test, y_test) = data
    np.savez(str(path), x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return str(path)


def write_pickle(path, data, protocol=2):
    with gzip.open(str(path), 'wb') as f:
        pickle.dump(data, f, protocol=protocol)
    return str(path)


def _int(v):
    return b'K' + bytes([v]) if 0 <= v < 256 else b'J' + struct.pack('<i', v)


def _short(s):
    return b'U' + bytes([len(s)]) + s


def py2_array(a):
    """The protocol-2 opcodes Python 2 wrote for a uint8 array (Keras' mnist.pkl.gz): byte
    strings (not unicode) and numpy.core paths."""
    raw = np.ascontiguousarray(a, dtype='uint8').tobytes()
    shape = b'(' + b''.join(_int(d) for d in a.shape) + b't'
    dtype = (b'cnumpy\ndtype\n' + _short(b'u1') + _int(0) + _int(1) + b'\x87R'
             + b'(' + _int(3) + _short(b'|') + b'NNN' + _int(-1) + _int(-1) + _int(0) + b'tb')
    return (b'cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\n' + _int(0) + b'\x85'
            + _short(b'b') + b'\x87R' + b'(' + _int(1) + shape + dtype + b'\x89'
            + b'T' + struct.pack('<I', len(raw)) + raw + b'tb')


def assert_same(got, expected):
    for (gx, gy), (ex, ey) in zip(got, expected):
        assert gx.dtype == np.uint8 and gy.dtype == np.uint8
        np.testing.assert_array_equal(gx, ex)
        np.testing.assert_array_equal(gy, ey)


@pytest.fixture(autouse=True)
def no_env(monkeypatch, tmp_path):
    """No SYMKERAS_DATA, and an empty Keras home of our own."""
    monkeypatch.delenv('SYMKERAS_DATA', raising=False)
    monkeypatch.setenv('KERAS_HOME', str(tmp_path / 'keras_home'))


@pytest.mark.parametrize('gz', [True, False])
def test_idx_directory(tmp_path, gz):
    data = synthetic()
    assert_same(mnist.load_data(write_idx(tmp_path / 'd', data, gz=gz)), data)


def test_idx_mixed_compression(tmp_path):
    data = synthetic()
    d = write_idx(tmp_path / 'd', data)
    os.remove(os.path.join(d, 't10k-labels-idx1-ubyte.gz'))
    with open(os.path.join(d, 't10k-labels-idx1-ubyte'), 'wb') as f:
        f.write(idx_bytes(data[1][1]))
    assert_same(mnist.load_data(d), data)


def test_npz_file_and_directory(tmp_path):
    data = synthetic(4, 2)
    path = write_npz(tmp_path / 'mnist.npz', data)
    assert_same(mnist.load_data(path), data)
    assert_same(mnist.load_data(str(tmp_path)), data)
    assert_same(mnist.load_data(tmp_path), data)            # a path-like works too


def test_npz_labels_as_column(tmp_path):
    (x, y), (xt, yt) = synthetic()
    path = write_npz(tmp_path / 'mnist.npz', ((x, y[:, None].astype('int64')), (xt, yt)))
    assert_same(mnist.load_data(path), ((x, y), (xt, yt)))


@pytest.mark.parametrize('protocol', [2, 4])
def test_keras_pickle(tmp_path, protocol):
    data = synthetic(3, 2)
    path = write_pickle(tmp_path / 'mnist.pkl.gz', data, protocol)
    assert_same(mnist.load_data(path), data)
    assert_same(mnist.load_data(str(tmp_path)), data)


def test_python2_keras_pickle(tmp_path):
    data = synthetic(300, 2)                    # 300 rows: a 4-byte BININT dimension
    (x, y), (xt, yt) = data
    body = (b'\x80\x02' + py2_array(x) + py2_array(y) + b'\x86' + py2_array(xt) + py2_array(yt)
            + b'\x86\x86.')
    with gzip.open(str(tmp_path / 'mnist.pkl.gz'), 'wb') as f:
        f.write(body)
    assert_same(mnist.load_data(str(tmp_path / 'mnist.pkl.gz')), data)


def test_pickle_with_int64_labels(tmp_path):
    (x, y), (xt, yt) = synthetic()
    path = write_pickle(tmp_path / 'mnist.pkl.gz', ((x, y.astype('int64')), (xt, list(yt))))
    assert_same(mnist.load_data(path), ((x, y), (xt, yt)))


def test_pickle_refuses_code(tmp_path):
    path = write_pickle(tmp_path / 'mnist.pkl.gz', ((os.getcwd, 1), (2, 3)))
    with pytest.raises(ValueError, match=r'cannot read .*mnist\.pkl\.gz as the Keras pickle.*'
                                         r'posix\.getcwd is not allowed'):
        mnist.load_data(path)


def test_directory_preference_idx_first(tmp_path):
    idx_data, npz_data = synthetic(seed=1), synthetic(seed=2)
    d = write_idx(tmp_path / 'd', idx_data)
    write_npz(os.path.join(d, 'mnist.npz'), npz_data)
    assert_same(mnist.load_data(d), idx_data)


def test_symkeras_data_env(tmp_path, monkeypatch):
    data = synthetic(seed=3)
    write_idx(tmp_path / 'data' / 'mnist', data)
    monkeypatch.setenv('SYMKERAS_DATA', str(tmp_path / 'data'))
    assert_same(mnist.load_data(), data)
    flat = synthetic(seed=4)
    (tmp_path / 'flat').mkdir()
    write_npz(tmp_path / 'flat' / 'mnist.npz', flat)
    monkeypatch.setenv('SYMKERAS_DATA', str(tmp_path / 'flat'))
    assert_same(mnist.load_data(), flat)


def test_env_before_keras_cache(tmp_path, monkeypatch):
    cached, env = synthetic(seed=5), synthetic(seed=6)
    write_idx(tmp_path / 'keras_home' / 'datasets', cached)
    assert_same(mnist.load_data(), cached)
    write_idx(tmp_path / 'env', env)
    monkeypatch.setenv('SYMKERAS_DATA', str(tmp_path / 'env'))
    assert_same(mnist.load_data(), env)
    # An explicit path wins over both.
    explicit = synthetic(seed=7)
    assert_same(mnist.load_data(write_idx(tmp_path / 'explicit', explicit)), explicit)


def test_keras_cache_pickle_by_name(tmp_path, monkeypatch):
    """Keras 1.2.2's load_data(path='mnist.pkl.gz') named a file in the cache."""
    data = synthetic(seed=8)
    os.makedirs(str(tmp_path / 'keras_home' / 'datasets'))
    write_pickle(tmp_path / 'keras_home' / 'datasets' / 'mnist.pkl.gz', data)
    monkeypatch.chdir(str(tmp_path))
    assert_same(mnist.load_data('mnist.pkl.gz'), data)
    assert_same(mnist.load_data(), data)


def test_nothing_found_lists_places_and_names(tmp_path, monkeypatch):
    monkeypatch.setenv('SYMKERAS_DATA', str(tmp_path / 'env'))
    write_idx(tmp_path / 'env', synthetic(), skip=('t10k-images-idx3-ubyte',))
    with pytest.raises(FileNotFoundError) as info:
        mnist.load_data()
    message = str(info.value)
    assert 'symkeras does not download' in message
    assert os.path.join(str(tmp_path), 'env', 'mnist') + ' (does not exist)' in message
    assert os.path.join(str(tmp_path), 'env') + ' (missing t10k-images-idx3-ubyte)' in message
    assert os.path.join(str(tmp_path), 'keras_home', 'datasets') + ' (does not exist)' in message
    for name in mnist.IDX_FILES + (mnist.NPZ_FILE, mnist.PICKLE_FILE):
        assert name in message
    assert not os.path.exists(str(tmp_path / 'keras_home'))      # searching creates nothing


def test_explicit_path_is_used_alone(tmp_path, monkeypatch):
    write_idx(tmp_path / 'env', synthetic())
    monkeypatch.setenv('SYMKERAS_DATA', str(tmp_path / 'env'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match=r'empty \(no MNIST files\)') as info:
        mnist.load_data(str(tmp_path / 'empty'))
    assert str(tmp_path / 'env') not in str(info.value)
    with pytest.raises(FileNotFoundError, match=r'nowhere \(does not exist\)'):
        mnist.load_data(str(tmp_path / 'nowhere'))


# -- malformed files --------------------------------------------------------------------------

def replace_file(directory, name, raw, gz=True):
    path = os.path.join(directory, name + ('.gz' if gz else ''))
    with (gzip.open(path, 'wb') if gz else open(path, 'wb')) as f:
        f.write(raw)
    return path


@pytest.mark.parametrize('gz', [True, False])
def test_idx_truncated(tmp_path, gz):
    data = synthetic()
    d = write_idx(tmp_path / 'd', data, gz=gz)
    raw = idx_bytes(data[0][0])
    replace_file(d, 'train-images-idx3-ubyte', raw[:-100], gz)
    with pytest.raises(ValueError, match=r'train-images-idx3-ubyte.*: truncated: the header '
                                         r'promises \(5, 28, 28\) = 3920 bytes of data; the file '
                                         r'has 3820'):
        mnist.load_data(d)


def test_idx_truncated_header(tmp_path):
    d = write_idx(tmp_path / 'd', synthetic())
    replace_file(d, 'train-labels-idx1-ubyte', b'\0\0\x08\x01\0\0')
    with pytest.raises(ValueError, match=r'train-labels-idx1-ubyte\.gz: truncated header'):
        mnist.load_data(d)


def test_idx_truncated_gzip_stream(tmp_path):
    d = write_idx(tmp_path / 'd', synthetic())
    path = os.path.join(d, 'train-images-idx3-ubyte.gz')
    with open(path, 'rb') as f:
        raw = f.read()
    with open(path, 'wb') as f:
        f.write(raw[:len(raw) // 2])
    with pytest.raises(ValueError, match=r'cannot read .*train-images-idx3-ubyte\.gz'):
        mnist.load_data(d)


def test_idx_extra_data(tmp_path):
    data = synthetic()
    d = write_idx(tmp_path / 'd', data)
    replace_file(d, 't10k-labels-idx1-ubyte', idx_bytes(data[1][1]) + b'\0')
    with pytest.raises(ValueError, match=r'data beyond the \(3,\) array its header describes'):
        mnist.load_data(d)


@pytest.mark.parametrize('header, match', [
    (b'\x01\x00\x08\x03', r'not an IDX file \(magic number 01000803\)'),
    (b'\x00\x00\x0d\x03', r'expected magic number 0x00000803 \(3-D uint8\); found type 0x0d '
                          r'with 3 dimensions'),
    (b'\x00\x00\x08\x01', r'expected magic number 0x00000803 .* with 1 dimensions'),
])
def test_idx_bad_magic(tmp_path, header, match):
    data = synthetic()
    d = write_idx(tmp_path / 'd', data)
    replace_file(d, 'train-images-idx3-ubyte', header + idx_bytes(data[0][0])[4:])
    with pytest.raises(ValueError, match=match):
        mnist.load_data(d)


def test_idx_bad_dimensions(tmp_path):
    d = write_idx(tmp_path / 'd', synthetic())
    replace_file(d, 't10k-images-idx3-ubyte', idx_bytes(np.zeros((3, 32, 32), 'uint8')))
    with pytest.raises(ValueError, match=r't10k-images.*dimensions \(3, 32, 32\); expected '
                                         r'\(n, 28, 28\)'):
        mnist.load_data(d)


def test_idx_count_mismatch(tmp_path):
    data = synthetic()
    d = write_idx(tmp_path / 'd', data)
    replace_file(d, 'train-labels-idx1-ubyte', idx_bytes(np.zeros(4, 'uint8')))
    with pytest.raises(ValueError, match=r'y_train in .* has shape \(4,\); expected \(5,\) to '
                                         r'match x_train'):
        mnist.load_data(d)


def test_labels_out_of_range(tmp_path):
    (x, y), test = synthetic()
    y[2] = 12
    with pytest.raises(ValueError, match=r'y_train in .* has values in \d \.\. 12; expected '
                                         r'0 \.\. 9'):
        mnist.load_data(write_npz(tmp_path / 'mnist.npz', ((x, y), test)))


def test_npz_wrong_content(tmp_path):
    (x, y), (xt, yt) = synthetic()
    np.savez(str(tmp_path / 'a.npz'), x_train=x, y_train=y, x_test=xt)
    with pytest.raises(ValueError, match=r'lacks the arrays y_test \(it has x_test, x_train, '
                                         r'y_train\)'):
        mnist.load_data(str(tmp_path / 'a.npz'))
    np.savez(str(tmp_path / 'b.npz'), x_train=x / 255., y_train=y, x_test=xt, y_test=yt)
    with pytest.raises(ValueError, match=r'x_train in .* has dtype float64; expected integers'):
        mnist.load_data(str(tmp_path / 'b.npz'))
    np.savez(str(tmp_path / 'c.npz'), x_train=x.reshape(5, 784), y_train=y, x_test=xt,
             y_test=yt)
    with pytest.raises(ValueError, match=r'x_train in .* has shape \(5, 784\); expected '
                                         r'\(n, 28, 28\)'):
        mnist.load_data(str(tmp_path / 'c.npz'))
    (tmp_path / 'd.npz').write_bytes(b'PK\x03\x04 broken')
    with pytest.raises(ValueError, match=r'cannot read .*d\.npz as mnist\.npz'):
        mnist.load_data(str(tmp_path / 'd.npz'))


def test_unknown_single_file(tmp_path):
    (tmp_path / 'notes.txt').write_text('hello')
    with pytest.raises(ValueError, match=r'notes\.txt is neither an mnist\.npz-style \.npz '
                                         r'archive nor an mnist\.pkl\.gz-style pickle'):
        mnist.load_data(str(tmp_path / 'notes.txt'))
    (tmp_path / 'bad.gz').write_bytes(b'\x1f\x8b\x07 unknown compression method')
    with pytest.raises(ValueError, match=r'bad\.gz as the Keras pickle.*Unknown compression'):
        mnist.load_data(str(tmp_path / 'bad.gz'))
    (tmp_path / 'cut.pkl.gz').write_bytes(b'\x1f\x8b\x08 corrupt gzip')
    with pytest.raises(ValueError, match=r'cannot read .*cut\.pkl\.gz as the Keras pickle'):
        mnist.load_data(str(tmp_path / 'cut.pkl.gz'))
    data = synthetic()
    d = write_idx(tmp_path / 'd', data)
    with pytest.raises(ValueError, match=r'pass the directory that holds the IDX files'):
        mnist.load_data(os.path.join(d, 'train-images-idx3-ubyte.gz'))


def test_pickle_wrong_structure(tmp_path):
    path = write_pickle(tmp_path / 'mnist.pkl.gz', (np.zeros(3),))
    with pytest.raises(ValueError, match=r'cannot read .* as the Keras pickle'):
        mnist.load_data(path)
