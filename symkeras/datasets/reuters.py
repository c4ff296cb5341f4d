"""Keras 1.2.2's keras.datasets.reuters, read from local files (symkeras never downloads).

load_data(path='reuters.pkl') and get_word_index(path='reuters_word_index.pkl') read the
pickles Keras 1.2.2 downloaded from https://s3.amazonaws.com/text-datasets/, found as imdb
finds its files: with the default file name in $SYMKERAS_DATA/reuters, $SYMKERAS_DATA and the
Keras cache ~/.keras/datasets (KERAS_HOME moves ~/.keras); another `path` alone (a file, a
folder holding the default name, or a bare name looked up in the cache). The files are Python
pickles, loaded with the standard pickle module as Keras did (latin1 decodes Python 2
strings): use files you trust.
"""
import numbers

from .imdb import (_check_sequence_args, _find_file, _is_int, _shuffle, _unpickle,
                   index_sequences, load_word_index)

PICKLE_FILE = 'reuters.pkl'
WORD_INDEX_FILE = 'reuters_word_index.pkl'
ORIGIN = 'https://s3.amazonaws.com/text-datasets/reuters.pkl'
WORD_INDEX_ORIGIN = 'https://s3.amazonaws.com/text-datasets/reuters_word_index.pkl'


def load_data(path=PICKLE_FILE, nb_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3):
    """(x_train, y_train), (x_test, y_test) from reuters.pkl, the pickle (xs, labels) of
    word-index lists and topic numbers. As in Keras 1.2.2: np.random.seed(seed) shuffles xs
    and again labels (leaving the global generator seeded); the word indices are processed as
    imdb.load_data describes (index_from, start_char, maxlen, nb_words, skip_top, oov_char,
    quirks included; no sequence left is a ValueError, where Keras 1.2.2 failed in max()); then the first int(n * (1 - test_split)) of the n kept newswires are the
    training part. Keras 1.2.2 returned Python lists here (lists of lists, lists of labels),
    and so does symkeras."""
    fn = 'reuters.load_data'
    _check_sequence_args(fn, nb_words, skip_top, maxlen, start_char, oov_char, index_from)
    if seed is not None and not _is_int(seed):
        raise ValueError('%s: seed must be an integer or None; got %r' % (fn, seed))
    if not isinstance(test_split, numbers.Real) or not 0 <= test_split <= 1:
        raise ValueError('%s: test_split must be a fraction in [0, 1]; got %r' % (fn, test_split))
    fpath = _find_file(fn, path, PICKLE_FILE, 'reuters', ORIGIN)
    data = _unpickle(fn, fpath)
    try:
        xs, labels = data
        xs, labels = list(xs), list(labels)
    except (TypeError, ValueError):
        raise ValueError('%s: %s does not hold the Keras pickle (xs, labels)' % (fn, fpath)) \
            from None
    if len(xs) != len(labels):
        raise ValueError('%s: %s has %d newswires but %d labels' % (fn, fpath, len(xs),
                                                                     len(labels)))
    _shuffle(seed, xs, labels)
    xs, labels = index_sequences(fn, xs, labels, nb_words, skip_top, maxlen, start_char,
                                 oov_char, index_from)
    n = int(len(xs) * (1 - test_split))
    return (xs[:n], labels[:n]), (xs[n:], labels[n:])


def get_word_index(path=WORD_INDEX_FILE):
    """The dict word -> index of reuters_word_index.pkl (found like load_data's file)."""
    return load_word_index('reuters.get_word_index', path, WORD_INDEX_FILE, 'reuters',
                           WORD_INDEX_ORIGIN)
