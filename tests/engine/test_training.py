import multiprocessing
import re
import threading
import warnings

import numpy as np
import pytest

import symkeras.backend as K
from symkeras import callbacks as cbks
from symkeras import optimizers, regularizers
from symkeras.engine import Input, Layer, merge
from symkeras.engine import training
from symkeras.engine.training import Model, make_batches, batch_shuffle, weighted_objective
from symkeras.utils import generic_utils

RNG = np.random.RandomState(0)


def rand(*shape):
    return RNG.normal(size=shape).astype('float32')


def onehot(labels, n):
    return np.eye(n, dtype='float32')[labels]


# ----------------------------------------------------------------------------- test layers

class Dense(Layer):
    """x W + b, with an optional activation."""

    def __init__(self, output_dim, activation=None, W_regularizer=None, **kwargs):
        self.output_dim = output_dim
        self.activation = activation
        self.W_regularizer = W_regularizer
        super(Dense, self).__init__(**kwargs)

    def build(self, input_shape):
        self.W = self.add_weight((input_shape[-1], self.output_dim), 'glorot_uniform', name='W',
                                 regularizer=self.W_regularizer)
        self.b = self.add_weight((self.output_dim,), 'zero', name='b')

    def call(self, x, mask=None):
        y = K.dot(x, self.W) + self.b
        return self.activation(y) if self.activation else y

    def get_output_shape_for(self, input_shape):
        return input_shape[:-1] + (self.output_dim,)


class TimeDense(Dense):
    """Dense over the last axis of a 3-D input, passing the input mask through."""

    def __init__(self, *args, **kwargs):
        super(TimeDense, self).__init__(*args, **kwargs)
        self.supports_masking = True


class Dropout(Layer):
    def __init__(self, p, **kwargs):
        self.p = p
        self.uses_learning_phase = True
        super(Dropout, self).__init__(**kwargs)

    def call(self, x, mask=None):
        return K.in_train_phase(K.dropout(x, self.p), x)


class MaskZeroSteps(Layer):
    """Identity; masks out time steps whose features are all zero."""

    def call(self, x, mask=None):
        return x * 1

    def compute_mask(self, x, mask=None):
        return K.any(K.not_equal(x, 0), axis=-1)


class Counter(Layer):
    """Identity that adds 1 to a variable at each training step (a layer update)."""

    def build(self, input_shape):
        self.count = K.variable(0., name='counter')
        self.add_update([(self.count, self.count + 1)])

    def call(self, x, mask=None):
        return x * 1


def two_io_model():
    a = Input(shape=(3,), name='in_a')
    b = Input(shape=(4,), name='in_b')
    h = merge([Dense(5, name='da')(a), Dense(5, name='db')(b)], mode='concat')
    out_a = Dense(2, activation=K.softmax, name='out_a')(h)
    out_b = Dense(1, activation=K.sigmoid, name='out_b')(h)
    return Model([a, b], [out_a, out_b])


def two_io_data(n=20):
    return ([rand(n, 3), rand(n, 4)],
            [onehot(RNG.randint(0, 2, n), 2), RNG.randint(0, 2, (n, 1)).astype('float32')])


def logreg(n_in=4, dropout=None):
    x = Input(shape=(n_in,), name='x')
    h = Dropout(dropout)(x) if dropout else x
    return Model(x, Dense(1, activation=K.sigmoid, name='y')(h))


def linearly_separable(n=200, d=4):
    rng = np.random.RandomState(1)
    x = rng.normal(size=(n, d)).astype('float32')
    w = rng.normal(size=(d,))
    return x, (x.dot(w) > 0).astype('float32')[:, None]


# ----------------------------------------------------------------------------- compile

def test_metrics_names_two_outputs():
    model = two_io_model()
    model.compile('sgd', ['categorical_crossentropy', 'binary_crossentropy'],
                  metrics=['accuracy'])
    assert model.metrics_names == ['loss', 'out_a_loss', 'out_b_loss', 'out_a_acc', 'out_b_acc']
    assert len(model.metrics_tensors) == 4
    assert [t.name for t in model.targets] == ['out_a_target', 'out_b_target']
    assert [t.name for t in model.sample_weights] == ['out_a_sample_weights',
                                                      'out_b_sample_weights']
    x, y = two_io_data()
    outs = model.train_on_batch(x, y)
    assert len(outs) == 5 and all(np.ndim(o) == 0 for o in outs)
    # loss = out_a_loss + out_b_loss (weights 1, no regularizers)
    assert outs[0] == pytest.approx(outs[1] + outs[2], rel=1e-5)


def test_metrics_single_output_names_and_custom_metrics():
    def dict_metric(y_true, y_pred):
        return {'m1': K.mean(y_pred), 'm2': K.max(y_pred)}

    model = logreg()
    model.compile('sgd', 'binary_crossentropy', metrics=['acc', 'mse', dict_metric])
    assert model.metrics_names == ['loss', 'acc', 'mean_squared_error', 'm1', 'm2']
    x, y = linearly_separable(10)
    loss, acc, mse, m1, m2 = model.test_on_batch(x, y)
    p = model.predict_on_batch(x)
    assert acc == pytest.approx(np.mean(np.round(p) == y))
    assert mse == pytest.approx(np.mean((p - y) ** 2), rel=1e-5)
    assert m1 == pytest.approx(p.mean(), rel=1e-5) and m2 == pytest.approx(p.max())


def test_metrics_dict_per_output_and_accuracy_flavours():
    model = two_io_model()
    model.compile('sgd', {'out_a': 'categorical_crossentropy', 'out_b': 'mse'},
                  metrics={'out_a': 'accuracy', 'out_b': ['acc', 'mae']})
    assert model.metrics_names == ['loss', 'out_a_loss', 'out_b_loss', 'out_a_acc', 'out_b_acc',
                                   'out_b_mean_absolute_error']
    x, y = two_io_data()
    outs = model.test_on_batch(x, y)
    pa, pb = model.predict_on_batch(x)
    assert outs[3] == pytest.approx(np.mean(pa.argmax(-1) == y[0].argmax(-1)))   # categorical
    assert outs[4] == pytest.approx(np.mean(np.round(pb) == y[1]))               # binary


def test_sparse_categorical_accuracy_and_target_shape():
    x_in = Input(shape=(3,))
    model = Model(x_in, Dense(4, activation=K.softmax)(x_in))
    model.compile('sgd', 'sparse_categorical_crossentropy', metrics=['acc'])
    x = rand(12, 3)
    labels = RNG.randint(0, 4, (12, 1)).astype('float32')
    loss, acc = model.test_on_batch(x, labels)
    p = model.predict(x)
    assert acc == pytest.approx(np.mean(p.argmax(-1) == labels[:, 0]))
    expected = -np.mean(np.log(np.clip(p[np.arange(12), labels[:, 0].astype(int)], 1e-7, 1)))
    assert loss == pytest.approx(expected, rel=1e-4)


def test_loss_weights_list_and_dict():
    x, y = two_io_data()
    results = []
    for weights in ([0.5, 2.0], {'out_b': 2.0, 'out_a': 0.5}):
        np.random.seed(3)
        model = two_io_model()
        model.compile('sgd', 'mse', loss_weights=weights)
        results.append(model.test_on_batch(x, y))
    for loss, la, lb in results:
        assert loss == pytest.approx(0.5 * la + 2.0 * lb, rel=1e-5)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_compile_argument_errors():
    model = two_io_model()
    with pytest.raises(ValueError, match=r"Unknown entries in loss dictionary: \['nope'\]"):
        model.compile('sgd', {'out_a': 'mse', 'out_b': 'mse', 'nope': 'mse'})
    with pytest.raises(ValueError, match='Output "out_b" missing from loss dictionary'):
        model.compile('sgd', {'out_a': 'mse'})
    with pytest.raises(ValueError, match='loss should be a list of 2 entries'):
        model.compile('sgd', ['mse'])
    with pytest.raises(ValueError, match=r"loss_weights dictionary: \['zzz'\]"):
        model.compile('sgd', 'mse', loss_weights={'zzz': 1.})
    with pytest.raises(ValueError, match='loss_weights should be a list of 2'):
        model.compile('sgd', 'mse', loss_weights=[1.])
    with pytest.raises(TypeError, match='Could not interpret loss_weights'):
        model.compile('sgd', 'mse', loss_weights=2.)
    with pytest.raises(ValueError, match=r"metrics dictionary: \['bad'\]"):
        model.compile('sgd', 'mse', metrics={'bad': ['acc']})
    with pytest.raises(TypeError, match='Type of `metrics` argument not understood'):
        model.compile('sgd', 'mse', metrics='acc')
    with pytest.raises(ValueError, match=r"sample_weight_mode dictionary: \['q'\]"):
        model.compile('sgd', 'mse', sample_weight_mode={'q': 'temporal'})
    with pytest.raises(ValueError, match='sample_weight_mode for output "out_a" should be None'):
        model.compile('sgd', 'mse', sample_weight_mode='weird')
    with pytest.raises(ValueError, match='Invalid argument "mode" passed to K.function'):
        model.compile('sgd', 'mse', mode='FAST_COMPILE')
    with pytest.raises(ValueError, match='Invalid objective: no_such_loss'):
        model.compile('sgd', 'no_such_loss')


def test_compile_class_mode_warns_and_name_kwarg_passes():
    model = logreg()
    with pytest.warns(DeprecationWarning, match='class_mode'):
        model.compile('sgd', 'mse', class_mode='binary', name='mine')
    assert model._function_kwargs == {'name': 'mine'}
    assert model.train_function.name == 'mine'


def test_profile_names_the_layer_of_every_instruction():
    """compile(profile=True): every instruction of the train step is labelled with the layer it
    came from (forward or backward), the loss, or the optimizer."""
    from symkeras.layers.core import Dense, Dropout
    from symkeras.models import Sequential
    model = Sequential([Dense(8, activation='relu', input_shape=(5,), name='hidden'),
                        Dropout(0.5, name='drop'), Dense(3, activation='softmax', name='out')])
    model.compile('rmsprop', 'categorical_crossentropy', metrics=['accuracy'], profile=True)
    x = np.random.RandomState(0).rand(16, 5).astype('float32')
    model.fit(x, np.eye(3)[np.arange(16) % 3], batch_size=8, nb_epoch=1, verbose=0)
    rows = model.model.train_function.profile_report().splitlines()
    assert rows
    labels = [re.search(r'\[layer ([^\]]*), at ', r).group(1) for r in rows]
    assert {'hidden (Dense)', 'drop (Dropout)', 'out (Dense)', 'hidden (Dense), backward',
            'out (Dense), backward', 'loss of out', 'metric accuracy of out',
            'optimizer RMSprop'} <= set(labels)
    assert all(lab.split(' (')[0] in ('hidden', 'drop', 'out') or
               lab.startswith(('loss of ', 'metric ', 'optimizer ')) for lab in labels)


def test_functions_built_in_compile_with_phase_input():
    model = logreg(dropout=0.5)
    model.compile('sgd', 'mse')
    n_in = len(model.inputs) + len(model.targets) + len(model.sample_weights)
    assert len(model.train_function._specs) == n_in + 1      # + learning phase
    assert len(model.test_function._specs) == n_in + 1
    assert len(model.predict_function._specs) == len(model.inputs) + 1
    plain = logreg()
    plain.compile('sgd', 'mse')
    assert len(plain.train_function._specs) == n_in


def test_training_needs_compile_but_predicting_does_not():
    model = logreg()
    x = rand(5, 4)
    with pytest.raises(RuntimeError, match='must compile your model before using it'):
        model.fit(x, rand(5, 1), verbose=0)
    with pytest.raises(RuntimeError, match='must compile your model before using it'):
        model.evaluate(x, rand(5, 1), verbose=0)
    before = model.predict(x)                      # Keras 1 predicts with uncompiled models
    np.testing.assert_array_equal(model.predict_on_batch(x), before)
    model.compile('sgd', 'mse')
    np.testing.assert_array_equal(model.predict(x), before)


def test_regularization_loss_added_and_weights_sorted():
    x_in = Input(shape=(3,))
    layer = Dense(2, W_regularizer=regularizers.l2(0.5), name='zz')
    model = Model(x_in, Dense(1, name='aa')(layer(x_in)))
    model.compile('sgd', 'mse')
    names = [w.name for w in model._collected_trainable_weights]
    assert names == sorted(names) == ['aa_W', 'aa_b', 'zz_W', 'zz_b']
    x, y = rand(6, 3), rand(6, 1)
    pred = model.predict(x)
    expected = np.mean((pred - y) ** 2) + 0.5 * np.sum(K.get_value(layer.W) ** 2)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-5)


def test_layer_updates_in_train_only():
    x_in = Input(shape=(2,))
    counter = Counter()
    model = Model(x_in, Dense(1)(counter(x_in)))
    model.compile('sgd', 'mse')
    x, y = rand(10, 2), rand(10, 1)
    model.fit(x, y, batch_size=4, nb_epoch=1, verbose=0)
    assert K.get_value(counter.count) == 3
    model.evaluate(x, y, verbose=0)
    model.predict(x)
    assert K.get_value(counter.count) == 3


# ----------------------------------------------------------------------------- weighting

def test_weighted_objective_formula():
    y_true = K.placeholder(ndim=2)
    y_pred = K.placeholder(ndim=2)
    w = K.placeholder(ndim=1)
    f = K.function([y_true, y_pred, w],
                   [weighted_objective(lambda a, b: K.mean(K.square(a - b), axis=-1))(
                       y_true, y_pred, w)])
    a, b = rand(5, 3), rand(5, 3)
    weights = np.array([1., 0., 2., 0., 1.], 'float32')
    score = ((a - b) ** 2).mean(-1) * weights / np.mean(weights != 0)
    assert f([a, b, weights])[0] == pytest.approx(score.mean(), rel=1e-5)


def test_sample_weight_and_class_weight():
    model = logreg()
    model.compile('sgd', 'mse')
    x, y = linearly_separable(8)
    p = model.predict(x)
    err = ((p - y) ** 2)[:, 0]
    sw = np.arange(8).astype('float32')
    expected = np.mean(err * sw) / np.mean(sw != 0)
    assert model.evaluate(x, y, sample_weight=sw, verbose=0) == pytest.approx(expected, rel=1e-5)
    assert model.test_on_batch(x, y, sample_weight=sw) == pytest.approx(expected, rel=1e-5)
    # class weights map a (n, 1) target's value to a weight
    cw = {0: 1., 1: 3.}
    wts = np.where(y[:, 0] == 1, 3., 1.)
    before = model.get_weights()
    loss = model.train_on_batch(x, y, class_weight=cw)
    assert loss == pytest.approx(np.mean(err * wts) / 1., rel=1e-5)
    assert not all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    with pytest.raises(ValueError, match=r'class_weight has no weight for the classes \[1.0\]'):
        model.train_on_batch(x, y, class_weight={0: 1.})


def test_class_weight_one_hot_uses_argmax_per_output():
    model = two_io_model()
    model.compile('sgd', ['categorical_crossentropy', 'mse'])
    x, y = two_io_data(10)
    cw = {'out_a': {0: 2., 1: 0.}, 'out_b': {0: 1., 1: 5.}}
    sw = {'out_a': np.where(y[0].argmax(-1) == 0, 2., 0.),
          'out_b': np.where(y[1][:, 0] == 1, 5., 1.)}
    expected = model.test_on_batch(x, y, sample_weight=sw)
    # train_on_batch reports the loss before its update
    np.testing.assert_allclose(model.train_on_batch(x, y, class_weight=cw), expected,
                               rtol=1e-5)
    assert expected[0] != pytest.approx(model.test_on_batch(x, y)[0])
    with pytest.raises(ValueError, match=r"class_weight dictionary: \['zz'\]"):
        model.train_on_batch(x, y, class_weight={'zz': {}})


def test_temporal_sample_weights_and_errors():
    x_in = Input(shape=(5, 3))
    model = Model(x_in, TimeDense(2)(x_in))
    model.compile('sgd', 'mse', sample_weight_mode='temporal')
    x, y = rand(4, 5, 3), rand(4, 5, 2)
    sw = RNG.randint(0, 3, (4, 5)).astype('float32')
    p = model.predict(x)
    err = ((p - y) ** 2).mean(-1)
    expected = np.mean(err * sw) / np.mean(sw != 0)
    assert model.test_on_batch(x, y, sample_weight=sw) == pytest.approx(expected, rel=1e-5)
    assert model.test_on_batch(x, y) == pytest.approx(err.mean(), rel=1e-5)
    with pytest.raises(ValueError, match='you should pass a 2D sample_weight array'):
        model.test_on_batch(x, y, sample_weight=np.ones(4))
    flat = logreg()
    flat.compile('sgd', 'mse')
    with pytest.raises(ValueError, match='make sure your sample_weight array is 1D'):
        flat.test_on_batch(rand(4, 4), rand(4, 1), sample_weight=np.ones((4, 1)))
    with pytest.raises(ValueError, match='restricted to outputs that are at least 3D'):
        flat.compile('sgd', 'mse', sample_weight_mode='temporal')
        flat.test_on_batch(rand(4, 4), rand(4, 1))


def test_mask_reaches_the_loss():
    x_in = Input(shape=(4, 2))
    model = Model(x_in, TimeDense(1)(MaskZeroSteps()(x_in)))
    model.compile('sgd', 'mse')
    x = rand(3, 4, 2)
    x[0, 2:] = 0
    x[2, 1] = 0
    y = rand(3, 4, 1)
    p = model.predict(x)
    mask = np.any(x != 0, axis=-1).astype('float32')
    err = ((p - y) ** 2).mean(-1) * mask / mask.mean()
    assert model.test_on_batch(x, y) == pytest.approx(err.mean(), rel=1e-5)


# ----------------------------------------------------------------------------- data checks

def test_input_errors_name_layer_and_shapes():
    model = two_io_model()
    model.compile('sgd', ['categorical_crossentropy', 'binary_crossentropy'])
    x, y = two_io_data(6)
    with pytest.raises(ValueError, match=re.escape(
            'expected in_b to have shape (None, 4) but got array with shape (6, 5)')):
        model.fit([x[0], rand(6, 5)], y, verbose=0)
    with pytest.raises(ValueError, match='expected in_a to have 2 dimensions'):
        model.predict([rand(6, 3, 1), x[1]])
    with pytest.raises(ValueError, match='expected to see 2 arrays'):
        model.predict([x[0]])
    with pytest.raises(ValueError, match=r"no data provided for \['in_b'\]"):
        model.predict({'in_a': x[0]})
    with pytest.raises(ValueError, match=r"unknown keys \['in_c'\]"):
        model.predict({'in_a': x[0], 'in_b': x[1], 'in_c': x[1]})
    with pytest.raises(ValueError, match='Found 6 input samples and 5 target samples'):
        model.fit(x, [y[0][:5], y[1][:5]], verbose=0)
    with pytest.raises(ValueError, match='All input arrays'):
        model.fit([x[0], x[1][:4]], y, verbose=0)
    with pytest.raises(ValueError, match='All target arrays'):
        model.fit(x, [y[0], y[1][:4]], verbose=0)
    single = Model(model.inputs, model.outputs[1])
    single.compile('sgd', 'categorical_crossentropy')
    with pytest.raises(ValueError, match='expects targets to be binary matrices'):
        single.fit(x, y[1], verbose=0)
    with pytest.raises(ValueError, match=re.escape(
            'Error when checking model target: expected out_a to have shape (None, 2) but got '
            'array with shape (6, 3)')):
        model.fit(x, [np.ones((6, 3)), y[1]], verbose=0)
    with pytest.raises(ValueError, match=re.escape(
            'Found a sample_weight array of shape (5,) for a target of shape (6, 1)')):
        model.fit(x, y, sample_weight=[np.ones(6), np.ones(5)], verbose=0)


def test_dict_data_by_layer_name():
    model = two_io_model()
    model.compile('sgd', 'mse')
    x, y = two_io_data(8)
    by_list = model.evaluate(x, y, verbose=0)
    by_dict = model.evaluate({'in_b': x[1], 'in_a': x[0]}, {'out_a': y[0], 'out_b': y[1]},
                             verbose=0)
    np.testing.assert_allclose(by_list, by_dict, rtol=1e-6)


def test_one_d_targets_become_columns_and_float64_inputs():
    model = logreg()
    model.compile('sgd', 'binary_crossentropy')
    x, y = linearly_separable(16)
    hist = model.fit(x.astype('float64'), y[:, 0], nb_epoch=1, verbose=0)
    assert len(hist.history['loss']) == 1


# ----------------------------------------------------------------------------- fit

def test_logistic_regression_trains_to_high_accuracy():
    x, y = linearly_separable(300)
    model = logreg()
    model.compile(optimizers.SGD(lr=0.5), 'binary_crossentropy', metrics=['accuracy'])
    hist = model.fit(x, y, batch_size=16, nb_epoch=30, verbose=0)
    assert hist.history['acc'][-1] > 0.97
    assert hist.history['loss'][-1] < hist.history['loss'][0]
    assert np.mean(model.predict_classes(x, verbose=0) == y) > 0.97


def test_history_keys_and_validation_split_is_last_fraction():
    x, y = linearly_separable(50)
    model = logreg()
    model.compile('sgd', 'binary_crossentropy', metrics=['acc'])
    seen = []

    class Record(cbks.Callback):
        def on_batch_begin(self, batch, logs=None):
            seen.append(logs['size'])

    hist = model.fit(x, y, batch_size=16, nb_epoch=2, validation_split=0.2, verbose=0,
                     callbacks=[Record()])
    assert sorted(hist.history) == ['acc', 'loss', 'val_acc', 'val_loss']
    assert hist.epoch == [0, 1] and model.history is hist
    assert seen == [16, 16, 8] * 2           # 40 training samples
    val_loss, val_acc = model.evaluate(x[40:], y[40:], verbose=0)
    assert hist.history['val_loss'][-1] == pytest.approx(val_loss, rel=1e-6)
    assert hist.history['val_acc'][-1] == pytest.approx(val_acc, rel=1e-6)
    np.testing.assert_array_equal(model.validation_data[0], x[40:])


def test_validation_data_with_sample_weights():
    x, y = linearly_separable(30)
    model = logreg()
    model.compile('sgd', 'mse')
    sw = np.linspace(0, 1, 10).astype('float32')
    hist = model.fit(x[:20], y[:20], nb_epoch=1, verbose=0,
                     validation_data=(x[20:], y[20:], sw))
    assert hist.history['val_loss'][0] == pytest.approx(
        model.evaluate(x[20:], y[20:], sample_weight=sw, verbose=0), rel=1e-6)
    with pytest.raises(ValueError, match='must contain 2 .* or 3 .* however it contains 1'):
        model.fit(x, y, validation_data=(x,), verbose=0)
    with pytest.raises(ValueError, match='validation_split must be in'):
        model.fit(x, y, validation_split=1.5, verbose=0)


def test_shuffle_modes():
    x = np.arange(10, dtype='float32')[:, None] * np.ones((1, 4), 'float32')
    y = np.zeros((10, 1), 'float32')
    model = logreg()
    model.compile('sgd', 'mse')
    order = []
    original = model.train_function

    def spy(ins):
        order.append(ins[0][:, 0].astype(int).tolist())
        return original(ins)

    model.train_function = spy
    model.fit(x, y, batch_size=4, nb_epoch=1, shuffle=False, verbose=0)
    assert order == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    order[:] = []
    model.fit(x, y, batch_size=4, nb_epoch=1, shuffle=True, verbose=0)
    flat = sum(order, [])
    assert sorted(flat) == list(range(10)) and flat != list(range(10))
    order[:] = []
    model.fit(x, y, batch_size=3, nb_epoch=3, shuffle='batch', verbose=0)
    for epoch in range(3):
        batches = order[epoch * 4:(epoch + 1) * 4]
        assert batches[-1] == [9]
        assert sorted(b[0] for b in batches[:3]) == [0, 3, 6]
        assert all(b == list(range(b[0], b[0] + 3)) for b in batches[:3])
    with pytest.raises(ValueError, match="shuffle must be True, False or 'batch'"):
        model.fit(x, y, shuffle='yes', verbose=0)


def test_batch_helpers():
    assert make_batches(10, 4) == [(0, 4), (4, 8), (8, 10)]
    assert make_batches(0, 4) == []
    np.random.seed(0)
    out = batch_shuffle(np.arange(7), 3)
    assert sorted(out[:6].tolist()) == list(range(6)) and out[6] == 6


def test_callback_order_params_initial_epoch_and_stop_training():
    events = []

    class Tracker(cbks.Callback):
        def on_train_begin(self, logs=None):
            events.append(('train_begin', sorted(self.params)))

        def on_epoch_begin(self, epoch, logs=None):
            events.append(('epoch_begin', epoch))

        def on_batch_end(self, batch, logs=None):
            events.append(('batch_end', batch, sorted(logs)))

        def on_epoch_end(self, epoch, logs=None):
            events.append(('epoch_end', epoch, sorted(logs)))
            if epoch == 3:
                self.model.stop_training = True

        def on_train_end(self, logs=None):
            events.append(('train_end',))

    x, y = linearly_separable(10)
    model = logreg()
    model.compile('sgd', 'binary_crossentropy', metrics=['acc'])
    tracker = Tracker()
    hist = model.fit(x, y, batch_size=8, nb_epoch=10, initial_epoch=2, callbacks=[tracker],
                     validation_data=(x, y), verbose=0)
    assert hist.epoch == [2, 3]
    assert events[0] == ('train_begin', ['batch_size', 'do_validation', 'metrics', 'nb_epoch',
                                         'nb_sample', 'verbose'])
    assert tracker.params['metrics'] == ['loss', 'acc', 'val_loss', 'val_acc']
    assert tracker.params['nb_sample'] == 10 and tracker.params['do_validation'] is True
    assert events[1:5] == [('epoch_begin', 2), ('batch_end', 0, ['acc', 'batch', 'loss', 'size']),
                           ('batch_end', 1, ['acc', 'batch', 'loss', 'size']),
                           ('epoch_end', 2, ['acc', 'loss', 'val_acc', 'val_loss'])]
    assert events[-1] == ('train_end',) and len(events) == 10
    # BaseLogger ran before the user callback (the epoch means were there), History last.
    assert tracker.model is model


def test_user_callbacks_sit_between_base_logger_and_history(monkeypatch):
    made = []
    real = cbks.CallbackList.__init__

    def capture(self, callbacks=None, queue_length=10):
        made.append([type(c).__name__ for c in callbacks])
        real(self, callbacks, queue_length)

    monkeypatch.setattr(cbks.CallbackList, '__init__', capture)
    model = logreg()
    model.compile('sgd', 'mse')
    x, y = linearly_separable(4)
    model.fit(x, y, nb_epoch=1, verbose=0, callbacks=[cbks.LambdaCallback()])
    model.fit(x, y, nb_epoch=1, verbose=2, callbacks=[cbks.LambdaCallback()])
    assert made == [['BaseLogger', 'LambdaCallback', 'History'],
                    ['BaseLogger', 'LambdaCallback', 'History', 'ProgbarLogger']]


@pytest.mark.filterwarnings('ignore:Method on_batch')
def test_verbose_output_format(capsys, monkeypatch):
    clock = iter(np.arange(0, 1000, 0.5))
    monkeypatch.setattr(generic_utils.time, 'time', lambda: float(next(clock)))
    x, y = linearly_separable(20)
    model = logreg()
    model.compile('sgd', 'binary_crossentropy', metrics=['acc'])
    model.fit(x, y, batch_size=10, nb_epoch=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == 'Epoch 1/2' and lines[2] == 'Epoch 2/2' and len(lines) == 4
    assert re.fullmatch(r'\d+s - loss: \d\.\d{4} - acc: \d\.\d{4}', lines[1])
    model.fit(x, y, batch_size=10, nb_epoch=1, verbose=1, validation_data=(x, y))
    out = capsys.readouterr().out
    assert out.startswith('Epoch 1/1\n')
    final = out.split('\r')[-1]
    assert re.fullmatch(r'20/20 \[={30}\] - \d+s - loss: \d\.\d{4} - acc: \d\.\d{4} - '
                        r'val_loss: \d\.\d{4} - val_acc: \d\.\d{4}\n', final)
    assert '10/20 [==============>...............] - ETA: ' in out


def test_evaluate_verbose_prints_progress(capsys):
    model = logreg()
    model.compile('sgd', 'mse')
    x, y = linearly_separable(8)
    model.evaluate(x, y, batch_size=8, verbose=1)
    assert re.search(r'8/8 \[={30}\] - \d+s\n$', capsys.readouterr().out)


def test_fit_argument_errors():
    model = logreg()
    model.compile('sgd', 'mse')
    x, y = linearly_separable(8)
    with pytest.raises(ValueError, match='batch_size must be a positive integer'):
        model.fit(x, y, batch_size=0, verbose=0)
    for call in (lambda: model.fit(x[:0], y[:0], verbose=0),
                 lambda: model.evaluate(x[:0], y[:0], verbose=0),
                 lambda: model.predict(x[:0])):
        with pytest.raises(ValueError, match=r'have no samples \(shapes \[\(0, 4\)'):
            call()


def test_duplicate_metric_labels_get_suffixes_in_logs():
    model = logreg()
    model.compile('sgd', 'mse', metrics=['mse', 'mse'])
    assert model.metrics_names == ['loss', 'mean_squared_error', 'mean_squared_error']
    x, y = linearly_separable(8)
    hist = model.fit(x, y, nb_epoch=1, verbose=0)
    assert sorted(hist.history) == ['loss', 'mean_squared_error', 'mean_squared_error_2']


# ----------------------------------------------------------------------------- evaluate, predict

def test_evaluate_and_predict_shapes_and_batching():
    model = two_io_model()
    model.compile('sgd', ['categorical_crossentropy', 'binary_crossentropy'],
                  metrics=['acc'])
    x, y = two_io_data(23)
    res = model.evaluate(x, y, batch_size=5, verbose=0)
    assert isinstance(res, list) and len(res) == 5
    # batch-size weighted means equal the one-batch values
    np.testing.assert_allclose(res, model.test_on_batch(x, y), rtol=1e-5)
    pa, pb = model.predict(x, batch_size=5)
    assert pa.shape == (23, 2) and pb.shape == (23, 1)
    full_a, full_b = model.predict_on_batch(x)
    np.testing.assert_allclose(pa, full_a, rtol=1e-6)
    classes = model.predict_classes(x, verbose=0)
    np.testing.assert_array_equal(classes[0], pa.argmax(-1))
    np.testing.assert_array_equal(classes[1], (pb > 0.5).astype('int32'))
    single = logreg()
    single.compile('sgd', 'mse')
    assert np.ndim(single.evaluate(rand(7, 4), rand(7, 1), verbose=0)) == 0
    assert single.predict(rand(7, 4), batch_size=3).shape == (7, 1)


def test_predict_proba_warns_outside_unit_interval():
    x_in = Input(shape=(3,))
    model = Model(x_in, Dense(2)(x_in))
    model.compile('sgd', 'mse')
    with pytest.warns(UserWarning, match='invalid probability values'):
        model.predict_proba(rand(5, 3) * 100, verbose=0)
    probs = logreg()
    probs.compile('sgd', 'mse')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        p = probs.predict_proba(rand(5, 4), verbose=0)
    assert p.shape == (5, 1)


def test_dropout_learning_phase():
    x_in = Input(shape=(50,))
    layer = Dense(1)
    model = Model(x_in, layer(Dropout(0.5)(x_in)))
    model.compile('sgd', 'mse')
    layer.set_weights([np.ones((50, 1), 'float32'), np.zeros(1, 'float32')])
    x = np.ones((4, 50), 'float32')
    np.testing.assert_allclose(model.predict(x), 50.)                 # phase 0: no dropout
    y = np.zeros((4, 1), 'float32')
    assert model.test_on_batch(x, y) == pytest.approx(2500.)
    train_pred = model.train_function([x, y, np.ones(4, 'float32'), np.uint8(1)])[0]
    assert train_pred != pytest.approx(2500.)                         # phase 1: dropout


def test_train_on_batch_batch_dim_checked_for_fixed_batch():
    x_in = Input(batch_shape=(4, 2))
    model = Model(x_in, Dense(1)(x_in))
    model.compile('sgd', 'mse')
    with pytest.raises(ValueError, match=re.escape('expected input_')):
        model.train_on_batch(rand(3, 2), rand(3, 1))
    assert np.ndim(model.train_on_batch(rand(4, 2), rand(4, 1))) == 0


# ----------------------------------------------------------------------------- determinism

DETERMINISM_SCRIPT = """
import sys
import numpy as np
sys.path.insert(0, %r)
from test_training import linearly_separable, logreg
np.random.seed(42)
model = logreg(dropout=0.3)
model.compile('adam', 'binary_crossentropy')
x, y = linearly_separable(64)
model.fit(x, y, batch_size=10, nb_epoch=3, verbose=0)
sys.stdout.write(''.join(w.tobytes().hex() for w in model.get_weights()))
"""


@pytest.mark.parametrize('dropout', [0.0, 0.3])
def test_determinism_bit_identical_in_process(dropout):
    def run():
        np.random.seed(42)
        model = logreg(dropout=dropout)
        model.compile('adam', 'binary_crossentropy')
        x, y = linearly_separable(64)
        model.fit(x, y, batch_size=10, nb_epoch=3, verbose=0)
        return model.get_weights()

    first, second = run(), run()
    for a, b in zip(first, second):
        assert np.array_equal(a, b)


def test_determinism_bit_identical_across_runs_with_dropout():
    import os
    import subprocess
    import sys
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    script = DETERMINISM_SCRIPT % here
    outs = [subprocess.run([sys.executable, '-c', script], check=True, capture_output=True,
                           text=True, cwd=root).stdout for _ in range(2)]
    assert len(outs[0]) > 0 and outs[0] == outs[1]


# ----------------------------------------------------------------------------- generators

def batches(x, y, batch_size, sw=None):
    while True:
        for start in range(0, len(x), batch_size):
            item = (x[start:start + batch_size], y[start:start + batch_size])
            if sw is not None:
                item += (sw[start:start + batch_size],)
            yield item


@pytest.mark.parametrize('pickle_safe', [False, True])
def test_fit_generator_trains(pickle_safe):
    x, y = linearly_separable(200)
    model = logreg()
    model.compile(optimizers.SGD(lr=0.5), 'binary_crossentropy', metrics=['acc'])
    hist = model.fit_generator(batches(x, y, 20), samples_per_epoch=200, nb_epoch=15,
                               verbose=0, validation_data=(x[:50], y[:50]),
                               pickle_safe=pickle_safe, nb_worker=2 if pickle_safe else 1)
    assert sorted(hist.history) == ['acc', 'loss', 'val_acc', 'val_loss']
    assert hist.history['acc'][-1] > 0.9
    assert model.evaluate_generator(batches(x, y, 50), 200,
                                    pickle_safe=pickle_safe)[1] > 0.9


def test_generator_validation_sample_weights_and_overshoot_warning():
    x, y = linearly_separable(40)
    model = logreg()
    model.compile('sgd', 'mse')
    with pytest.warns(UserWarning, match='Epoch comprised more than `samples_per_epoch`'):
        hist = model.fit_generator(batches(x, y, 15, sw=np.ones(40)), samples_per_epoch=20,
                                   nb_epoch=1, verbose=0,
                                   validation_data=batches(x, y, 10), nb_val_samples=40)
    assert hist.history['val_loss'][0] == pytest.approx(model.evaluate(x, y, verbose=0),
                                                        rel=1e-5)
    with pytest.raises(ValueError, match='must specify a value for "nb_val_samples"'):
        model.fit_generator(batches(x, y, 10), 20, 1, validation_data=batches(x, y, 10))


def test_evaluate_and_predict_generator():
    model = two_io_model()
    model.compile('sgd', 'mse', metrics=['mae'])
    x, y = two_io_data(30)

    def gen(with_y):
        while True:
            for s in range(0, 30, 10):
                xs = [x[0][s:s + 10], x[1][s:s + 10]]
                yield (xs, [y[0][s:s + 10], y[1][s:s + 10]]) if with_y else xs

    np.testing.assert_allclose(model.evaluate_generator(gen(True), 30),
                               model.evaluate(x, y, verbose=0), rtol=1e-5)
    pa, pb = model.predict_generator(gen(False), 30)
    full = model.predict(x)
    np.testing.assert_allclose(pa, full[0], rtol=1e-6)
    np.testing.assert_allclose(pb, full[1], rtol=1e-6)
    pa2, _ = model.predict_generator(gen(True), 30, pickle_safe=True)
    np.testing.assert_allclose(pa2, full[0], rtol=1e-6)


@pytest.mark.parametrize('pickle_safe', [False, True])
def test_raising_generator_reaches_caller(pickle_safe):
    model = logreg()
    model.compile('sgd', 'mse')
    x, y = linearly_separable(20)

    def bad():
        yield x[:10], y[:10]
        raise KeyError('broken generator')

    with pytest.raises(KeyError, match='broken generator'):
        model.fit_generator(bad(), samples_per_epoch=20, nb_epoch=2, verbose=0,
                            pickle_safe=pickle_safe)
    with pytest.raises(KeyError, match='broken generator'):
        model.evaluate_generator(bad(), 20, pickle_safe=pickle_safe)
    # the workers are gone
    assert multiprocessing.active_children() == []
    assert not [t for t in threading.enumerate() if t.name != 'MainThread' and
                getattr(t, '_target', None) is training._thread_worker]


def test_generator_enqueuer_order_and_stop():
    enqueuer = training.GeneratorEnqueuer(iter(range(100)))
    enqueuer.start(max_q_size=3)
    assert [enqueuer.get() for _ in range(5)] == [0, 1, 2, 3, 4]
    worker = enqueuer.workers[0]
    enqueuer.stop()
    assert not worker.is_alive() and enqueuer.workers == []
    with pytest.raises(ValueError, match='nb_worker and max_q_size must be >= 1'):
        training.GeneratorEnqueuer(iter([])).start(max_q_size=0)


def test_bad_generator_outputs():
    model = logreg()
    model.compile('sgd', 'mse')
    x, y = linearly_separable(10)

    def gen(item):
        while True:
            yield item

    with pytest.raises(ValueError, match=r'output of generator should be a tuple'):
        model.fit_generator(gen([x, y]), 10, 1, verbose=0)
    with pytest.raises(ValueError, match=r'output of generator should be a tuple'):
        model.evaluate_generator(gen((x,)), 10)
    with pytest.raises(ValueError, match='is not an array'):
        model.predict_generator(gen('text'), 10)
    with pytest.raises(ValueError, match='stopped \\(StopIteration\\) before enough samples'):
        model.evaluate_generator(iter([(x, y)]), 20)
    with pytest.raises(TypeError, match='Expected a generator'):
        model.predict_generator([x], 10)
    with pytest.raises(ValueError, match='val_samples must be a positive integer'):
        model.predict_generator(gen(x), 0)
    with pytest.warns(UserWarning, match='"nb_worker" argument is ignored'):
        model.predict_generator(gen(x), 10, nb_worker=3)


# ----------------------------------------------------------------------------- loop internals

def test_each_batch_shape_specialised_once():
    model = logreg()
    model.compile('sgd', 'mse')
    x, y = linearly_separable(10)
    model.fit(x, y, batch_size=4, nb_epoch=3, verbose=0)
    # (4, ...) and the last batch (2, ...): two specialisations for 9 calls
    assert len(model.train_function._cache) == 2
    assert model.train_function._step == 9


class Stateful(Layer):
    """Identity with a state variable carried from batch to batch."""
    stateful = True

    def build(self, input_shape):
        self.state = K.variable(0., name='state')
        self.add_update([(self.state, self.state + 1)])

    def call(self, x, mask=None):
        return x * 1


def test_stateful_models_need_whole_batches_and_run_state_updates():
    x_in = Input(batch_shape=(4, 2))
    layer = Stateful()
    model = Model(x_in, Dense(1)(layer(x_in)))
    model.compile('sgd', 'mse')
    with pytest.raises(ValueError, match='Found: 10 samples. Batch size: 4'):
        model.fit(rand(10, 2), rand(10, 1), batch_size=4, verbose=0)
    with pytest.raises(ValueError, match='Found: 10 samples. Batch size: 4'):
        model.predict(rand(10, 2), batch_size=4)
    model.predict(rand(8, 2), batch_size=4)
    assert K.get_value(layer.state) == 2          # state updates run at prediction too


def test_callback_model_receives_callbacks():
    model = logreg()
    model.compile('sgd', 'mse')
    outer = type('Outer', (), {})()
    model.callback_model = outer
    got = []
    x, y = linearly_separable(8)
    model.fit(x, y, nb_epoch=1, verbose=0,
              callbacks=[cbks.LambdaCallback(on_train_end=lambda logs: got.append(1))])
    assert outer.stop_training is False and got == [1]


def test_unpicklable_yield_in_a_process_is_reported():
    model = logreg()
    model.compile('sgd', 'mse')

    def gen():
        while True:
            yield (lambda: 0), None

    with pytest.raises(RuntimeError, match='cannot pickle'):
        model.predict_generator(gen(), 10, pickle_safe=True)


def test_slice_X():
    from symkeras.engine.training import slice_X
    a, b = np.arange(12).reshape(6, 2), np.arange(6)
    np.testing.assert_array_equal(slice_X(a, 1, 3), a[1:3])
    np.testing.assert_array_equal(slice_X(a, 4), a[4:])
    np.testing.assert_array_equal(slice_X(a, [5, 0]), a[[5, 0]])
    x, y = slice_X([a, b], np.array([2, 3]))
    np.testing.assert_array_equal(x, a[2:4])
    np.testing.assert_array_equal(y, b[2:4])
