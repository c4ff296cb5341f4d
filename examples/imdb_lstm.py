'''Trains a LSTM on the IMDB sentiment classification task.
The dataset is actually too small for LSTM to be of any advantage
compared to simpler, much faster methods such as TF-IDF + LogReg.
Notes:

- RNNs are tricky. Choice of batch size is important,
choice of loss and optimizer is critical, etc.
Some configurations won't converge.

- LSTM loss decrease patterns during training can be quite different
from what you see with CNNs/MLPs/etc.

Keras 1.2.2's example with the import changed (keras -> symkeras) and two additions:

- when the IMDB file cannot be found (set SYMKERAS_DATA to the folder holding
  imdb_full.pkl, or put it in ~/.keras/datasets), it trains on synthetic reviews shaped like
  IMDB's: 25000 training and 25000 test reviews of Zipf-distributed word ranks over IMDB's
  88584-word vocabulary, lengths spread like IMDB's (median about 180 words, a long tail),
  balanced 0/1 labels, and a sentiment signal: a few words in twenty come from a set of
  positive or negative words, three times in four from the set of the review's label. They
  go through imdb.load_data's own processing (start_char, index_from, nb_words cut);
- command-line options for shorter runs:

    python examples/imdb_lstm.py [--epochs 15] [--samples N]
'''
from __future__ import print_function
import argparse

import numpy as np
np.random.seed(1337)  # for reproducibility

from symkeras.preprocessing import sequence
from symkeras.utils import np_utils
from symkeras.models import Sequential
from symkeras.layers import Dense, Dropout, Activation, Embedding
from symkeras.layers import LSTM, SimpleRNN, GRU
from symkeras.datasets import imdb

parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
parser.add_argument('--epochs', type=int, default=15)
parser.add_argument('--samples', type=int, default=None,
                    help='use the first N training and N test reviews (default: all)')
args = parser.parse_args()

max_features = 20000
maxlen = 80  # cut texts after this number of words (among top max_features most common words)
batch_size = 32

VOCABULARY = 88584      # the words of IMDB's word index


def synthetic_imdb(nb_words=None, nb_train=25000, nb_test=25000, seed=0):
    """imdb.load_data(nb_words=nb_words)'s shapes on made-up reviews (see the docstring)."""
    rng = np.random.RandomState(seed)
    ranks = np.arange(1, VOCABULARY + 1)
    frequency = 1. / (ranks + 2.7)          # Zipf-Mandelbrot, as word counts go
    frequency /= frequency.sum()
    sentiment_words = rng.choice(np.arange(100, 10000), size=(2, 200), replace=False)
    n = nb_train + nb_test
    labels = rng.randint(0, 2, n)
    lengths = np.clip(rng.lognormal(5.2, 0.75, n).astype(int), 10, 2500)
    words = rng.choice(ranks, size=lengths.sum(), p=frequency)
    owner = np.repeat(np.arange(n), lengths)
    marked = rng.rand(len(words)) < 0.08
    side = np.where(rng.rand(marked.sum()) < 0.8, labels[owner[marked]],
                    1 - labels[owner[marked]])
    words[marked] = sentiment_words[side, rng.randint(0, 200, marked.sum())]
    reviews = [r.tolist() for r in np.split(words, np.cumsum(lengths)[:-1])]
    xs, ys = imdb.index_sequences('synthetic_imdb', reviews, labels.tolist(), nb_words, 0,
                                  None, 1, 2, 3)
    return ((imdb.sequence_array(xs[:nb_train]), np.array(ys[:nb_train])),
            (imdb.sequence_array(xs[nb_train:]), np.array(ys[nb_train:])))


print('Loading data...')
try:
    (X_train, y_train), (X_test, y_test) = imdb.load_data(nb_words=max_features)
except FileNotFoundError as error:
    print('IMDB not found (%s); using synthetic reviews of the same shapes.'
          % str(error).split('\n')[0])
    size = args.samples or 25000
    (X_train, y_train), (X_test, y_test) = synthetic_imdb(max_features, size, size)
if args.samples:
    X_train, y_train = X_train[:args.samples], y_train[:args.samples]
    X_test, y_test = X_test[:args.samples], y_test[:args.samples]
print(len(X_train), 'train sequences')
print(len(X_test), 'test sequences')

print('Pad sequences (samples x time)')
X_train = sequence.pad_sequences(X_train, maxlen=maxlen)
X_test = sequence.pad_sequences(X_test, maxlen=maxlen)
print('X_train shape:', X_train.shape)
print('X_test shape:', X_test.shape)

print('Build model...')
model = Sequential()
model.add(Embedding(max_features, 128, dropout=0.2))
model.add(LSTM(128, dropout_W=0.2, dropout_U=0.2))  # try using a GRU instead, for fun
model.add(Dense(1))
model.add(Activation('sigmoid'))

# try using different optimizers and different optimizer configs
model.compile(loss='binary_crossentropy',
              optimizer='adam',
              metrics=['accuracy'])

print('Train...')
model.fit(X_train, y_train, batch_size=batch_size, nb_epoch=args.epochs,
          validation_data=(X_test, y_test))
score, acc = model.evaluate(X_test, y_test,
                            batch_size=batch_size)
print('Test score:', score)
print('Test accuracy:', acc)
