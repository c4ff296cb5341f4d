"""Keras 1.2.2's keras.datasets.imdb, read from local files (symkeras never downloads).

load_data(path='imdb_full.pkl') and get_word_index(path='imdb_word_index.pkl') read the
pickles Keras 1.2.2 downloaded from https://s3.amazonaws.com/text-datasets/. With the default
file name they look in $SYMKERAS_DATA/imdb, $SYMKERAS_DATA, and the Keras cache
~/.keras/datasets (KERAS_HOME moves ~/.keras), where Keras put them; another `path` is used
alone: a file, a folder holding the default file name, or a bare file name that is not in the
working directory and is then looked up in the cache (Keras 1.2.2's meaning). A `.gz` data
file is read through gzip, as in Keras 1.2.2. The files are Python pickles, loaded with the
standard pickle module as Keras did (latin1 decodes Python 2 strings): use files you trust.
Keras checked imdb_full.pkl's MD5 only to decide whether to download it again; symkeras does
not check it.

The word indices are processed exactly as Keras 1.2.2 processed them (reuters shares this),
including its quirks, so that scripts see the same arrays; see load_data.
"""
import gzip
import numbers
import os
import pickle

import numpy as np

from ..utils.data_utils import cache_dir, dataset_places

PICKLE_FILE = 'imdb_full.pkl'
WORD_INDEX_FILE = 'imdb_word_index.pkl'
ORIGIN = 'https://s3.amazonaws.com/text-datasets/imdb_full.pkl'
WORD_INDEX_ORIGIN = 'https://s3.amazonaws.com/text-datasets/imdb_word_index.pkl'


def load_data(path=PICKLE_FILE, nb_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3):
    """(x_train, y_train), (x_test, y_test) from imdb_full.pkl, the pickle
    ((x_train, labels_train), (x_test, labels_test)) of word-index lists (index 1 = the most
    frequent word) and 0/1 labels. As in Keras 1.2.2:

    - both parts are shuffled with the global numpy generator (np.random.seed(seed) before
      the training reviews and again before their labels; seed * 2 for the test part), which
      leaves that generator seeded;
    - every word index w becomes w + index_from, and start_char (unless None) is put first;
    - maxlen keeps only the sequences shorter than maxlen (start_char included); an empty
      result is a ValueError;
    - nb_words (default: the largest index, so that word too counts as cut) and skip_top cut
      the indices >= nb_words or < skip_top, compared after the shift (start_char and
      oov_char too); cut indices become oov_char, or are dropped with oov_char=None (as
      documented; Keras 1.2.2's code inverted the test and kept only the cut ones);
    - the train/test split stays at the original number of training reviews, so after a
      maxlen filter some test reviews end up in x_train.
    x_* are numpy arrays of lists (a 2-D array when all sequences have one length, as numpy
    made it then), y_* numpy arrays of the labels."""
    _check_sequence_args('imdb.load_data', nb_words, skip_top, maxlen, start_char, oov_char,
                         index_from)
    if not _is_int(seed):
        raise ValueError('imdb.load_data: seed must be an integer; got %r' % (seed,))
    fpath = _find_file('imdb.load_data', path, PICKLE_FILE, 'imdb', ORIGIN)
    data = _unpickle('imdb.load_data', fpath)
    try:
        (x_train, labels_train), (x_test, labels_test) = data
        x_train, labels_train = list(x_train), list(labels_train)
        x_test, labels_test = list(x_test), list(labels_test)
    except (TypeError, ValueError):
        raise ValueError('imdb.load_data: %s does not hold the Keras pickle ((x_train, '
                         'labels_train), (x_test, labels_test))' % fpath) from None
    for part, x, y in (('train', x_train, labels_train), ('test', x_test, labels_test)):
        if len(x) != len(y):
            raise ValueError('imdb.load_data: %s has %d %s reviews but %d labels'
                             % (fpath, len(x), part, len(y)))
    _shuffle(seed, x_train, labels_train)
    _shuffle(seed * 2, x_test, labels_test)
    xs, labels = index_sequences('imdb.load_data', x_train + x_test, labels_train + labels_test,
                                 nb_words, skip_top, maxlen, start_char, oov_char, index_from)
    n = len(x_train)
    x_train, y_train = sequence_array(xs[:n]), np.array(labels[:n])
    x_test, y_test = sequence_array(xs[n:]), np.array(labels[n:])
    return (x_train, y_train), (x_test, y_test)


def get_word_index(path=WORD_INDEX_FILE):
    """The dict word -> index of imdb_word_index.pkl (found like load_data's file)."""
    return load_word_index('imdb.get_word_index', path, WORD_INDEX_FILE, 'imdb',
                           WORD_INDEX_ORIGIN)


def load_word_index(fn, path, default, subdir, origin):
    fpath = _find_file(fn, path, default, subdir, origin)
    word_index = _unpickle(fn, fpath)
    if not isinstance(word_index, dict):
        raise ValueError('%s: %s holds a %s; expected the dict word -> index'
                         % (fn, fpath, type(word_index).__name__))
    return word_index


def _find_file(fn, path, default, subdir, origin):
    """The data file: see the module docstring. A miss raises FileNotFoundError naming the
    file, `origin` and every place searched."""
    path = None if path is None else os.fspath(path)
    explicit = path not in (None, default)
    searched = []
    for place in dataset_places(path if explicit else None, subdir):
        candidate = place if explicit and not os.path.isdir(place) else \
            os.path.join(place, default)
        if os.path.isfile(candidate):
            return candidate
        searched.append('%s (does not exist)' % candidate)
    raise FileNotFoundError(
        '%s: %s was not found (symkeras does not download). Searched:\n  %s\nDownload it from '
        '%s; then pass its path as path=..., put it in the folder SYMKERAS_DATA names, or copy '
        'it to %s.' % (fn, os.path.basename(path or default), '\n  '.join(searched), origin,
                       cache_dir('datasets', create=False)))


def _unpickle(fn, fpath):
    try:
        with (gzip.open if fpath.endswith('.gz') else open)(fpath, 'rb') as f:
            return pickle.load(f, encoding='latin1')
    except (pickle.UnpicklingError, EOFError, OSError, AttributeError, ImportError,
            IndexError) as e:
        raise ValueError('%s: cannot unpickle %s: %s' % (fn, fpath, e)) from None


def _shuffle(seed, xs, labels):
    """Keras 1.2.2's shuffle: the same permutation for both, from the global generator."""
    np.random.seed(seed)
    np.random.shuffle(xs)
    np.random.seed(seed)
    np.random.shuffle(labels)


def _check_sequence_args(fn, nb_words, skip_top, maxlen, start_char, oov_char, index_from):
    for name, value, optional in (('nb_words', nb_words, True), ('skip_top', skip_top, False),
                                  ('maxlen', maxlen, True), ('start_char', start_char, True),
                                  ('oov_char', oov_char, True), ('index_from', index_from, False)):
        if value is None and optional:
            continue
        if not _is_int(value):
            raise ValueError('%s: %s must be an integer%s; got %r'
                             % (fn, name, ' or None' if optional else '', value))


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def index_sequences(fn, xs, labels, nb_words, skip_top, maxlen, start_char, oov_char,
                    index_from):
    """Keras 1.2.2's processing of word-index sequences (imdb and reuters): see
    imdb.load_data. Returns the new (xs, labels) lists; none left is a ValueError."""
    if start_char is not None:
        xs = [[start_char] + [w + index_from for w in x] for x in xs]
    elif index_from:
        xs = [[w + index_from for w in x] for x in xs]
    if maxlen:
        kept = [(x, y) for x, y in zip(xs, labels) if len(x) < maxlen]
        xs, labels = [x for x, _ in kept], [y for _, y in kept]
    if not xs:
        raise ValueError('%s: after filtering for sequences shorter than maxlen=%r, no sequence '
                         'was kept. Increase maxlen.' % (fn, maxlen) if maxlen else
                         '%s: the file holds no sequences' % fn)
    if not nb_words:
        nb_words = max((max(x) for x in xs if len(x)), default=0)

    def cut(w):
        return w >= nb_words or w < skip_top
    if oov_char is not None:
        xs = [[oov_char if cut(w) else w for w in x] for x in xs]
    else:
        xs = [[w for w in x if not cut(w)] for x in xs]
    return xs, labels


def sequence_array(seqs):
    """np.array(seqs) as the numpy of Keras 1.2.2's day built it: 2-D when every sequence
    has the same length, else a 1-D object array of the lists (numpy now refuses to guess)."""
    if len({len(s) for s in seqs}) <= 1:
        return np.array(seqs)
    out = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        out[i] = s
    return out
