"""A Keras 1 user's backend code, end to end: placeholder, variable, loss, K.gradients and a
K.function with SGD updates train a softmax regression on real data (scikit-learn's digits)."""
import numpy as np
from sklearn.datasets import load_digits

import symkeras.backend as K


def test_softmax_regression_on_digits_beats_90_percent():
    digits = load_digits()
    data = (digits.data / 16.0).astype('float32')
    labels = np.eye(10, dtype='float32')[digits.target]
    order = np.random.RandomState(0).permutation(len(data))
    train, test = order[:1400], order[1400:]

    x = K.placeholder(ndim=2)
    y = K.placeholder(ndim=2)
    W = K.variable(np.zeros((64, 10)))
    b = K.variable(np.zeros((10,)))
    p = K.softmax(K.dot(x, W) + b)
    loss = K.mean(K.categorical_crossentropy(p, y))
    gW, gb = K.gradients(loss, [W, b])
    lr = 0.5
    step = K.function([x, y], [loss], updates=[(W, W - lr * gW), (b, b - lr * gb)])
    predict = K.function([x], [K.argmax(p, axis=-1)])

    first = None
    for epoch in range(30):
        for start in range(0, len(train), 50):        # last batch is smaller: shapes change
            idx = train[start:start + 50]
            (value,) = step([data[idx], labels[idx]])
            first = value if first is None else first
    assert value < first
    accuracy = np.mean(predict([data[test]])[0] == digits.target[test])
    assert accuracy > 0.90, accuracy


def test_backend_demo_runs_and_learns():
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(__file__), '..', 'examples', 'backend_digits.py')
    spec = importlib.util.spec_from_file_location('backend_digits', path)
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    assert demo.main(nb_epoch=5) > 0.9
