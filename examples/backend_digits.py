"""Train a small MLP on scikit-learn's handwritten digits with the Keras 1 backend API alone:
placeholders, variables, K.gradients and one K.function whose whole training step (forward,
loss, gradients, momentum-SGD updates) runs in a single call into the C++ runtime.

    python examples/backend_digits.py
"""
import time

import numpy as np
from sklearn.datasets import load_digits

import symkeras.backend as K

np.random.seed(1337)


def glorot(shape):
    limit = np.sqrt(6.0 / sum(shape))
    return np.random.uniform(-limit, limit, shape)


def load():
    digits = load_digits()
    x = (digits.data / 16.0).astype('float32')
    y = np.eye(10, dtype='float32')[digits.target]
    order = np.random.permutation(len(x))
    x, y = x[order], y[order]
    n_train = int(0.8 * len(x))
    return (x[:n_train], y[:n_train]), (x[n_train:], y[n_train:])


def build(lr=0.1, momentum=0.9, hidden=64):
    x = K.placeholder(ndim=2, name='x')
    y = K.placeholder(ndim=2, name='y')
    params = [K.variable(glorot((64, hidden)), name='W1'), K.zeros((hidden,), name='b1'),
              K.variable(glorot((hidden, 10)), name='W2'), K.zeros((10,), name='b2')]
    W1, b1, W2, b2 = params
    h = K.relu(K.dot(x, W1) + b1)
    p = K.softmax(K.dot(h, W2) + b2)
    loss = K.mean(K.categorical_crossentropy(p, y))
    acc = K.mean(K.equal(K.argmax(p, axis=-1), K.argmax(y, axis=-1)))
    updates = []
    for w, g in zip(params, K.gradients(loss, params)):
        v = K.zeros(K.get_variable_shape(w))
        v_new = momentum * v - lr * g
        updates += [(v, v_new), (w, w + v_new)]
    train = K.function([x, y], [loss, acc], updates=updates)
    test = K.function([x, y], [loss, acc])
    return train, test


def main(nb_epoch=20, batch_size=32):
    (x_train, y_train), (x_test, y_test) = load()
    t0 = time.perf_counter()
    train, test = build()
    print('graph and functions built in %.1f ms (each new batch shape is compiled on its first '
          'call, in milliseconds)' % ((time.perf_counter() - t0) * 1e3))
    for epoch in range(nb_epoch):
        t0 = time.perf_counter()
        order = np.random.permutation(len(x_train))
        losses, accs, sizes = [], [], []
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            loss, acc = train([x_train[idx], y_train[idx]])
            losses.append(loss)
            accs.append(acc)
            sizes.append(len(idx))
        val_loss, val_acc = test([x_test, y_test])
        print('Epoch %d/%d - %.3fs - loss: %.4f - acc: %.4f - val_loss: %.4f - val_acc: %.4f'
              % (epoch + 1, nb_epoch, time.perf_counter() - t0, np.average(losses, weights=sizes),
                 np.average(accs, weights=sizes), val_loss, val_acc))
    print('Test accuracy: %.4f' % val_acc)
    return val_acc


if __name__ == '__main__':
    main()
