"""Compile time and step time of the imdb_lstm training step (Embedding 20000x128, LSTM 128,
sequences of 80 ids, Dense 1 sigmoid, binary crossentropy, Adam, batch 32), symkeras only;
the peers' figures come from ../shared/bench/run.py -w lstm, which builds the same model
(without the example's dropout, as here by default).

    python benchmarks/bench_rnn.py [--dropout] [--consume-less cpu|mem|gpu] [--rounds 7]

Compile = model.compile() (graph, gradients, optimizer updates, K.function) + the first
train_on_batch less one step (specialisation to the batch shape, rewrites, lowering); the
first model of the process is reported apart from the median of the next ones, as it also
pays for warming up Python. Step = the median over rounds of the time per train_on_batch
call (the Keras 1 API's one-batch entry point, its Python work included) and of fit's time
per sample over 50 batches.
"""
import argparse
import statistics
import time

import numpy as np

from symkeras.layers import LSTM, Dense, Embedding
from symkeras.models import Sequential
from symkeras.optimizers import Adam
from timing import median_times

VOCAB, EMBED, SEQ, UNITS, BATCH = 20000, 128, 80, 128, 32


def build(dropout, consume_less):
    model = Sequential()
    model.add(Embedding(VOCAB, EMBED, input_length=SEQ, dropout=0.2 if dropout else 0.))
    model.add(LSTM(UNITS, consume_less=consume_less, dropout_W=0.2 if dropout else 0.,
                   dropout_U=0.2 if dropout else 0.))
    model.add(Dense(1, activation='sigmoid'))
    return model


def compile_seconds(dropout, consume_less, x, y):
    """(compile(), first train_on_batch) times of a new model."""
    model = build(dropout, consume_less)
    t0 = time.perf_counter()
    model.compile(loss='binary_crossentropy', optimizer=Adam())
    t1 = time.perf_counter()
    model.train_on_batch(x[:BATCH], y[:BATCH])
    return model, t1 - t0, time.perf_counter() - t1


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--dropout', action='store_true',
                        help="the example's dropout (Embedding 0.2, LSTM dropout_W/U 0.2)")
    parser.add_argument('--consume-less', default='cpu', choices=['cpu', 'mem', 'gpu'])
    parser.add_argument('--rounds', type=int, default=7)
    args = parser.parse_args()
    rng = np.random.RandomState(0)
    x = rng.randint(0, VOCAB, size=(50 * BATCH, SEQ)).astype('int32')
    y = rng.randint(0, 2, size=(50 * BATCH, 1)).astype('float32')

    compiles = [compile_seconds(args.dropout, args.consume_less, x, y) for _ in range(4)]
    model = compiles[-1][0]
    batch_x, batch_y = x[:BATCH], y[:BATCH]
    (step,), = median_times([[lambda: model.train_on_batch(batch_x, batch_y)]],
                            rounds=args.rounds, seconds=0.3, settle_seconds=0.)
    fits = []
    for _ in range(3):
        t0 = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, nb_epoch=1, shuffle=False, verbose=0)
        fits.append((time.perf_counter() - t0) / len(x))
    fit = statistics.median(fits)

    print('imdb_lstm training step: Embedding %dx%d, LSTM %d (consume_less=%s%s), length %d, '
          'batch %d, adam' % (VOCAB, EMBED, UNITS, args.consume_less,
                              ', dropout' if args.dropout else '', SEQ, BATCH))
    first = compiles[0]
    rest = compiles[1:]
    print('compile, first model of the process: compile() %.0f ms + first step %.0f ms '
          '= %.0f ms (%.0f ms less one step)'
          % (first[1] * 1e3, first[2] * 1e3, (first[1] + first[2]) * 1e3,
             (first[1] + first[2] - step) * 1e3))
    print('compile, median of the next %d models: compile() %.0f ms + first step %.0f ms '
          '(%.0f ms less one step)'
          % (len(rest), statistics.median(c[1] for c in rest) * 1e3,
             statistics.median(c[2] for c in rest) * 1e3,
             statistics.median(c[1] + c[2] - step for c in rest) * 1e3))
    print('train_on_batch: %.2f ms per step = %.0f samples/s' % (step * 1e3, BATCH / step))
    print('fit over 50 batches: %.0f samples/s' % (1 / fit))


if __name__ == '__main__':
    main()
