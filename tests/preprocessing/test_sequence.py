"""keras.preprocessing.sequence: pad_sequences, make_sampling_table, skipgrams."""
import random

import numpy as np
import pytest

from symkeras.preprocessing.sequence import make_sampling_table, pad_sequences, skipgrams

SEQS = [[1, 2, 3], [4], [], [5, 6, 7, 8, 9]]


def test_pad_sequences_defaults():
    x = pad_sequences(SEQS)
    assert x.dtype == np.int32 and x.shape == (4, 5)
    np.testing.assert_array_equal(x, [[0, 0, 1, 2, 3], [0, 0, 0, 0, 4], [0, 0, 0, 0, 0],
                                      [5, 6, 7, 8, 9]])


@pytest.mark.parametrize('padding, truncating, expected', [
    ('pre', 'pre', [[2, 3], [0, 4], [0, 0], [8, 9]]),
    ('post', 'pre', [[2, 3], [4, 0], [0, 0], [8, 9]]),
    ('pre', 'post', [[1, 2], [0, 4], [0, 0], [5, 6]]),
    ('post', 'post', [[1, 2], [4, 0], [0, 0], [5, 6]]),
])
def test_pad_sequences_padding_and_truncating(padding, truncating, expected):
    x = pad_sequences(SEQS, maxlen=2, padding=padding, truncating=truncating)
    np.testing.assert_array_equal(x, expected)


def test_pad_sequences_value_dtype_maxlen():
    x = pad_sequences([[1.5], [2.5, 3.5]], maxlen=3, dtype='float32', value=-1.)
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x, [[-1, -1, 1.5], [-1, 2.5, 3.5]])
    assert pad_sequences(SEQS, maxlen=0).shape == (4, 0)
    assert pad_sequences(SEQS, maxlen=np.int64(7)).shape == (4, 7)
    assert pad_sequences(SEQS, maxlen=7.0).shape == (4, 7)


def test_pad_sequences_empty_inputs():
    assert pad_sequences([]).shape == (0, 0)
    assert pad_sequences([[], []]).shape == (2, 0)
    np.testing.assert_array_equal(pad_sequences([[], []], maxlen=2, value=3), [[3, 3], [3, 3]])


def test_pad_sequences_accepts_arrays_and_generators():
    x = pad_sequences(np.array(s) for s in SEQS)
    np.testing.assert_array_equal(x, pad_sequences(SEQS))


def test_pad_sequences_vector_elements():
    seqs = [np.ones((2, 3)), [], np.arange(12).reshape(4, 3)]
    x = pad_sequences(seqs, maxlen=3, dtype='float64', padding='post', value=9)
    assert x.shape == (3, 3, 3)
    np.testing.assert_array_equal(x[0], [[1, 1, 1], [1, 1, 1], [9, 9, 9]])
    np.testing.assert_array_equal(x[1], np.full((3, 3), 9))
    np.testing.assert_array_equal(x[2], np.arange(3, 12).reshape(3, 3))


@pytest.mark.parametrize('kwargs, match', [
    (dict(padding='middle'), r"padding must be 'pre' or 'post'; got 'middle'"),
    (dict(truncating='both'), r"truncating must be 'pre' or 'post'; got 'both'"),
    (dict(maxlen=-1), r'pad_sequences: maxlen must be a whole number >= 0; got -1'),
    (dict(maxlen=2.5), r'pad_sequences: maxlen must be a whole number >= 0; got 2\.5'),
])
def test_pad_sequences_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        pad_sequences([[1]], **kwargs)
    with pytest.raises(ValueError, match=match):      # checked even with nothing to pad
        pad_sequences([[]], **kwargs)


def test_pad_sequences_maxlen_type():
    with pytest.raises(TypeError, match=r"maxlen must be a whole number >= 0; got '3'"):
        pad_sequences([[1]], maxlen='3')


def test_pad_sequences_converts_as_keras_does():
    # Keras 1.2.2 builds the padding as (ones * value).astype(dtype) and converts each
    # sequence with the same cast: out-of-range integers wrap instead of raising.
    x = pad_sequences([[1, 2], [3]], value=-1, dtype='uint8')
    assert x.dtype == np.uint8
    np.testing.assert_array_equal(x, [[1, 2], [255, 3]])
    np.testing.assert_array_equal(pad_sequences([[-1, 300]], dtype='uint8'), [[255, 44]])
    np.testing.assert_array_equal(pad_sequences([[1.7], []], maxlen=2, value=2.5),
                                  [[2, 1], [2, 2]])


def test_pad_sequences_bad_sequences():
    with pytest.raises(ValueError, match=r'sequence 1 have shape \(2,\); those of the first '
                                         r'non-empty sequence have shape \(3,\)'):
        pad_sequences([np.ones((1, 3)), np.ones((2, 2))])
    with pytest.raises(ValueError, match=r'list of sequences; element 1 is 5'):
        pad_sequences([[1], 5])


def test_make_sampling_table():
    table = make_sampling_table(6, sampling_factor=1e-3)
    rank = np.array([1., 1., 2., 3., 4., 5.])
    f = 1e-3 * (rank * (np.log(rank) + 0.577) + 0.5 - 1. / (12. * rank))
    np.testing.assert_allclose(table, np.minimum(1., np.sqrt(f)))
    assert table.shape == (6,) and table[0] == table[1]
    big = make_sampling_table(10 ** 6, sampling_factor=1e-5)
    assert big[-1] == 1. and np.all(np.diff(big) >= 0)
    assert make_sampling_table(1).shape == (1,)
    with pytest.raises(ValueError, match=r'make_sampling_table: size must be a whole number >= 1; '
                                         r'got 0'):
        make_sampling_table(0)
    with pytest.raises(TypeError, match=r"size must be a whole number >= 1; got '5'"):
        make_sampling_table('5')
    assert make_sampling_table(np.int64(3)).shape == (3,)


def test_skipgrams_positive_pairs():
    couples, labels = skipgrams([1, 2, 3, 0, 4], vocabulary_size=5, window_size=1,
                                negative_samples=0, shuffle=False)
    assert couples == [[1, 2], [2, 1], [2, 3], [3, 2]]   # pairs with the 0 are skipped
    assert labels == [1, 1, 1, 1]


def test_skipgrams_window_and_zero_words():
    couples, _ = skipgrams([0, 1, 2, 3], vocabulary_size=4, window_size=2, negative_samples=0,
                           shuffle=False)
    assert couples == [[1, 2], [1, 3], [2, 1], [2, 3], [3, 1], [3, 2]]
    assert skipgrams([0, 0], 3, negative_samples=0) == ([], [])
    assert skipgrams([], 3) == ([], [])


def test_skipgrams_negative_samples_and_categorical():
    random.seed(3)
    seq = [1, 2, 3, 4, 5, 6]
    couples, labels = skipgrams(seq, vocabulary_size=50, window_size=2, negative_samples=1.5,
                                shuffle=False, categorical=True)
    positives = [c for c, l in zip(couples, labels) if l == [0, 1]]
    negatives = [c for c, l in zip(couples, labels) if l == [1, 0]]
    assert len(positives) == 18 and len(negatives) == int(18 * 1.5)
    assert couples[:18] == positives                 # positives first without shuffle
    assert all(1 <= c[1] <= 49 for c in negatives)
    assert sorted(c[0] for c in negatives[:18]) == sorted(c[0] for c in positives)
    labels[0][0] = 7                                 # labels are independent lists
    assert labels[1] == [0, 1]


def test_skipgrams_shuffle_keeps_pairs_aligned():
    random.seed(11)
    couples, labels = skipgrams(list(range(1, 30)), vocabulary_size=1000, window_size=3)
    random.seed(11)
    plain_couples, plain_labels = skipgrams(list(range(1, 30)), vocabulary_size=1000,
                                            window_size=3, shuffle=False)
    assert couples != plain_couples
    assert sorted(zip(map(tuple, couples), labels)) == \
        sorted(zip(map(tuple, plain_couples), plain_labels))


def test_skipgrams_reproducible_with_random_seed():
    random.seed(42)
    first = skipgrams([1, 2, 3, 4, 5, 6, 7], 20)
    random.seed(42)
    assert skipgrams([1, 2, 3, 4, 5, 6, 7], 20) == first
    assert skipgrams([1, 2, 3, 4, 5, 6, 7], 20) != first


def test_skipgrams_draws_like_keras():
    """Keras 1.2.2's order of draws from `random`: shuffle the pivot words, one randint per
    negative, then a randint seed that reseeds for the two shuffles."""
    seq = [3, 1, 4, 1, 5]
    positives = [[3, 1], [1, 3], [1, 4], [4, 1], [4, 1], [1, 4], [1, 5], [5, 1]]
    random.seed(2017)
    words = [c[0] for c in positives]
    random.shuffle(words)
    couples = positives + [[words[i % 8], random.randint(1, 9)] for i in range(4)]
    labels = [1] * 8 + [0] * 4
    seed = random.randint(0, 10000000)
    random.seed(seed)
    random.shuffle(couples)
    random.seed(seed)
    random.shuffle(labels)
    random.seed(2017)
    assert skipgrams(seq, 10, window_size=1, negative_samples=0.5) == (couples, labels)


def test_skipgrams_sampling_table():
    table = np.zeros(10)
    table[2] = 1.                                    # only word 2 is ever kept as a pivot
    couples, _ = skipgrams([1, 2, 3, 2, 4], 10, window_size=1, negative_samples=0,
                           shuffle=False, sampling_table=table)
    assert couples == [[2, 1], [2, 3], [2, 3], [2, 4]]


def test_skipgrams_bad_arguments():
    with pytest.raises(ValueError, match=r'vocabulary_size must be at least 2 .*got 1'):
        skipgrams([1, 1], vocabulary_size=1)
    assert skipgrams([1, 1], vocabulary_size=1, negative_samples=0, shuffle=False) == \
        ([[1, 1], [1, 1]], [1, 1])
    with pytest.raises(ValueError, match=r'skipgrams: window_size must be a whole number >= 0; '
                                         r'got -1'):
        skipgrams([1, 2], 3, window_size=-1)
    with pytest.raises(ValueError, match=r'skipgrams: window_size must be a whole number >= 0; '
                                         r'got 1\.5'):
        skipgrams([1, 2], 3, window_size=1.5)
    with pytest.raises(ValueError, match=r'skipgrams: vocabulary_size must be a whole number '
                                         r'>= 1; got 3\.5'):
        skipgrams([1, 2], 3.5)
    with pytest.raises(TypeError, match=r"skipgrams: vocabulary_size must be a whole number "
                                        r">= 1; got '3'"):
        skipgrams([1, 2], '3')
    with pytest.raises(TypeError, match=r"skipgrams: negative_samples must be a number; "
                                        r"got None"):
        skipgrams([1, 2], 3, negative_samples=None)
    # numpy integers and whole floats are accepted (window_size=1.0 used to fail in range()).
    random.seed(0)
    couples, labels = skipgrams([1, 2], np.int64(3), window_size=1.0, shuffle=False)
    assert couples[:2] == [[1, 2], [2, 1]] and labels == [1, 1, 0, 0]
