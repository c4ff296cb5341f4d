'''Example script showing how to use stateful RNNs
to model long sequences efficiently.

Keras 1.2.2's example with the import changed (keras -> symkeras) and two additions:
without matplotlib it prints the mean squared error of the predictions instead of plotting
them, and command-line options for shorter runs (the length of the series, which must be
a multiple of the batch size, 25):

    python examples/stateful_lstm.py [--epochs 25] [--samples 50000]
'''
from __future__ import print_function
import argparse

import numpy as np
from symkeras.models import Sequential
from symkeras.layers import Dense, LSTM

parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
parser.add_argument('--epochs', type=int, default=25)
parser.add_argument('--samples', type=int, default=50000,
                    help='length of the cosine series (default: 50000)')
args = parser.parse_args()

# since we are using stateful rnn tsteps can be set to 1
tsteps = 1
batch_size = 25
epochs = args.epochs
# number of elements ahead that are used to make the prediction
lahead = 1


def gen_cosine_amp(amp=100, period=1000, x0=0, xn=50000, step=1, k=0.0001):
    """Generates an absolute cosine time series with the amplitude
    exponentially decreasing

    Arguments:
        amp: amplitude of the cosine function
        period: period of the cosine function
        x0: initial x of the time series
        xn: final x of the time series
        step: step of the time series discretization
        k: exponential rate
    """
    cos = np.zeros(((xn - x0) * step, 1, 1))
    for i in range(len(cos)):
        idx = x0 + i * step
        cos[i, 0, 0] = amp * np.cos(2 * np.pi * idx / period)
        cos[i, 0, 0] = cos[i, 0, 0] * np.exp(-k * idx)
    return cos


print('Generating Data')
cos = gen_cosine_amp(xn=args.samples)
print('Input shape:', cos.shape)

expected_output = np.zeros((len(cos), 1))
for i in range(len(cos) - lahead):
    expected_output[i, 0] = np.mean(cos[i + 1:i + lahead + 1])

print('Output shape')
print(expected_output.shape)

print('Creating Model')
model = Sequential()
model.add(LSTM(50,
               batch_input_shape=(batch_size, tsteps, 1),
               return_sequences=True,
               stateful=True))
model.add(LSTM(50,
               return_sequences=False,
               stateful=True))
model.add(Dense(1))
model.compile(loss='mse', optimizer='rmsprop')

print('Training')
for i in range(epochs):
    print('Epoch', i, '/', epochs)
    model.fit(cos,
              expected_output,
              batch_size=batch_size,
              verbose=1,
              nb_epoch=1,
              shuffle=False)
    model.reset_states()

print('Predicting')
predicted_output = model.predict(cos, batch_size=batch_size)

try:
    import matplotlib.pyplot as plt
except ImportError:
    print('matplotlib is not installed; not plotting. Mean squared error of the '
          'predictions:', float(np.mean((predicted_output - expected_output) ** 2)))
else:
    print('Plotting Results')
    plt.subplot(2, 1, 1)
    plt.plot(expected_output)
    plt.title('Expected')
    plt.subplot(2, 1, 2)
    plt.plot(predicted_output)
    plt.title('Predicted')
    plt.show()
