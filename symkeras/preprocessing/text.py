"""Keras 1.2.2's keras.preprocessing.text: splitting texts into words, hashing words to
indices, and the Tokenizer (word index, sequences of indices, bag-of-words matrices)."""
import hashlib
import string

import numpy as np

from ..utils.generic_utils import check_number


def base_filter():
    """The default `filters`: all ASCII punctuation except the apostrophe, plus tab and
    newline."""
    return string.punctuation.replace("'", '') + '\t\n'


def text_to_word_sequence(text, filters=base_filter(), lower=True, split=' '):
    """Words of `text`: lowercased (lower=True), every character of `filters` replaced by
    `split`, split on `split`, empty pieces dropped."""
    if not isinstance(text, str):
        raise TypeError('text_to_word_sequence: text must be a str; got %s'
                        % (type(text).__name__,))
    if not isinstance(split, str) or not split:
        raise ValueError('text_to_word_sequence: split must be a non-empty string; got %r'
                         % (split,))
    if lower:
        text = text.lower()
    text = text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in text.split(split) if word]


def one_hot(text, n, filters=base_filter(), lower=True, split=' '):
    """Each word of `text` (as text_to_word_sequence splits it) hashed to an index in
    1 .. n-1. Keras used Python's hash(), which is salted per process, so its indices change
    from run to run; symkeras uses a stable hash (MD5 of the UTF-8 word), so the same word
    gets the same index in every run. Different words may share an index."""
    n = check_number('one_hot', 'n', n, integer=True, minimum=2)   # indices are 1 .. n-1
    words = text_to_word_sequence(text, filters=filters, lower=lower, split=split)
    return [_stable_hash(w) % (n - 1) + 1 for w in words]


def _stable_hash(word):
    return int(hashlib.md5(word.encode('utf-8')).hexdigest(), 16)


_MODES = ('binary', 'count', 'tfidf', 'freq')


class Tokenizer(object):
    """Turns texts into sequences of word indices or into bag-of-words matrices.

    Words are indexed from 1 by descending frequency (ties in order of first appearance);
    0 is never a word. With nb_words, only indices below nb_words are used (the
    nb_words - 1 most frequent words). With char_level=True every character is a token (not
    lowercased or filtered, as in Keras 1.2.2).

    Attributes (after fit_on_texts): word_counts {word: occurrences}, word_docs {word:
    number of texts containing it}, word_index {word: index}, index_docs {index: number of
    texts containing it}, document_count. fit_on_texts may be called several times: all of
    these accumulate (Keras 1.2.2 reset document_count at each call while accumulating the
    rest, which skewed tf-idf)."""

    def __init__(self, nb_words=None, filters=base_filter(), lower=True, split=' ',
                 char_level=False):
        if nb_words is not None:
            nb_words = check_number('Tokenizer', 'nb_words', nb_words,
                                    integer=True, minimum=1)
        self.word_counts = {}
        self.word_docs = {}
        self.word_index = {}
        self.index_docs = {}
        self.filters = filters
        self.split = split
        self.lower = lower
        self.nb_words = nb_words
        self.document_count = 0
        self.char_level = char_level

    def _tokens(self, text):
        if self.char_level:
            return text
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts):
        """Count the words of `texts` (a list or any iterable of strings) and rebuild
        word_index and index_docs. Needed before texts_to_sequences and texts_to_matrix."""
        for text in texts:
            self.document_count += 1
            seq = self._tokens(text)
            for w in seq:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(seq):
                self.word_docs[w] = self.word_docs.get(w, 0) + 1
        # sorted() is stable: equally frequent words keep their order of first appearance.
        vocab = sorted(self.word_counts, key=self.word_counts.get, reverse=True)
        self.word_index = {w: i for i, w in enumerate(vocab, 1)}
        self.index_docs = {self.word_index[w]: c for w, c in self.word_docs.items()}

    def fit_on_sequences(self, sequences):
        """Set document_count and index_docs from sequences of word indices (replacing
        earlier values, as in Keras): what sequences_to_matrix(mode='tfidf') needs when
        fit_on_texts was not used."""
        sequences = list(sequences)
        self.document_count = len(sequences)
        self.index_docs = {}
        for seq in sequences:
            for i in set(seq):
                self.index_docs[i] = self.index_docs.get(i, 0) + 1

    def texts_to_sequences(self, texts):
        """List of sequences of word indices, one per text; unknown words and words with an
        index >= nb_words are left out."""
        return list(self.texts_to_sequences_generator(texts))

    def texts_to_sequences_generator(self, texts):
        """texts_to_sequences, one text at a time."""
        if not self.word_index:
            raise ValueError('Tokenizer: no word index yet; call fit_on_texts on some texts '
                             'before texts_to_sequences or texts_to_matrix')
        nb_words = self.nb_words
        for text in texts:
            indices = (self.word_index.get(w) for w in self._tokens(text))
            yield [i for i in indices if i is not None and not (nb_words and i >= nb_words)]

    def texts_to_matrix(self, texts, mode='binary'):
        """sequences_to_matrix(texts_to_sequences(texts), mode)."""
        _check_mode(mode)
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode='binary'):
        """Float64 matrix (len(sequences), nb_words), or (.., len(word_index) + 1) without
        nb_words; column j describes word index j (indices >= the width are dropped):
        'binary' 1 if present, 'count' occurrences c, 'freq' c / len(sequence) (the length
        before dropping), 'tfidf' (1 + log c) * log(1 + document_count / (1 + docs(j))), with
        docs(j) the number of fitted texts containing j."""
        _check_mode(mode)
        if self.nb_words:
            width = self.nb_words
        elif self.word_index:
            width = len(self.word_index) + 1
        else:
            raise ValueError('Tokenizer: specify a dimension (nb_words argument), or fit on '
                             'some text data first')
        if mode == 'tfidf' and not self.document_count:
            raise ValueError('Tokenizer: fit the Tokenizer on some data (fit_on_texts or '
                             'fit_on_sequences) before using tfidf mode')
        x = np.zeros((len(sequences), width))
        for i, seq in enumerate(sequences):
            counts = {}
            for j in seq:
                j = check_number('Tokenizer', 'a word index in sequence %d' % i, j,
                                 integer=True, minimum=0)
                if j < width:
                    counts[j] = counts.get(j, 0) + 1
            for j, c in counts.items():
                if mode == 'count':
                    x[i, j] = c
                elif mode == 'freq':
                    x[i, j] = c / len(seq)
                elif mode == 'binary':
                    x[i, j] = 1
                else:
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
                    x[i, j] = (1 + np.log(c)) * idf
        return x


def _check_mode(mode):
    if mode not in _MODES:
        raise ValueError("Tokenizer: mode must be one of 'binary', 'count', 'tfidf', 'freq'; "
                         "got %r" % (mode,))
