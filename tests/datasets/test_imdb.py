"""datasets.imdb: a small imdb_full.pkl of the shape Keras 1.2.2 read, and every argument's
effect computed by hand (Keras 1.2.2's processing, quirks included)."""
import gzip
import os
import pickle

import numpy as np
import pytest

from symkeras.datasets import imdb

URL = 'https://s3.amazonaws.com/text-datasets/imdb_full.pkl'
# With seed 113: the training reviews are shuffled by RandomState(113).permutation(3) =
# [2, 0, 1], the test reviews by RandomState(226).permutation(2) = [1, 0].
TRAIN = ([[1, 2, 3], [4, 5], [6]], [0, 1, 1])
TEST = ([[2, 7], [1]], [1, 0])


@pytest.fixture(autouse=True)
def no_env(monkeypatch, tmp_path):
    """No SYMKERAS_DATA, and an empty Keras home of our own."""
    monkeypatch.delenv('SYMKERAS_DATA', raising=False)
    monkeypatch.setenv('KERAS_HOME', str(tmp_path / 'keras_home'))


def write(path, data=(TRAIN, TEST), opener=open):
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with opener(str(path), 'wb') as f:
        pickle.dump(data, f, protocol=2)
    return str(path)


@pytest.fixture
def data_file(tmp_path):
    return write(tmp_path / 'data' / 'imdb_full.pkl')


def load(path, **kwargs):
    (xa, ya), (xb, yb) = imdb.load_data(path, **kwargs)
    return [list(x) for x in xa], ya.tolist(), [list(x) for x in xb], yb.tolist()


def test_permutations_assumed():
    assert np.random.RandomState(113).permutation(3).tolist() == [2, 0, 1]
    assert np.random.RandomState(226).permutation(2).tolist() == [1, 0]


def test_defaults(data_file):
    (xa, ya), (xb, yb) = imdb.load_data(data_file)
    assert xa.dtype == object and xa.shape == (3,) and xb.shape == (2,)
    assert ya.dtype.kind == 'i' and yb.dtype.kind == 'i'
    # Shifted by index_from=3 after start_char=1; the largest index (10) is cut by the default
    # nb_words (= that index) and becomes oov_char=2.
    assert xa.tolist() == [[1, 9], [1, 4, 5, 6], [1, 7, 8]] and ya.tolist() == [1, 0, 1]
    assert xb.tolist() == [[1, 4], [1, 5, 2]] and yb.tolist() == [0, 1]


def test_seed_and_global_generator(data_file):
    assert np.random.RandomState(5).permutation(3).tolist() == [0, 1, 2]
    assert np.random.RandomState(10).permutation(2).tolist() == [0, 1]
    assert load(data_file, seed=5) == ([[1, 4, 5, 6], [1, 7, 8], [1, 9]], [0, 1, 1],
                                       [[1, 5, 2], [1, 4]], [1, 0])
    after = np.random.random_sample()
    expected = np.random.RandomState(10)        # the last seed, seed * 2, then the labels' shuffle
    expected.shuffle([0, 1])
    assert after == expected.random_sample()


def test_nb_words(data_file):
    assert load(data_file, nb_words=6) == ([[1, 2], [1, 4, 5, 2], [1, 2, 2]], [1, 0, 1],
                                           [[1, 4], [1, 5, 2]], [0, 1])
    assert load(data_file, nb_words=0) == load(data_file)       # 0 means the default


def test_skip_top(data_file):
    """skip_top compares the shifted indices: start_char 1 and the word 4 are cut too."""
    assert load(data_file, skip_top=5) == ([[2, 9], [2, 2, 5, 6], [2, 7, 8]], [1, 0, 1],
                                           [[2, 2], [2, 5, 2]], [0, 1])


def test_oov_char(data_file):
    assert load(data_file, oov_char=0)[2] == [[1, 4], [1, 5, 0]]
    # oov_char=None drops the cut indices (the default nb_words cuts 10, the largest).
    assert load(data_file, oov_char=None) == ([[1, 9], [1, 4, 5, 6], [1, 7, 8]], [1, 0, 1],
                                              [[1, 4], [1, 5]], [0, 1])
    assert load(data_file, oov_char=None, nb_words=6, skip_top=5)[0] == [[], [5], []]


def test_start_char_and_index_from(data_file):
    assert load(data_file, start_char=None) == ([[9], [4, 5, 6], [7, 8]], [1, 0, 1],
                                                [[4], [5, 2]], [0, 1])
    assert load(data_file, start_char=None, index_from=0) == ([[6], [1, 2, 3], [4, 5]],
                                                              [1, 0, 1], [[1], [2, 2]], [0, 1])
    assert load(data_file, start_char=5, index_from=1) == ([[5, 7], [5, 2, 3, 4], [5, 5, 6]],
                                                           [1, 0, 1], [[5, 2], [5, 3, 2]],
                                                           [0, 1])


def test_maxlen(data_file):
    """Kept: length < maxlen with start_char; nb_words defaults to the largest kept index;
    the split stays at the original 3 training reviews, so a test review moves to train."""
    (xa, ya), (xb, yb) = imdb.load_data(data_file, maxlen=3)
    assert xa.shape == (2, 2) and xa.tolist() == [[1, 2], [1, 4]] and ya.tolist() == [1, 0]
    assert xb.shape == (0,) and yb.shape == (0,)
    assert load(data_file, maxlen=0) == load(data_file)          # 0 means no filter
    with pytest.raises(ValueError, match=r'shorter than maxlen=2, no sequence was kept'):
        imdb.load_data(data_file, maxlen=2)


def test_places(tmp_path, monkeypatch, data_file):
    cache = tmp_path / 'keras_home' / 'datasets'
    write(cache / 'imdb_full.pkl', (TRAIN, ([[1]], [0])))
    assert load(None)[2] == [[1, 4]] == load('imdb_full.pkl')[2]
    env = tmp_path / 'env'
    write(env / 'imdb_full.pkl', (TRAIN, ([[2]], [0])))
    monkeypatch.setenv('SYMKERAS_DATA', str(env))
    assert imdb.load_data()[1][0].tolist() == [[1, 5]]
    write(env / 'imdb' / 'imdb_full.pkl', (TRAIN, ([[3]], [0])))
    assert imdb.load_data()[1][0].tolist() == [[1, 6]]
    # An explicit path wins: the file, its folder, or a bare name in the cache.
    assert load(data_file)[2] == load(os.path.dirname(data_file))[2] == [[1, 4], [1, 5, 2]]
    write(cache / 'other.pkl', (TRAIN, ([[4]], [0])))
    monkeypatch.chdir(str(tmp_path))
    assert imdb.load_data('other.pkl')[1][0].tolist() == [[1, 7]]


def test_gzip_file(tmp_path):
    path = write(tmp_path / 'imdb_full.pkl.gz', opener=gzip.open)
    assert load(path)[2] == [[1, 4], [1, 5, 2]]


def test_missing_file(tmp_path, monkeypatch):
    monkeypatch.setenv('SYMKERAS_DATA', str(tmp_path / 'env'))
    with pytest.raises(FileNotFoundError) as info:
        imdb.load_data()
    message = str(info.value)
    assert 'imdb_full.pkl was not found (symkeras does not download)' in message
    assert URL in message
    for place in (('env', 'imdb'), ('env',), ('keras_home', 'datasets')):
        assert os.path.join(str(tmp_path), *place + ('imdb_full.pkl',)) + ' (does not exist)' \
            in message
    assert not os.path.exists(str(tmp_path / 'keras_home'))
    with pytest.raises(FileNotFoundError, match=r'elsewhere\.pkl \(does not exist\)') as info:
        imdb.load_data(str(tmp_path / 'elsewhere.pkl'))
    assert str(tmp_path / 'env') not in str(info.value)


def test_bad_arguments(data_file):
    for name, value in (('nb_words', '10'), ('skip_top', None), ('maxlen', 2.5),
                        ('start_char', True), ('oov_char', 'x'), ('index_from', None),
                        ('seed', None)):
        with pytest.raises(ValueError, match=r'imdb.load_data: %s must be an integer.*got %r'
                                             % (name, value)):
            imdb.load_data(data_file, **{name: value})


def test_bad_files(tmp_path):
    with pytest.raises(ValueError, match=r'does not hold the Keras pickle'):
        imdb.load_data(write(tmp_path / 'a.pkl', ([1, 2], [3, 4], [5])))
    with pytest.raises(ValueError, match=r'has 2 test reviews but 3 labels'):
        imdb.load_data(write(tmp_path / 'b.pkl', (TRAIN, (TEST[0], [0, 1, 1]))))
    (tmp_path / 'c.pkl').write_bytes(b'garbage')
    with pytest.raises(ValueError, match=r'cannot unpickle .*c\.pkl'):
        imdb.load_data(str(tmp_path / 'c.pkl'))


def test_get_word_index(tmp_path, monkeypatch):
    write(tmp_path / 'keras_home' / 'datasets' / 'imdb_word_index.pkl', {'the': 1, 'movie': 17})
    assert imdb.get_word_index() == {'the': 1, 'movie': 17}
    path = write(tmp_path / 'w.pkl', {'a': 3})
    assert imdb.get_word_index(path) == {'a': 3}
    with pytest.raises(ValueError, match=r'w2\.pkl holds a list; expected the dict'):
        imdb.get_word_index(write(tmp_path / 'w2.pkl', ['a']))
    monkeypatch.setenv('KERAS_HOME', str(tmp_path / 'empty'))
    with pytest.raises(FileNotFoundError, match=r'imdb_word_index\.pkl was not found(.|\n)*'
                                                r'text-datasets/imdb_word_index\.pkl'):
        imdb.get_word_index()
