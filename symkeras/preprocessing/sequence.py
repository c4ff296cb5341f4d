"""Keras 1.2.2's keras.preprocessing.sequence: padding sequences to one length, and the
word2vec-style skip-gram pairs with their sampling table.

skipgrams draws from Python's `random` module in the same order as Keras 1.2.2, so
random.seed(...) reproduces a run.
"""
import random

import numpy as np

from ..utils.generic_utils import check_number


def pad_sequences(sequences, maxlen=None, dtype='int32', padding='pre', truncating='pre',
                  value=0.):
    """Array of shape (len(sequences), maxlen) + element shape: each sequence cut to its last
    (truncating='pre') or first ('post') maxlen elements and padded with `value` before
    (padding='pre') or after ('post') it. maxlen defaults to the longest sequence. Elements
    may be vectors (or arrays): their shape, taken from the first non-empty sequence, must be
    the same everywhere."""
    for name, mode in (('padding', padding), ('truncating', truncating)):
        if mode not in ('pre', 'post'):
            raise ValueError("pad_sequences: %s must be 'pre' or 'post'; got %r" % (name, mode))
    sequences = list(sequences)
    lengths = []
    for i, s in enumerate(sequences):
        if not hasattr(s, '__len__'):
            raise ValueError('pad_sequences: sequences must be a list of sequences; element %d '
                             'is %r' % (i, s))
        lengths.append(len(s))
    if maxlen is None:
        maxlen = max(lengths, default=0)
    else:
        maxlen = check_number('pad_sequences', 'maxlen', maxlen, integer=True, minimum=0)
    sample_shape = next((np.asarray(s).shape[1:] for s in sequences if len(s)), ())
    # Converted as Keras 1.2.2 converts (astype), which wraps out-of-range integers, e.g.
    # value=-1 with dtype='uint8' pads with 255, where np.full would raise OverflowError.
    x = (np.ones((len(sequences), maxlen) + sample_shape) * value).astype(dtype)
    if maxlen == 0:
        return x
    for i, s in enumerate(sequences):
        if not len(s):
            continue
        trunc = np.asarray(s[-maxlen:] if truncating == 'pre' else s[:maxlen]).astype(dtype)
        if trunc.shape[1:] != sample_shape:
            raise ValueError('pad_sequences: the elements of sequence %d have shape %s; those '
                             'of the first non-empty sequence have shape %s'
                             % (i, trunc.shape[1:], sample_shape))
        if padding == 'post':
            x[i, :len(trunc)] = trunc
        else:
            x[i, maxlen - len(trunc):] = trunc
    return x


def make_sampling_table(size, sampling_factor=1e-5):
    """Word2vec sampling probabilities for words of rank 0 .. size-1 (rank 0 is treated as
    rank 1), assuming Zipf-distributed word frequencies: with
    inv_fq(r) = r*(log r + 0.577) + 1/2 - 1/(12 r) and f = sampling_factor * inv_fq, the entry
    is min(1, f / sqrt(f)) (Keras 1.2.2's formula)."""
    size = check_number('make_sampling_table', 'size', size, integer=True, minimum=1)
    rank = np.arange(size, dtype='float64')
    rank[0] = 1
    inv_fq = rank * (np.log(rank) + 0.577) + 0.5 - 1. / (12. * rank)
    f = sampling_factor * inv_fq
    return np.minimum(1., f / np.sqrt(f))


def skipgrams(sequence, vocabulary_size, window_size=4, negative_samples=1., shuffle=True,
              categorical=False, sampling_table=None):
    """Skip-gram pairs of a sequence of word indices (0 is a non-word and is skipped).

    Returns (couples, labels): couples are [word, context] lists. Positive couples pair each
    word (kept with probability sampling_table[word] when a table is given) with every word
    within window_size positions of it, label 1 (or [0, 1] when categorical). Then
    int(len(positives) * negative_samples) negative couples pair a shuffled positive word with
    a random index in 1 .. vocabulary_size-1, label 0 (or [1, 0]). shuffle=True shuffles
    couples and labels together."""
    vocabulary_size = check_number('skipgrams', 'vocabulary_size', vocabulary_size,
                                   integer=True, minimum=1)
    window_size = check_number('skipgrams', 'window_size', window_size, integer=True,
                               minimum=0)
    negative_samples = check_number('skipgrams', 'negative_samples', negative_samples)
    if vocabulary_size < 2 and negative_samples > 0:
        raise ValueError('skipgrams: vocabulary_size must be at least 2 to draw negative samples '
                         '(indices 1 .. vocabulary_size-1); got %r' % (vocabulary_size,))
    couples = []
    labels = []
    for i, wi in enumerate(sequence):
        if not wi:
            continue
        if sampling_table is not None and sampling_table[wi] < random.random():
            continue
        for j in range(max(0, i - window_size), min(len(sequence), i + window_size + 1)):
            if j != i and sequence[j]:
                couples.append([wi, sequence[j]])
                labels.append([0, 1] if categorical else 1)

    if negative_samples > 0:
        nb_negative_samples = int(len(labels) * negative_samples)
        words = [c[0] for c in couples]
        random.shuffle(words)
        couples += [[words[i % len(words)], random.randint(1, vocabulary_size - 1)]
                    for i in range(nb_negative_samples)]
        labels += [[1, 0] if categorical else 0 for _ in range(nb_negative_samples)]

    if shuffle:
        # One seed for both shuffles keeps couples and labels aligned (Keras' way, with the
        # same calls, so a seeded `random` gives Keras' order).
        seed = random.randint(0, 10000000)
        random.seed(seed)
        random.shuffle(couples)
        random.seed(seed)
        random.shuffle(labels)
    return couples, labels
