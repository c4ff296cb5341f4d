"""keras.preprocessing.text: base_filter, text_to_word_sequence, one_hot, Tokenizer."""
import os
import subprocess
import sys

import numpy as np
import pytest

from symkeras.preprocessing.text import (Tokenizer, base_filter, one_hot,
                                         text_to_word_sequence)

TEXTS = ['The cat sat on the mat.', 'The dog ate my homework!', 'Dog, cat & mat?']


def test_base_filter():
    f = base_filter()
    assert f == '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
    assert "'" not in f


def test_text_to_word_sequence():
    assert text_to_word_sequence("Don't STOP, believing!\tHold on\n") == \
        ["don't", 'stop', 'believing', 'hold', 'on']
    assert text_to_word_sequence('A b  C', lower=False) == ['A', 'b', 'C']
    assert text_to_word_sequence('a-b.c', filters='-') == ['a', 'b.c']
    assert text_to_word_sequence('a,b;c d', split=',') == ['a', 'b', 'c d']
    assert text_to_word_sequence('a::b!c', filters='!', split='::') == ['a', 'b', 'c']
    assert text_to_word_sequence('') == [] and text_to_word_sequence(' ?! ') == []
    assert text_to_word_sequence('Ärger über Öl') == ['ärger', 'über', 'öl']


def test_text_to_word_sequence_bad_input():
    with pytest.raises(TypeError, match=r'text must be a str; got bytes'):
        text_to_word_sequence(b'abc')
    with pytest.raises(ValueError, match=r"split must be a non-empty string; got ''"):
        text_to_word_sequence('abc', split='')


def test_one_hot_range_and_consistency():
    idx = one_hot('The cat, the CAT and the hat', 7)
    assert len(idx) == 7 and all(1 <= i <= 6 for i in idx)
    assert idx[0] == idx[2] == idx[5] and idx[1] == idx[3]
    assert one_hot('cat', 2) == [1]
    upper, lower = one_hot('Cat cat', 10 ** 6, lower=False)
    assert upper != lower and one_hot('Cat', 10 ** 6) == [lower]
    assert one_hot('a-b', 100, filters='-') == one_hot('a b', 100)
    assert one_hot('a,b', 100, split=',') == one_hot('a b', 100)


def test_one_hot_is_stable_across_processes():
    """Unlike Keras (salted hash()), the same word maps to the same index in every run."""
    code = ('from symkeras.preprocessing.text import one_hot; '
            'print(one_hot("stable hashing across runs", 10007))')
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    runs = set()
    for seed in ('1', '2'):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run([sys.executable, '-c', code], cwd=root, env=env,
                             capture_output=True, text=True, check=True).stdout
        runs.add(out)
    assert runs == {str(one_hot('stable hashing across runs', 10007)) + '\n'}


def test_one_hot_bad_n():
    for n in (1, 0, 2.5):
        with pytest.raises(ValueError, match=r'one_hot: n must be a whole number >= 2; got %r'
                           % (n,)):
            one_hot('a b', n)
    for n in (None, '10'):
        with pytest.raises(TypeError, match=r'one_hot: n must be a whole number >= 2; got %r'
                           % (n,)):
            one_hot('a b', n)
    assert one_hot('a b', np.int64(10)) == one_hot('a b', 10.0) == one_hot('a b', 10)


def test_tokenizer_fit_on_texts():
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS)
    assert tok.document_count == 3
    assert tok.word_counts['the'] == 3 and tok.word_counts['cat'] == 2
    assert tok.word_docs['the'] == 2 and tok.word_docs['cat'] == 2
    # Descending frequency, ties in order of first appearance, from 1.
    assert tok.word_index == {'the': 1, 'cat': 2, 'mat': 3, 'dog': 4, 'sat': 5, 'on': 6,
                              'ate': 7, 'my': 8, 'homework': 9}
    assert tok.index_docs == {1: 2, 2: 2, 3: 2, 4: 2, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1}


def test_tokenizer_fit_accumulates():
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS[:1])
    tok.fit_on_texts(t for t in TEXTS[1:])          # any iterable, e.g. a generator
    whole = Tokenizer()
    whole.fit_on_texts(TEXTS)
    for name in ('word_counts', 'word_docs', 'word_index', 'index_docs', 'document_count'):
        assert getattr(tok, name) == getattr(whole, name), name


def test_tokenizer_options():
    tok = Tokenizer(filters='', lower=False, split='|')
    tok.fit_on_texts(['A|b.|A', 'b.'])
    assert tok.word_index == {'A': 1, 'b.': 2}
    chars = Tokenizer(char_level=True)
    chars.fit_on_texts(['abca', 'Bb'])
    assert chars.word_index == {'a': 1, 'b': 2, 'c': 3, 'B': 4}   # not lowercased
    assert chars.texts_to_sequences(['cab!']) == [[3, 1, 2]]


def test_texts_to_sequences_and_nb_words():
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS)
    assert tok.texts_to_sequences(['The cat ate the unknown mat']) == [[1, 2, 7, 1, 3]]
    cut = Tokenizer(nb_words=3)
    cut.fit_on_texts(TEXTS)
    assert cut.texts_to_sequences(['The cat ate the unknown mat']) == [[1, 2, 1]]
    gen = cut.texts_to_sequences_generator(iter(['the mat', 'cat']))
    assert next(gen) == [1] and next(gen) == [2]
    with pytest.raises(StopIteration):
        next(gen)


def test_texts_to_sequences_needs_fit():
    with pytest.raises(ValueError, match=r'call fit_on_texts on some texts before'):
        Tokenizer().texts_to_sequences(['a'])


def test_sequences_to_matrix_modes():
    tok = Tokenizer()
    tok.fit_on_texts(TEXTS)
    seqs = [[1, 1, 2], [], [4, 9, 9, 9]]
    width = len(tok.word_index) + 1
    binary = tok.sequences_to_matrix(seqs)
    assert binary.shape == (3, width) and binary.dtype == np.float64
    expected = np.zeros((3, width))
    expected[0, [1, 2]] = 1
    expected[2, [4, 9]] = 1
    np.testing.assert_array_equal(binary, expected)
    count = tok.sequences_to_matrix(seqs, mode='count')
    assert count[0, 1] == 2 and count[2, 9] == 3 and count[1].sum() == 0
    freq = tok.sequences_to_matrix(seqs, mode='freq')
    np.testing.assert_allclose(freq[0, [1, 2]], [2 / 3., 1 / 3.])
    np.testing.assert_allclose(freq[2, [4, 9]], [.25, .75])
    tfidf = tok.sequences_to_matrix(seqs, mode='tfidf')
    idf = lambda docs: np.log(1 + 3. / (1 + docs))            # noqa: E731
    np.testing.assert_allclose(tfidf[0, 1], (1 + np.log(2)) * idf(2))
    np.testing.assert_allclose(tfidf[0, 2], idf(2))
    np.testing.assert_allclose(tfidf[2, 9], (1 + np.log(3)) * idf(1))
    assert tfidf[1].sum() == 0


def test_sequences_to_matrix_nb_words_cut():
    tok = Tokenizer(nb_words=4)
    x = tok.sequences_to_matrix([[1, 3, 5, 3, 8]], mode='freq')   # no fit needed with nb_words
    assert x.shape == (1, 4)
    np.testing.assert_allclose(x[0], [0, .2, 0, .4])   # /5: the dropped words count in freq


def test_texts_to_matrix():
    tok = Tokenizer(nb_words=5)
    tok.fit_on_texts(TEXTS)
    x = tok.texts_to_matrix(['the the cat homework'], mode='count')
    np.testing.assert_array_equal(x, [[0, 2, 1, 0, 0]])
    for mode in ('binary', 'count', 'tfidf', 'freq'):
        np.testing.assert_array_equal(
            tok.texts_to_matrix(TEXTS, mode=mode),
            tok.sequences_to_matrix(tok.texts_to_sequences(TEXTS), mode=mode))


def test_fit_on_sequences_for_tfidf():
    tok = Tokenizer(nb_words=6)
    with pytest.raises(ValueError, match=r'fit the Tokenizer on some data .* before using '
                                         r'tfidf mode'):
        tok.sequences_to_matrix([[1]], mode='tfidf')
    tok.fit_on_sequences([[1, 2, 2], [2, 3], [5]])
    assert tok.document_count == 3 and tok.index_docs == {1: 1, 2: 2, 3: 1, 5: 1}
    x = tok.sequences_to_matrix([[2, 4]], mode='tfidf')
    np.testing.assert_allclose(x[0, [2, 4]], [np.log(1 + 3 / 3.), np.log(1 + 3 / 1.)])
    tok.fit_on_sequences([[4]])                       # replaces, as in Keras
    assert tok.document_count == 1 and tok.index_docs == {4: 1}


def test_sequences_to_matrix_errors():
    with pytest.raises(ValueError, match=r'specify a dimension \(nb_words argument\), or fit'):
        Tokenizer().sequences_to_matrix([[1]])
    tok = Tokenizer(nb_words=4)
    with pytest.raises(ValueError, match=r"mode must be one of 'binary', 'count', 'tfidf', "
                                         r"'freq'; got 'onehot'"):
        tok.sequences_to_matrix([[1]], mode='onehot')
    with pytest.raises(ValueError, match=r"got 'onehot'"):
        tok.texts_to_matrix(['a'], mode='onehot')
    with pytest.raises(ValueError, match=r'Tokenizer: a word index in sequence 1 must be a '
                                         r'whole number >= 0; got -1'):
        tok.sequences_to_matrix([[1], [-1]])
    with pytest.raises(ValueError, match=r'a word index in sequence 0 must be a whole number '
                                         r'>= 0; got 1\.5'):
        tok.sequences_to_matrix([[1.5]])
    with pytest.raises(TypeError, match=r"a word index in sequence 0 must be a whole number "
                                        r">= 0; got '1'"):
        tok.sequences_to_matrix([['1']])


def test_tokenizer_bad_nb_words():
    for bad, error in ((0, ValueError), (-3, ValueError), (2.5, ValueError),
                       ('ten', TypeError)):
        with pytest.raises(error, match=r'Tokenizer: nb_words must be a whole number >= 1; '
                                        r'got %r' % (bad,)):
            Tokenizer(nb_words=bad)


def test_tokenizer_defaults():
    tok = Tokenizer()
    assert (tok.nb_words, tok.filters, tok.lower, tok.split, tok.char_level) == \
        (None, base_filter(), True, ' ', False)
    assert tok.word_counts == {} and tok.word_index == {} and tok.document_count == 0
