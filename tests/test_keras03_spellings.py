"""Keras 0.3's spellings on Sequential, accepted with a deprecation warning and giving 0.3.3's
results: show_accuracy=True on fit / evaluate / fit_generator / evaluate_generator,
accuracy=True on train_on_batch / test_on_batch, compile(class_mode=...)."""
import warnings

import numpy as np
import pytest

from symkeras.layers import Activation, Dense
from symkeras.models import Sequential

RNG = np.random.RandomState(5)
X = RNG.rand(30, 6).astype('float32')
LABELS = RNG.randint(0, 3, 30)
Y = np.eye(3, dtype='float32')[LABELS]
YB = (X[:, :2].sum(1, keepdims=True) > 1).astype('float32')


def classifier(metrics=None, loss='categorical_crossentropy', units=3, activation='softmax',
               **compile_kwargs):
    np.random.seed(0)
    model = Sequential([Dense(units, input_dim=6), Activation(activation)])
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        model.compile('sgd', loss, metrics=metrics, **compile_kwargs)
    return model


def categorical_acc(pred, y):
    return float(np.mean(pred.argmax(-1) == y.argmax(-1)))


def binary_acc(pred, y):
    return float(np.mean(np.round(pred) == y))


def quiet(fn, *args, **kwargs):
    with pytest.warns(DeprecationWarning):
        return fn(*args, **kwargs)


def test_evaluate_show_accuracy_gives_loss_and_acc():
    model = classifier()
    loss = model.evaluate(X, Y, verbose=0)
    got = quiet(model.evaluate, X, Y, verbose=0, show_accuracy=True)
    assert len(got) == 2
    np.testing.assert_allclose(got[0], loss, rtol=1e-6)
    np.testing.assert_allclose(got[1], categorical_acc(model.predict(X), Y), rtol=1e-6)
    assert model.evaluate(X, Y, verbose=0) == pytest.approx(loss)   # flag off again: loss only
    assert model.metrics_names == ['loss']


def test_fit_show_accuracy_logs_acc_and_val_acc():
    model = classifier()
    history = quiet(model.fit, X, Y, nb_epoch=2, batch_size=10, verbose=0,
                    validation_split=0.2, show_accuracy=True)
    assert set(history.history) == {'loss', 'acc', 'val_loss', 'val_acc'}
    plain = model.fit(X, Y, nb_epoch=1, verbose=0)
    assert set(plain.history) == {'loss'}


def test_fit_show_accuracy_false_warns_and_logs_loss_only():
    model = classifier()
    history = quiet(model.fit, X, Y, nb_epoch=1, verbose=0, show_accuracy=False)
    assert set(history.history) == {'loss'}


def test_train_and_test_on_batch_accuracy():
    model = classifier()
    pred = model.predict(X)
    loss, acc = quiet(model.test_on_batch, X, Y, accuracy=True)
    np.testing.assert_allclose(acc, categorical_acc(pred, Y), rtol=1e-6)
    np.testing.assert_allclose(loss, model.test_on_batch(X, Y), rtol=1e-6)
    loss, acc = quiet(model.train_on_batch, X, Y, accuracy=True)
    np.testing.assert_allclose(acc, categorical_acc(pred, Y), rtol=1e-6)   # before the step


def test_accuracy_after_compiled_metrics():
    model = classifier(metrics=['mse'])
    out = quiet(model.test_on_batch, X, Y, accuracy=True)
    assert len(out) == 3
    np.testing.assert_allclose(out[1], np.mean((model.predict(X) - Y) ** 2), rtol=1e-5)
    np.testing.assert_allclose(out[2], categorical_acc(model.predict(X), Y), rtol=1e-6)


def test_compiled_accuracy_is_not_repeated():
    model = classifier(metrics=['accuracy'])
    assert len(quiet(model.evaluate, X, Y, verbose=0, show_accuracy=True)) == 2


def test_training_with_and_without_the_flag_shares_the_optimizer_state():
    a, b = classifier(), classifier()
    a.compile('rmsprop', 'categorical_crossentropy')
    b.compile('rmsprop', 'categorical_crossentropy')
    for step in range(4):
        a.train_on_batch(X, Y)
        if step % 2:
            quiet(b.train_on_batch, X, Y, accuracy=True)
        else:
            b.train_on_batch(X, Y)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)


def test_generators_show_accuracy():
    model = classifier()

    def gen():
        while True:
            for i in range(0, 30, 10):
                yield X[i:i + 10], Y[i:i + 10]
    history = quiet(model.fit_generator, gen(), 30, 2, verbose=0, show_accuracy=True)
    assert set(history.history) == {'loss', 'acc'}
    loss, acc = quiet(model.evaluate_generator, gen(), 30, show_accuracy=True)
    np.testing.assert_allclose(acc, categorical_acc(model.predict(X), Y), rtol=1e-6)


def test_one_unit_output_uses_binary_accuracy():
    model = classifier(loss='binary_crossentropy', units=1, activation='sigmoid')
    _, acc = quiet(model.evaluate, X, YB, verbose=0, show_accuracy=True)
    np.testing.assert_allclose(acc, binary_acc(model.predict(X), YB), rtol=1e-6)


def test_class_mode_chooses_the_accuracy_and_predict_classes():
    multi = (X[:, :3] > 0.5).astype('float32')
    with pytest.warns(DeprecationWarning, match='class_mode'):
        model = Sequential([Dense(3, input_dim=6), Activation('sigmoid')])
        model.compile('sgd', 'binary_crossentropy', class_mode='binary')
    pred = model.predict(X)
    _, acc = quiet(model.evaluate, X, multi, verbose=0, show_accuracy=True)
    np.testing.assert_allclose(acc, binary_acc(pred, multi), rtol=1e-6)
    np.testing.assert_array_equal(model.predict_classes(X, verbose=0), (pred > 0.5).astype('int32'))
    categorical = classifier(class_mode='categorical')
    np.testing.assert_array_equal(categorical.predict_classes(X, verbose=0),
                                  categorical.predict(X).argmax(-1))


def test_bad_class_mode_is_an_error():
    model = Sequential([Dense(3, input_dim=6)])
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="class_mode.*'sparse'"):
        model.compile('sgd', 'mse', class_mode='sparse')
