"""keras.utils.io_utils: HDF5Matrix, save_array/load_array (.npy), the overwrite prompt, and
atomic_write_path."""
import builtins
import os

import h5py
import numpy as np
import pytest

from symkeras.utils.io_utils import (HDF5Matrix, ask_to_proceed_with_overwrite,
                                     atomic_write_path, load_array, save_array)


@pytest.fixture
def h5file(tmp_path):
    path = str(tmp_path / 'data.h5')
    data = np.arange(20 * 3, dtype='float32').reshape(20, 3)
    with h5py.File(path, 'w') as f:
        f['x'] = data
        f['y'] = np.arange(20, dtype='int64')
        f['scalar'] = 5.0
        f.create_group('group')
    yield path, data
    for f in HDF5Matrix.refs.values():
        f.close()
    HDF5Matrix.refs.clear()


def test_hdf5matrix_whole_dataset(h5file):
    path, data = h5file
    m = HDF5Matrix(path, 'x')
    assert len(m) == 20 and m.shape == (20, 3) and m.ndim == 2 and m.dtype == np.float32
    np.testing.assert_array_equal(m[:], data)
    np.testing.assert_array_equal(m[0], data[0])


def test_hdf5matrix_window_indexing(h5file):
    path, data = h5file
    m = HDF5Matrix(path, 'x', start=5, end=15)
    window = data[5:15]
    assert len(m) == 10 and m.shape == (10, 3)
    np.testing.assert_array_equal(m[0], window[0])
    np.testing.assert_array_equal(m[-1], window[-1])
    np.testing.assert_array_equal(m[np.int64(3)], window[3])
    for key in (slice(2, 6), slice(None, 4), slice(7, None), slice(-3, None), slice(0, 100),
                slice(8, 2), slice(1, 9, 3), slice(None, None, -2)):
        np.testing.assert_array_equal(m[key], window[key], err_msg=str(key))
    for key in ([1, 2, 3], [7, 0, 7, 3], np.array([9, 1]), [-1, 0], [], np.array([], 'int64')):
        np.testing.assert_array_equal(m[key], window[key], err_msg=str(key))


def test_hdf5matrix_shares_the_file_handle(h5file):
    path, _ = h5file
    a, b = HDF5Matrix(path, 'x'), HDF5Matrix(path, 'y', start=3)
    assert a.data.file.id == b.data.file.id
    np.testing.assert_array_equal(b[:2], [3, 4])


def test_hdf5matrix_normalizer(h5file):
    path, data = h5file
    m = HDF5Matrix(path, 'x', start=2, end=6, normalizer=lambda block: block / 10.)
    np.testing.assert_allclose(m[1], data[3] / 10.)
    np.testing.assert_allclose(m[1:3], data[3:5] / 10.)
    np.testing.assert_allclose(m[[3, 0]], data[[5, 2]] / 10.)


def test_hdf5matrix_bad_arguments(h5file):
    path, _ = h5file
    with pytest.raises(KeyError, match=r"has no dataset 'z' \(it has \['group', 'scalar', 'x', "
                                       r"'y'\]\)"):
        HDF5Matrix(path, 'z')
    with pytest.raises(KeyError, match=r"has no dataset 'group'"):
        HDF5Matrix(path, 'group')
    with pytest.raises(ValueError, match=r"need 0 <= start <= end <= 20 \(rows of 'x'\); got "
                                         r"start=5, end=30"):
        HDF5Matrix(path, 'x', start=5, end=30)
    with pytest.raises(ValueError, match=r'start=12, end=10'):
        HDF5Matrix(path, 'x', start=12, end=10)
    with pytest.raises(ValueError, match=r"'scalar' .* is a scalar"):
        HDF5Matrix(path, 'scalar')
    with pytest.raises(TypeError, match=r'normalizer must be callable; got 3'):
        HDF5Matrix(path, 'x', normalizer=3)


def test_hdf5matrix_bad_indices(h5file):
    path, _ = h5file
    m = HDF5Matrix(path, 'x', start=5, end=15)
    with pytest.raises(IndexError, match=r'index 10 is out of range for 10 rows'):
        m[10]
    with pytest.raises(IndexError, match=r'index -11 is out of range for 10 rows'):
        m[-11]
    with pytest.raises(IndexError, match=r'index 12 is out of range for 10 rows'):
        m[[1, 12]]
    with pytest.raises(TypeError, match=r'1-D list of integers; got dtype float64'):
        m[[1.5]]
    with pytest.raises(TypeError, match=r'one axis only\); got tuple'):
        m[1, 2]
    with pytest.raises(TypeError, match=r'got str'):
        m['a']


def test_hdf5matrix_missing_file(tmp_path):
    with pytest.raises(OSError):
        HDF5Matrix(str(tmp_path / 'nope.h5'), 'x')


@pytest.mark.parametrize('name', ['arr', 'arr.npy'])
def test_save_load_array(tmp_path, name):
    a = np.random.normal(size=(4, 5)).astype('float32')
    save_array(a, str(tmp_path / name))
    assert os.listdir(str(tmp_path)) == ['arr.npy']
    b = load_array(str(tmp_path / name))
    assert b.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    save_array([1, 2, 3], tmp_path / 'arr')          # overwrite, path-like name
    np.testing.assert_array_equal(load_array(tmp_path / 'arr'), [1, 2, 3])


def test_save_array_rejects_objects(tmp_path):
    with pytest.raises(ValueError):
        save_array(np.array([{}, []], dtype=object), str(tmp_path / 'arr'))
    assert os.listdir(str(tmp_path)) == []          # no partial or temporary file left


def test_atomic_write_path(tmp_path):
    target = tmp_path / 'out.bin'
    target.write_bytes(b'old')
    with atomic_write_path(str(target)) as tmp:
        assert os.path.dirname(tmp) == str(tmp_path) and tmp != str(target)
        with open(tmp, 'wb') as f:
            f.write(b'new')
        assert target.read_bytes() == b'old'        # not replaced until the block ends
    assert target.read_bytes() == b'new'
    assert sorted(os.listdir(str(tmp_path))) == ['out.bin']


def test_atomic_write_path_keeps_old_file_on_error(tmp_path):
    target = tmp_path / 'out.bin'
    target.write_bytes(b'old')
    with pytest.raises(RuntimeError, match='boom'):
        with atomic_write_path(target) as tmp:
            with open(tmp, 'wb') as f:
                f.write(b'half')
            raise RuntimeError('boom')
    assert target.read_bytes() == b'old'
    assert os.listdir(str(tmp_path)) == ['out.bin']


def answers(monkeypatch, *replies):
    """Feed replies to input(); record the prompts."""
    prompts = []
    replies = list(replies)

    def fake_input(prompt=''):
        prompts.append(prompt)
        if not replies:
            raise EOFError
        return replies.pop(0)
    monkeypatch.setattr(builtins, 'input', fake_input)
    return prompts


def test_ask_to_proceed_yes(monkeypatch, capsys):
    prompts = answers(monkeypatch, 'y')
    assert ask_to_proceed_with_overwrite('model.h5') is True
    assert prompts == ['[WARNING] model.h5 already exists - overwrite? [y/n]']
    assert '[TIP] Next time specify overwrite=True!' in capsys.readouterr().out


def test_ask_to_proceed_asks_again(monkeypatch):
    # Answers are compared exactly, as in Keras 1.2.2: only 'y' and 'n' end the questions.
    prompts = answers(monkeypatch, 'maybe', '', ' n ', 'N', 'Y', 'yes', 'n')
    assert ask_to_proceed_with_overwrite('model.h5') is False
    assert prompts[1:] == ['Enter "y" (overwrite) or "n" (cancel).'] * 6
    prompts = answers(monkeypatch, 'Y', 'y')
    assert ask_to_proceed_with_overwrite('model.h5') is True
    assert prompts == ['[WARNING] model.h5 already exists - overwrite? [y/n]',
                       'Enter "y" (overwrite) or "n" (cancel).']


def test_ask_to_proceed_without_input(monkeypatch):
    answers(monkeypatch)
    with pytest.raises(EOFError, match=r'no answer on standard input .*model\.h5.*'
                                       r'pass overwrite=True'):
        ask_to_proceed_with_overwrite('model.h5')
