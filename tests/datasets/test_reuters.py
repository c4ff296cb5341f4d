"""datasets.reuters: a small reuters.pkl of the shape Keras 1.2.2 read, and every argument's
effect computed by hand (Keras 1.2.2's processing, quirks included; lists returned)."""
import os
import pickle

import numpy as np
import pytest

from symkeras.datasets import reuters

URL = 'https://s3.amazonaws.com/text-datasets/reuters.pkl'
# Seed 113 shuffles by RandomState(113).permutation(5) = [1, 0, 3, 2, 4].
DATA = ([[1, 2], [3], [4, 5, 6], [7], [2, 2]], [0, 1, 2, 3, 4])


@pytest.fixture(autouse=True)
def no_env(monkeypatch, tmp_path):
    """No SYMKERAS_DATA, and an empty Keras home of our own."""
    monkeypatch.delenv('SYMKERAS_DATA', raising=False)
    monkeypatch.setenv('KERAS_HOME', str(tmp_path / 'keras_home'))


def write(path, data=DATA):
    os.makedirs(os.path.dirname(str(path)), exist_ok=True)
    with open(str(path), 'wb') as f:
        pickle.dump(data, f, protocol=2)
    return str(path)


@pytest.fixture
def data_file(tmp_path):
    return write(tmp_path / 'data' / 'reuters.pkl')


def test_permutations_assumed():
    assert np.random.RandomState(113).permutation(5).tolist() == [1, 0, 3, 2, 4]
    assert np.random.RandomState(7).permutation(5).tolist() == [0, 3, 2, 1, 4]


def test_defaults_are_lists(data_file):
    """Shift by 3 after start_char 1; the default nb_words (10, the largest) cuts 10 to 2;
    the first int(5 * 0.8) = 4 are the training part."""
    (xa, ya), (xb, yb) = reuters.load_data(data_file)
    assert type(xa) is list and type(ya) is list and type(xb) is list and type(yb) is list
    assert xa == [[1, 6], [1, 4, 5], [1, 2], [1, 7, 8, 9]] and ya == [1, 0, 3, 2]
    assert xb == [[1, 5, 5]] and yb == [4]


def test_test_split(data_file):
    assert reuters.load_data(data_file, test_split=0.5) == (([[1, 6], [1, 4, 5]], [1, 0]),
                                                            ([[1, 2], [1, 7, 8, 9], [1, 5, 5]],
                                                             [3, 2, 4]))
    (xa, _), (xb, _) = reuters.load_data(data_file, test_split=0)
    assert len(xa) == 5 and xb == []
    (xa, _), (xb, _) = reuters.load_data(data_file, test_split=1)
    assert xa == [] and len(xb) == 5


def test_seed_and_global_generator(data_file):
    (xa, ya), (xb, yb) = reuters.load_data(data_file, seed=7)
    assert xa == [[1, 4, 5], [1, 2], [1, 7, 8, 9], [1, 6]] and ya == [0, 3, 2, 1]
    after = np.random.random_sample()
    expected = np.random.RandomState(7)         # reseeded, then the labels' shuffle
    expected.shuffle(list(range(5)))
    assert after == expected.random_sample()
    (xa, ya), (xb, yb) = reuters.load_data(data_file, seed=None)
    assert sorted(ya + yb) == [0, 1, 2, 3, 4]


def test_word_arguments(data_file):
    assert reuters.load_data(data_file, nb_words=6)[0][0] == [[1, 2], [1, 4, 5], [1, 2],
                                                              [1, 2, 2, 2]]
    assert reuters.load_data(data_file, skip_top=5)[0][0] == [[2, 6], [2, 2, 5], [2, 2],
                                                              [2, 7, 8, 9]]
    assert reuters.load_data(data_file, oov_char=7)[0][0][2] == [1, 7]
    # oov_char=None drops the cut indices.
    assert reuters.load_data(data_file, oov_char=None, nb_words=6, skip_top=2)[0][0] == \
        [[], [4, 5], [], []]
    assert reuters.load_data(data_file, start_char=None, index_from=0)[0][0] == \
        [[3], [1, 2], [2], [4, 5, 6]]          # 7, the largest index, is cut to 2
    # 9, the largest index, is start_char itself: the default nb_words cuts it to oov_char.
    assert reuters.load_data(data_file, start_char=9, index_from=1)[0][0] == \
        [[2, 4], [2, 2, 3], [2, 8], [2, 5, 6, 7]]


def test_maxlen(data_file):
    """Kept: [1, 6] and [1, 10] (length 2 < 3); nb_words then defaults to 10; int(2 * 0.8)
    = 1 training newswire."""
    assert reuters.load_data(data_file, maxlen=3) == (([[1, 6]], [1]), ([[1, 2]], [3]))
    with pytest.raises(ValueError, match=r'shorter than maxlen=2, no sequence was kept'):
        reuters.load_data(data_file, maxlen=2)


def test_places_and_missing(tmp_path, monkeypatch):
    write(tmp_path / 'keras_home' / 'datasets' / 'reuters.pkl', ([[1]], [5]))
    assert reuters.load_data(test_split=0, nb_words=100) == (([[1, 4]], [5]), ([], []))
    write(tmp_path / 'env' / 'reuters' / 'reuters.pkl', ([[2]], [6]))
    monkeypatch.setenv('SYMKERAS_DATA', str(tmp_path / 'env'))
    assert reuters.load_data(test_split=0, nb_words=100)[0] == ([[1, 5]], [6])
    os.remove(str(tmp_path / 'env' / 'reuters' / 'reuters.pkl'))
    os.remove(str(tmp_path / 'keras_home' / 'datasets' / 'reuters.pkl'))
    with pytest.raises(FileNotFoundError) as info:
        reuters.load_data()
    message = str(info.value)
    assert 'reuters.pkl was not found' in message and URL in message
    for place in (('env', 'reuters'), ('env',), ('keras_home', 'datasets')):
        assert os.path.join(str(tmp_path), *place + ('reuters.pkl',)) + ' (does not exist)' \
            in message


def test_bad_input(data_file, tmp_path):
    with pytest.raises(ValueError, match=r'test_split must be a fraction in \[0, 1\]; got 1\.5'):
        reuters.load_data(data_file, test_split=1.5)
    with pytest.raises(ValueError, match=r"seed must be an integer or None; got 'a'"):
        reuters.load_data(data_file, seed='a')
    with pytest.raises(ValueError, match=r"nb_words must be an integer or None; got 1\.5"):
        reuters.load_data(data_file, nb_words=1.5)
    with pytest.raises(ValueError, match=r'does not hold the Keras pickle \(xs, labels\)'):
        reuters.load_data(write(tmp_path / 'a.pkl', [1, 2, 3]))
    with pytest.raises(ValueError, match=r'has 2 newswires but 1 labels'):
        reuters.load_data(write(tmp_path / 'b.pkl', ([[1], [2]], [0])))


def test_get_word_index(tmp_path):
    write(tmp_path / 'keras_home' / 'datasets' / 'reuters_word_index.pkl', {'oil': 4})
    assert reuters.get_word_index() == {'oil': 4}
    assert reuters.get_word_index(write(tmp_path / 'w.pkl', {'a': 1})) == {'a': 1}
    with pytest.raises(FileNotFoundError, match=r'nope\.pkl was not found(.|\n)*'
                                                r'text-datasets/reuters_word_index\.pkl'):
        reuters.get_word_index(str(tmp_path / 'nope.pkl'))
