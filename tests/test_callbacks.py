"""symkeras.callbacks, driven by hand the way Keras 1.2.2's training loop drives them, with a
stand-in model (stop_training, optimizer.lr, save/save_weights)."""
import contextlib
import json
import socket
import threading
import types
import urllib.parse
import warnings
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest

import symkeras.backend as K
from symkeras import callbacks as cbks
from symkeras.utils import generic_utils


class StandInModel(object):
    """What callbacks use of a model: stop_training, optimizer.lr and the two save methods
    (which record their calls and write a file)."""

    def __init__(self, lr=0.01):
        self.stop_training = False
        self.optimizer = types.SimpleNamespace(lr=K.variable(lr))
        self.calls = []

    def _write(self, kind, filepath, overwrite):
        self.calls.append((kind, str(filepath), overwrite))
        with open(filepath, 'w') as f:
            f.write(kind)

    def save(self, filepath, overwrite=True):
        self._write('save', filepath, overwrite)

    def save_weights(self, filepath, overwrite=True):
        self._write('save_weights', filepath, overwrite)


def params(metrics=('loss',), nb_sample=4, nb_epoch=1, verbose=0, batch_size=2):
    return {'batch_size': batch_size, 'nb_epoch': nb_epoch, 'nb_sample': nb_sample,
            'verbose': verbose, 'do_validation': any(m.startswith('val_') for m in metrics),
            'metrics': list(metrics)}


def fit(callbacks, epoch_logs, model=None, batch_logs=None, metrics=('loss', 'val_loss'),
        nb_sample=4, verbose=0):
    """Keras 1.2.2's _fit_loop around the callbacks: epoch_logs[i] are epoch i's logs (given
    to on_epoch_end), batch_logs the logs of every epoch's batches; stops when the model asks.
    Returns the model and the epochs run."""
    model = model or StandInModel()
    cl = cbks.CallbackList(callbacks)
    cl.set_model(model)
    cl.set_params(params(metrics, nb_sample=nb_sample, nb_epoch=len(epoch_logs),
                         verbose=verbose))
    cl.on_train_begin()
    model.stop_training = False
    ran = []
    for epoch, logs in enumerate(epoch_logs):
        cl.on_epoch_begin(epoch)
        for i, blog in enumerate(batch_logs or []):
            cl.on_batch_begin(i, {'batch': i, 'size': blog['size']})
            cl.on_batch_end(i, dict(blog, batch=i))
        cl.on_epoch_end(epoch, logs)
        ran.append(epoch)
        if model.stop_training:
            break
    cl.on_train_end()
    return model, ran


class Recorder(cbks.Callback):
    def __init__(self, name, events):
        super(Recorder, self).__init__()
        self.name, self.events = name, events

    def on_train_begin(self, logs=None):
        self.events.append((self.name, 'train_begin', logs))

    def on_train_end(self, logs=None):
        self.events.append((self.name, 'train_end', logs))

    def on_epoch_begin(self, epoch, logs=None):
        self.events.append((self.name, 'epoch_begin', epoch, logs))

    def on_epoch_end(self, epoch, logs=None):
        self.events.append((self.name, 'epoch_end', epoch, logs))

    def on_batch_begin(self, batch, logs=None):
        self.events.append((self.name, 'batch_begin', batch, logs))

    def on_batch_end(self, batch, logs=None):
        self.events.append((self.name, 'batch_end', batch, logs))


class FakeClock(object):
    """Stands for the `time` module of symkeras.callbacks / generic_utils."""

    def __init__(self, now=100.0):
        self.now = now

    def time(self):
        return self.now


@contextlib.contextmanager
def no_warnings():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        yield
    assert [str(w.message) for w in caught] == []


# ---------------------------------------------------------------- Callback, CallbackList

def test_callback_base_stores_params_and_model_and_hooks_do_nothing():
    cb = cbks.Callback()
    assert cb.params == {} and cb.model is None
    model, p = StandInModel(), params()
    cb.set_params(p)
    cb.set_model(model)
    assert cb.params is p and cb.model is model
    for hook in (cb.on_epoch_begin, cb.on_epoch_end, cb.on_batch_begin, cb.on_batch_end):
        assert hook(0) is None and hook(1, {'loss': 1.0}) is None
    assert cb.on_train_begin() is None and cb.on_train_end({'x': 1}) is None


def test_callback_list_dispatches_every_hook_in_order_with_the_same_logs():
    events = []
    a, b = Recorder('a', events), Recorder('b', events)
    cl = cbks.CallbackList([a])
    cl.append(b)
    assert cl.callbacks == [a, b] and cl.queue_length == 10
    model, p = StandInModel(), params()
    cl.set_model(model)
    cl.set_params(p)
    assert a.model is model and b.model is model and a.params is p and b.params is p
    logs = {'loss': 0.5}
    cl.on_train_begin()
    cl.on_epoch_begin(0)
    cl.on_batch_begin(0, {'batch': 0, 'size': 2})
    cl.on_batch_end(0, logs)
    cl.on_epoch_end(0, logs)
    cl.on_train_end()
    assert [e[:2] for e in events] == [(n, k) for k in (
        'train_begin', 'epoch_begin', 'batch_begin', 'batch_end', 'epoch_end', 'train_end')
        for n in 'ab']
    assert events[0][2] == {} and events[0][2] is events[1][2]      # None becomes one {}
    assert events[6][3] is logs and events[7][3] is logs
    assert events[8][3] is logs and events[9][3] is logs


def test_callback_list_copies_the_list_and_accepts_none():
    given = [cbks.Callback()]
    cl = cbks.CallbackList(given)
    cl.append(cbks.Callback())
    assert len(given) == 1 and len(cl.callbacks) == 2
    empty = cbks.CallbackList()
    assert empty.callbacks == []
    empty.on_epoch_begin(0)
    empty.on_batch_begin(0)
    empty.on_batch_end(0)
    empty.on_epoch_end(0)


def test_callback_list_passes_the_callers_epoch_logs_on():
    """BaseLogger's epoch means land in the dict the training loop passed, even an empty one."""
    epoch_logs = {}
    fit([cbks.BaseLogger()], [epoch_logs], batch_logs=[{'size': 2, 'loss': 1.0}],
        metrics=('loss',))
    assert epoch_logs == {'loss': 1.0}


@pytest.mark.parametrize('queue_length, error', [
    (0, ValueError), (-1, ValueError), (2.5, ValueError), (None, TypeError), (True, TypeError),
    ('3', TypeError)])
def test_callback_list_rejects_a_bad_queue_length(queue_length, error):
    with pytest.raises(error, match='CallbackList: queue_length must be a whole number >= 1; '
                                    'got %r' % (queue_length,)):
        cbks.CallbackList([], queue_length=queue_length)


def test_callback_list_accepts_numpy_and_whole_float_queue_lengths():
    assert cbks.CallbackList([], queue_length=np.int64(3)).queue_length == 3
    assert type(cbks.CallbackList([], queue_length=4.0).queue_length) is int


class SlowOn(cbks.Callback):
    """Advances the fake clock by `cost` in the hook named `hook` (on the batches listed)."""

    def __init__(self, clock, hook, cost, batches=None):
        super(SlowOn, self).__init__()
        self.clock, self.hook, self.cost, self.batches = clock, hook, cost, batches

    def _spend(self, hook, batch):
        if hook == self.hook and (self.batches is None or batch in self.batches):
            self.clock.now += self.cost

    def on_batch_begin(self, batch, logs=None):
        self._spend('begin', batch)

    def on_batch_end(self, batch, logs=None):
        self._spend('end', batch)


def run_batches(monkeypatch, callback_factory, n_batches, batch_time=0.2, queue_length=10):
    clock = FakeClock(0.0)
    monkeypatch.setattr(cbks, 'time', clock)
    cl = cbks.CallbackList([callback_factory(clock)], queue_length=queue_length)
    cl.on_epoch_begin(0)
    for i in range(n_batches):
        cl.on_batch_begin(i)
        clock.now += batch_time             # the batch update itself
        cl.on_batch_end(i)


def test_callback_list_warns_when_on_batch_begin_is_slower_than_the_batch(monkeypatch):
    with pytest.warns(UserWarning) as caught:
        run_batches(monkeypatch, lambda c: SlowOn(c, 'begin', 0.5), 2)
    assert [str(w.message) for w in caught] == [
        'Method on_batch_begin() is slow compared to the batch update (0.500000). '
        'Check your callbacks.']


def test_callback_list_warns_when_on_batch_end_is_slower_than_the_batch(monkeypatch):
    with pytest.warns(UserWarning) as caught:
        run_batches(monkeypatch, lambda c: SlowOn(c, 'end', 0.25), 2)
    assert [str(w.message) for w in caught] == [
        'Method on_batch_end() is slow compared to the batch update (0.250000). '
        'Check your callbacks.'] * 2


def test_callback_list_does_not_warn_under_a_tenth_of_a_second_or_when_fast(monkeypatch):
    with no_warnings():
        run_batches(monkeypatch, lambda c: SlowOn(c, 'end', 0.09), 3, batch_time=0.01)
        run_batches(monkeypatch, lambda c: SlowOn(c, 'end', 0.15), 3, batch_time=0.2)


def test_callback_list_queue_length_sets_the_median_window(monkeypatch):
    slow_third = lambda c: SlowOn(c, 'end', 0.5, batches=(2,))        # noqa: E731
    with no_warnings():                       # median of (0, 0, 0.5) is 0
        run_batches(monkeypatch, slow_third, 3, queue_length=10)
    with pytest.warns(UserWarning, match=r'on_batch_end\(\) is slow .*\(0.500000\)'):
        run_batches(monkeypatch, slow_third, 3, queue_length=1)


# ---------------------------------------------------------------- BaseLogger, History

def test_base_logger_writes_batch_size_weighted_means_of_the_metrics():
    logger = cbks.BaseLogger()
    epoch_logs = [{'val_loss': 0.7}, {'val_loss': 0.6}]
    batches = [{'size': 3, 'loss': 1.0, 'acc': np.float32(0.5), 'other': 9.0},
               {'size': 1, 'loss': 3.0, 'acc': np.float32(1.0), 'other': 9.0}]
    fit([logger], epoch_logs, batch_logs=batches, metrics=('loss', 'acc', 'val_loss'))
    # (3 * 1 + 1 * 3) / 4 and (3 * 0.5 + 1) / 4; 'other' is not a metric; val_loss untouched.
    assert epoch_logs[0] == {'val_loss': 0.7, 'loss': 1.5, 'acc': 0.625}
    assert epoch_logs[1] == {'val_loss': 0.6, 'loss': 1.5, 'acc': 0.625}   # reset per epoch
    assert logger.seen == 4


def test_base_logger_tolerates_missing_logs():
    logger = cbks.BaseLogger()
    logger.set_params(params())
    logger.on_epoch_begin(0)
    logger.on_batch_end(0)
    logger.on_epoch_end(0)
    assert logger.seen == 0 and logger.totals == {}


def test_history_records_epochs_and_lists_of_values():
    history = cbks.History()
    fit([history], [{'loss': 1.0, 'val_loss': 2.0}, {'loss': 0.5, 'val_loss': 1.5}])
    assert history.epoch == [0, 1]
    assert history.history == {'loss': [1.0, 0.5], 'val_loss': [2.0, 1.5]}
    fit([history], [{'loss': 3.0}])           # a new fit starts a new record
    assert history.epoch == [0] and history.history == {'loss': [3.0]}


# ---------------------------------------------------------------- ProgbarLogger

def drive_progbar_logger(monkeypatch, verbose, nb_epoch=1):
    """5 samples in batches of 2, 2, 1; the fake clock moves 1 s per batch."""
    clock = FakeClock(100.0)
    monkeypatch.setattr(generic_utils, 'time', clock)
    logger = cbks.ProgbarLogger()
    logger.set_params(params(('loss', 'val_loss'), nb_sample=5, nb_epoch=nb_epoch,
                             verbose=verbose))
    logger.on_train_begin()
    for epoch in range(nb_epoch):
        clock.now = 100.0
        logger.on_epoch_begin(epoch)
        for i, (size, loss) in enumerate([(2, 0.5), (2, 0.3), (1, 0.2)]):
            logger.on_batch_begin(i, {'batch': i, 'size': size})
            clock.now += 1.0
            logger.on_batch_end(i, {'batch': i, 'size': size, 'loss': loss, 'other': 7.0})
        logger.on_epoch_end(epoch, {'val_loss': 0.25})
    return logger


def test_progbar_logger_verbose_1_output(monkeypatch, capsys):
    drive_progbar_logger(monkeypatch, verbose=1)
    out = capsys.readouterr().out
    first = '2/5 [===========>..................] - ETA: 1s - loss: 0.5000'
    second = '4/5 [=======================>......] - ETA: 0s - loss: 0.4000'
    # The last batch is drawn with the validation values, after the 3 s of the epoch.
    last = '5/5 [==============================] - 3s - loss: 0.3600 - val_loss: 0.2500\n'
    assert out == ('Epoch 1/1\n' + '\r' + first + '\b' * len(first) + '\r' + second
                   + '\b' * len(second) + '\r' + last)


def test_progbar_logger_verbose_2_prints_one_line_per_epoch(monkeypatch, capsys):
    drive_progbar_logger(monkeypatch, verbose=2, nb_epoch=2)
    assert capsys.readouterr().out == (
        'Epoch 1/2\n3s - loss: 0.3600 - val_loss: 0.2500\n'
        'Epoch 2/2\n3s - loss: 0.3600 - val_loss: 0.2500\n')


def test_progbar_logger_verbose_0_prints_nothing(monkeypatch, capsys):
    logger = drive_progbar_logger(monkeypatch, verbose=0)
    assert capsys.readouterr().out == ''
    assert logger.seen == 5
    assert logger.log_values == [('loss', 0.2), ('val_loss', 0.25)]


def test_progbar_logger_with_base_logger_shows_the_epoch_means(monkeypatch, capsys):
    """As fit runs them (BaseLogger first), the epoch means join the last batch's values at
    the epoch end, as in 1.2.2; a mean added to the values it averages leaves the shown
    average equal to the epoch mean."""
    clock = FakeClock(100.0)
    monkeypatch.setattr(generic_utils, 'time', clock)
    fit([cbks.BaseLogger(), cbks.ProgbarLogger()], [{}], metrics=('loss',), nb_sample=5,
        batch_logs=[{'size': 2, 'loss': 0.5}, {'size': 2, 'loss': 0.3},
                    {'size': 1, 'loss': 0.2}], verbose=1)
    out = capsys.readouterr().out
    # The second line ('ETA: 0s') was longer: the last one is padded over it.
    assert out.endswith('\r5/5 [' + '=' * 30 + '] - 0s - loss: 0.3600     \n')


# ---------------------------------------------------------------- ModelCheckpoint

def test_model_checkpoint_formats_the_path_and_saves_the_model(tmp_path, capsys):
    path = str(tmp_path / 'weights.{epoch:02d}-{val_loss:.2f}.hdf5')
    model, _ = fit([cbks.ModelCheckpoint(path, verbose=1)],
                   [{'val_loss': 0.4567}, {'val_loss': 0.123}])
    names = [str(tmp_path / 'weights.00-0.46.hdf5'), str(tmp_path / 'weights.01-0.12.hdf5')]
    assert model.calls == [('save', names[0], True), ('save', names[1], True)]
    for name in names:
        with open(name) as f:
            assert f.read() == 'save'
    assert capsys.readouterr().out == ''.join(
        'Epoch %05d: saving model to %s\n' % (i, n) for i, n in enumerate(names))


def test_model_checkpoint_save_weights_only(tmp_path, capsys):
    path = str(tmp_path / 'w.h5')
    model, _ = fit([cbks.ModelCheckpoint(path, save_weights_only=True)], [{}])
    assert model.calls == [('save_weights', path, True)]
    assert capsys.readouterr().out == ''


def test_model_checkpoint_period_saves_every_nth_epoch(tmp_path):
    path = str(tmp_path / 'm{epoch}.h5')
    model, _ = fit([cbks.ModelCheckpoint(path, period=3)], [{}] * 7)
    assert [c[1] for c in model.calls] == [str(tmp_path / 'm2.h5'), str(tmp_path / 'm5.h5')]


def test_model_checkpoint_save_best_only_in_min_mode(tmp_path, capsys):
    path = str(tmp_path / 'best{epoch}.h5')
    cb = cbks.ModelCheckpoint(path, save_best_only=True, verbose=1)
    model, _ = fit([cb], [{'val_loss': 0.5}, {'val_loss': 0.6}, {'val_loss': 0.4}])
    assert [c[1] for c in model.calls] == [str(tmp_path / 'best0.h5'),
                                           str(tmp_path / 'best2.h5')]
    assert cb.best == 0.4
    assert capsys.readouterr().out == (
        'Epoch 00000: val_loss improved from inf to 0.50000, saving model to %s\n'
        'Epoch 00001: val_loss did not improve\n'
        'Epoch 00002: val_loss improved from 0.50000 to 0.40000, saving model to %s\n'
        % (tmp_path / 'best0.h5', tmp_path / 'best2.h5'))


def test_model_checkpoint_save_best_only_in_max_mode(tmp_path, capsys):
    cb = cbks.ModelCheckpoint(str(tmp_path / 'b{epoch}.h5'), monitor='val_loss', mode='max',
                              save_best_only=True, verbose=1)
    model, _ = fit([cb], [{'val_loss': 0.5}, {'val_loss': 0.4}, {'val_loss': 0.7}])
    assert [c[1][-5:] for c in model.calls] == ['b0.h5', 'b2.h5']
    assert 'Epoch 00000: val_loss improved from -inf to 0.50000' in capsys.readouterr().out


@pytest.mark.parametrize('monitor,op', [('val_acc', np.greater), ('acc', np.greater),
                                        ('fmeasure', np.greater), ('fmeasure_x', np.greater),
                                        ('val_fmeasure', np.less), ('val_loss', np.less),
                                        ('mse', np.less)])
def test_model_checkpoint_auto_mode_follows_the_monitor_name(tmp_path, monitor, op):
    cb = cbks.ModelCheckpoint(str(tmp_path / 'x.h5'), monitor=monitor)
    assert cb.monitor_op is op and cb.best == (-np.inf if op is np.greater else np.inf)
    assert cbks.ModelCheckpoint('x', monitor=monitor, mode='min').monitor_op is np.less
    assert cbks.ModelCheckpoint('x', monitor=monitor, mode='max').monitor_op is np.greater


def test_model_checkpoint_unknown_mode_warns_and_uses_auto():
    with pytest.warns(RuntimeWarning) as caught:
        cb = cbks.ModelCheckpoint('x', monitor='val_acc', mode='maximum')
    assert str(caught[0].message) == 'ModelCheckpoint mode maximum is unknown, fallback to ' \
                                     'auto mode.'
    assert cb.monitor_op is np.greater


def test_model_checkpoint_missing_monitor_with_save_best_only_warns_and_skips(tmp_path):
    with pytest.warns(RuntimeWarning) as caught:
        model, _ = fit([cbks.ModelCheckpoint(str(tmp_path / 'x.h5'), save_best_only=True)],
                       [{'loss': 0.3}])
    assert str(caught[0].message) == 'Can save best model only with val_loss available, ' \
                                     'skipping.'
    assert model.calls == []


def test_model_checkpoint_bad_arguments_and_missing_format_key(tmp_path):
    with pytest.raises(ValueError, match='ModelCheckpoint: period must be a whole number >= 1; '
                                         'got 0'):
        cbks.ModelCheckpoint('x', period=0)
    with pytest.raises(TypeError, match='filepath must be a string, got 3'):
        cbks.ModelCheckpoint(3)
    with pytest.raises(TypeError, match='monitor must be .* got None'):
        cbks.ModelCheckpoint('x', monitor=None)
    cb = cbks.ModelCheckpoint(str(tmp_path / '{val_acc:.2f}.h5'))
    with pytest.raises(KeyError, match=r"names 'val_acc', which is not in the epoch logs "
                                       r"\(available: epoch, loss, val_loss\)"):
        fit([cb], [{'loss': 1.0, 'val_loss': 1.0}])


# ---------------------------------------------------------------- EarlyStopping

def test_early_stopping_waits_patience_epochs_then_stops(capsys):
    cb = cbks.EarlyStopping(patience=2, verbose=1)
    values = [1.0, 0.9, 0.95, 0.92, 0.91, 0.5, 0.4]
    model, ran = fit([cb], [{'val_loss': v} for v in values])
    assert ran == [0, 1, 2, 3, 4] and model.stop_training
    assert cb.stopped_epoch == 4 and cb.wait == 3 and cb.best == 0.9
    assert capsys.readouterr().out == 'Epoch 00004: early stopping\n'


def test_early_stopping_patience_0_stops_at_the_first_bad_epoch_silently(capsys):
    cb = cbks.EarlyStopping()
    model, ran = fit([cb], [{'val_loss': v} for v in [1.0, 0.9, 0.9, 0.1]])
    assert ran == [0, 1, 2] and cb.stopped_epoch == 2
    assert capsys.readouterr().out == ''          # verbose=0


def test_early_stopping_resets_between_fits():
    cb = cbks.EarlyStopping(patience=1)
    fit([cb], [{'val_loss': v} for v in [1.0, 2.0, 2.0]])
    assert cb.stopped_epoch == 2
    _, ran = fit([cb], [{'val_loss': v} for v in [5.0, 4.0, 3.0]])
    assert ran == [0, 1, 2] and cb.wait == 0 and cb.best == 3.0 and cb.stopped_epoch == 0


def test_early_stopping_min_delta_is_signed_by_the_mode():
    low = cbks.EarlyStopping(min_delta=0.05)
    assert low.monitor_op is np.less and low.min_delta == -0.05
    _, ran = fit([low], [{'val_loss': v} for v in [1.0, 0.96, 0.5]])
    assert ran == [0, 1]                          # 0.04 better is not enough
    _, ran = fit([cbks.EarlyStopping(min_delta=0.0)],
                 [{'val_loss': v} for v in [1.0, 0.96, 0.5]])
    assert ran == [0, 1, 2]

    high = cbks.EarlyStopping(monitor='val_acc', min_delta=0.05)
    assert high.monitor_op is np.greater and high.min_delta == 0.05
    _, ran = fit([high], [{'val_acc': v} for v in [0.5, 0.53, 0.9]])
    assert ran == [0, 1]
    _, ran = fit([cbks.EarlyStopping(monitor='val_acc', min_delta=0.05)],
                 [{'val_acc': v} for v in [0.5, 0.56, 0.9]])
    assert ran == [0, 1, 2]


@pytest.mark.parametrize('monitor,mode,values,ran', [
    ('val_loss', 'max', [1.0, 2.0, 1.5], [0, 1, 2]),
    ('val_loss', 'min', [1.0, 2.0, 1.5], [0, 1]),
    ('val_acc', 'auto', [0.5, 0.4, 0.9], [0, 1]),
    ('fmeasure', 'auto', [0.5, 0.6, 0.9], [0, 1, 2]),
    ('loss', 'auto', [0.5, 0.6, 0.9], [0, 1]),
])
def test_early_stopping_modes(monitor, mode, values, ran):
    _, got = fit([cbks.EarlyStopping(monitor=monitor, mode=mode)],
                 [{monitor: v} for v in values])
    assert got == ran


def test_early_stopping_unknown_mode_and_missing_monitor_warn():
    with pytest.warns(RuntimeWarning, match='^EarlyStopping mode up is unknown, fallback to '
                                            'auto mode.$'):
        cb = cbks.EarlyStopping(monitor='acc', mode='up')
    assert cb.monitor_op is np.greater
    with pytest.warns(RuntimeWarning) as caught:
        model, ran = fit([cbks.EarlyStopping()], [{'loss': 1.0}] * 3)
    assert [str(w.message) for w in caught] == ['Early stopping requires val_loss '
                                                'available!'] * 3
    assert ran == [0, 1, 2] and not model.stop_training


def test_early_stopping_bad_patience():
    with pytest.raises(ValueError, match='EarlyStopping: patience must be a whole number >= 0; '
                                         'got -1'):
        cbks.EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match='EarlyStopping: patience must be a whole number >= 0; '
                                         'got 1.5'):
        cbks.EarlyStopping(patience=1.5)
    with pytest.raises(TypeError, match="EarlyStopping: patience must be a whole number >= 0; "
                                        "got '2'"):
        cbks.EarlyStopping(patience='2')
    assert cbks.EarlyStopping(patience=np.int32(2)).patience == 2


def test_early_stopping_bad_min_delta():
    with pytest.raises(TypeError, match="EarlyStopping: min_delta must be a number; got '0.1'"):
        cbks.EarlyStopping(min_delta='0.1')
    with pytest.raises(TypeError, match='EarlyStopping: min_delta must be a number; got None'):
        cbks.EarlyStopping(min_delta=None)
    assert cbks.EarlyStopping(min_delta=np.float32(0.5)).min_delta == -0.5


def test_early_stopping_at_epoch_0_is_not_reported(capsys):
    # Keras 1.2.2 prints only when stopped_epoch > 0; a NaN loss never improves on inf.
    cb = cbks.EarlyStopping(verbose=1)
    model, ran = fit([cb], [{'val_loss': float('nan')}, {'val_loss': 1.0}])
    assert ran == [0] and model.stop_training and cb.stopped_epoch == 0
    assert capsys.readouterr().out == ''


# ---------------------------------------------------------------- RemoteMonitor

class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers['Content-Length']))
        self.server.received.append((self.path, dict(self.headers), body))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def http_server(n_requests, status=200):
    """A server on 127.0.0.1 that answers at most n_requests POSTs, each waited for at most
    5 s, in a thread; then it stops by itself."""
    server = HTTPServer(('127.0.0.1', 0), _Receiver)
    server.received, server.status, server.timeout = [], status, 5

    def serve():
        for _ in range(n_requests):
            server.handle_request()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        thread.join(15)
        server.server_close()


def test_remote_monitor_posts_the_epoch_logs_as_json_in_a_form_field():
    with http_server(2) as server:
        root = 'http://127.0.0.1:%d' % server.server_address[1]
        with no_warnings():
            fit([cbks.RemoteMonitor(root=root)],
                [{'loss': np.float32(0.5), 'val_loss': np.array(0.25)}, {'loss': 0.125}])
    assert len(server.received) == 2
    path, headers, body = server.received[0]
    assert path == '/publish/epoch/end/'
    assert headers['Accept'] == 'application/json'
    assert headers['Content-Type'] == 'application/json'       # as 1.2.2 sent it
    form = urllib.parse.parse_qs(body.decode('utf-8'))
    assert list(form) == ['data']
    assert json.loads(form['data'][0]) == {'epoch': 0, 'loss': 0.5, 'val_loss': 0.25}
    assert json.loads(urllib.parse.parse_qs(server.received[1][2].decode())['data'][0]) == {
        'epoch': 1, 'loss': 0.125}


def test_remote_monitor_path_field_and_headers():
    with http_server(1) as server:
        root = 'http://127.0.0.1:%d' % server.server_address[1]
        cb = cbks.RemoteMonitor(root=root, path='/api/log', field='payload',
                                headers={'X-Run': 'seven'})
        fit([cb], [{'acc': 1.0}])
    path, headers, body = server.received[0]
    assert path == '/api/log' and headers['X-Run'] == 'seven'
    assert 'Accept' not in headers
    assert json.loads(urllib.parse.parse_qs(body.decode())['payload'][0]) == {
        'epoch': 0, 'acc': 1.0}


def test_remote_monitor_defaults():
    cb = cbks.RemoteMonitor()
    assert (cb.root, cb.path, cb.field) == ('http://localhost:9000', '/publish/epoch/end/',
                                            'data')
    assert cb.headers == {'Accept': 'application/json', 'Content-Type': 'application/json'}
    assert cb.timeout == 10.0


def test_remote_monitor_unreachable_server_warns_and_training_goes_on():
    with socket.socket() as s:          # a port that was just free: nothing listens there
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    root = 'http://127.0.0.1:%d' % port
    with pytest.warns(UserWarning) as caught:
        _, ran = fit([cbks.RemoteMonitor(root=root, timeout=2)], [{'loss': 1.0}] * 2)
    assert ran == [0, 1]
    assert [str(w.message) for w in caught] == [
        'Warning: could not reach RemoteMonitor root server at ' + root] * 2
    with pytest.warns(UserWarning, match='could not reach RemoteMonitor root server at '
                                         'localhost:1$'):
        fit([cbks.RemoteMonitor(root='localhost:1')], [{}])          # no scheme


def test_remote_monitor_ignores_an_http_error_status_as_1_2_2():
    with http_server(1, status=500) as server:
        root = 'http://127.0.0.1:%d' % server.server_address[1]
        with no_warnings():
            fit([cbks.RemoteMonitor(root=root)], [{'loss': 1.0}])
    assert len(server.received) == 1


def test_remote_monitor_unencodable_value_is_a_clear_error():
    with pytest.raises(TypeError, match="RemoteMonitor cannot send <object .*> \\(of type "
                                        "object\\) as JSON"):
        fit([cbks.RemoteMonitor(root='http://127.0.0.1:1')], [{'x': object()}])


# ---------------------------------------------------------------- LearningRateScheduler

def test_learning_rate_scheduler_sets_the_lr_every_epoch():
    seen = []
    model = StandInModel(lr=1.0)
    spy = cbks.LambdaCallback(
        on_epoch_begin=lambda e, logs: seen.append(float(K.get_value(model.optimizer.lr))))
    fit([cbks.LearningRateScheduler(lambda e: 0.5 / (e + 1)), spy], [{}] * 3, model=model)
    np.testing.assert_allclose(seen, [0.5, 0.25, 0.5 / 3], rtol=1e-6)
    cb = cbks.LearningRateScheduler(lambda e: np.float32(0.125))
    cb.set_model(model)
    cb.on_epoch_begin(0)
    assert K.get_value(model.optimizer.lr) == 0.125


@pytest.mark.parametrize('value,shown', [(1, '1 (int)'), ('0.1', "'0.1' (str)"),
                                         (None, 'None (NoneType)')])
def test_learning_rate_scheduler_schedule_must_return_a_float(value, shown):
    cb = cbks.LearningRateScheduler(lambda e: value)
    model = StandInModel(lr=0.5)
    cb.set_model(model)
    with pytest.raises(ValueError, match=r'The output of the "schedule" function should be '
                                         r'float; for epoch 3 it returned %s'
                                         % shown.replace('(', r'\(').replace(')', r'\)')):
        cb.on_epoch_begin(3)
    assert K.get_value(model.optimizer.lr) == 0.5


def test_learning_rate_scheduler_bad_schedule_and_optimizer_without_lr():
    with pytest.raises(TypeError, match='schedule must be a function of the epoch index, '
                                        'got 0.1'):
        cbks.LearningRateScheduler(0.1)
    cb = cbks.LearningRateScheduler(lambda e: 0.1)
    model = StandInModel()
    model.optimizer = types.SimpleNamespace()
    cb.set_model(model)
    with pytest.raises(ValueError, match='Optimizer must have a "lr" attribute.'):
        cb.on_epoch_begin(0)


# ---------------------------------------------------------------- TensorBoard

def test_tensorboard_is_a_clear_error():
    with pytest.raises(RuntimeError, match='TensorBoard callback only works with the '
                                           'TensorFlow backend: symkeras has no TensorFlow '
                                           'summaries'):
        cbks.TensorBoard()
    with pytest.raises(RuntimeError, match='TensorFlow'):
        cbks.TensorBoard(log_dir='/tmp/logs', histogram_freq=1, write_graph=False,
                         write_images=True)


# ---------------------------------------------------------------- ReduceLROnPlateau

def lr_trace(cb, values, monitor='val_loss', lr=1.0):
    """The learning rate after each epoch, and the 'lr' that each epoch's logs got."""
    model = StandInModel(lr=lr)
    after, logs = [], [{monitor: v} for v in values]
    spy = cbks.LambdaCallback(
        on_epoch_end=lambda e, l: after.append(float(K.get_value(model.optimizer.lr))))
    fit([cb, spy], logs, model=model)
    return after, [float(l['lr']) for l in logs]


def test_reduce_lr_on_plateau_patience(capsys):
    cb = cbks.ReduceLROnPlateau(factor=0.5, patience=1, verbose=1)
    after, logged = lr_trace(cb, [1.0, 1.0, 1.0, 1.0, 0.5, 0.5])
    assert after == [1.0, 1.0, 0.5, 0.25, 0.25, 0.25]
    assert logged == [1.0, 1.0, 1.0, 0.5, 0.25, 0.25]
    assert capsys.readouterr().out == ('\nEpoch 00002: reducing learning rate to 0.5.\n'
                                       '\nEpoch 00003: reducing learning rate to 0.25.\n')


def test_reduce_lr_on_plateau_cooldown():
    cb = cbks.ReduceLROnPlateau(factor=0.5, patience=0, cooldown=2)
    after, _ = lr_trace(cb, [1.0] * 6)
    assert after == [1.0, 0.5, 0.5, 0.25, 0.25, 0.125]
    after, _ = lr_trace(cbks.ReduceLROnPlateau(factor=0.5, patience=0), [1.0] * 4)
    assert after == [1.0, 0.5, 0.25, 0.125]


def test_reduce_lr_on_plateau_in_cooldown():
    cb = cbks.ReduceLROnPlateau(factor=0.5, patience=0, cooldown=1)
    cb.set_model(StandInModel(lr=1.0))
    cb.on_train_begin()
    assert cb.in_cooldown() is False
    cb.on_epoch_end(0, {'val_loss': 1.0})
    assert cb.in_cooldown() is False                  # improved on inf: no reduction
    cb.on_epoch_end(1, {'val_loss': 1.0})
    assert cb.in_cooldown() is True and cb.cooldown_counter == 1   # reduced: cooldown starts
    cb.on_epoch_end(2, {'val_loss': 0.5})
    assert cb.in_cooldown() is False                  # its one cooldown epoch has passed
    cb.cooldown_counter = 2
    assert cb.in_cooldown() is True


def test_reduce_lr_on_plateau_min_lr_is_a_floor(capsys):
    cb = cbks.ReduceLROnPlateau(factor=0.1, patience=0, min_lr=0.05, verbose=1)
    after, _ = lr_trace(cb, [1.0] * 5)
    np.testing.assert_allclose(after, [1.0, 0.1, 0.05, 0.05, 0.05], rtol=1e-6)
    out = capsys.readouterr().out
    assert out.startswith('\nEpoch 00001: reducing learning rate to 0.1')
    assert out.count('reducing') == 2


def test_reduce_lr_on_plateau_epsilon_and_modes():
    # An improvement must beat the best by more than epsilon.
    after, _ = lr_trace(cbks.ReduceLROnPlateau(patience=0, epsilon=0.1), [1.0, 0.95, 0.8])
    np.testing.assert_allclose(after, [1.0, 0.1, 0.1], rtol=1e-6)
    after, _ = lr_trace(cbks.ReduceLROnPlateau(patience=0, epsilon=0.01), [1.0, 0.95, 0.8])
    assert after == [1.0, 1.0, 1.0]
    rising = [0.5, 0.6, 0.7]
    after, _ = lr_trace(cbks.ReduceLROnPlateau(monitor='val_acc', patience=0), rising,
                        monitor='val_acc')
    assert after == [1.0, 1.0, 1.0]
    after, _ = lr_trace(cbks.ReduceLROnPlateau(patience=0, mode='max'), rising)
    assert after == [1.0, 1.0, 1.0]
    after, _ = lr_trace(cbks.ReduceLROnPlateau(monitor='val_acc', patience=0, mode='min'),
                        rising, monitor='val_acc')
    np.testing.assert_allclose(after, [1.0, 0.1, 0.01], rtol=1e-6)
    # 1.2.2's auto mode here looks for 'acc' only: an f-measure is minimised.
    after, _ = lr_trace(cbks.ReduceLROnPlateau(monitor='fmeasure', patience=0), rising,
                        monitor='fmeasure')
    np.testing.assert_allclose(after, [1.0, 0.1, 0.01], rtol=1e-6)


def test_reduce_lr_on_plateau_resets_at_train_begin():
    cb = cbks.ReduceLROnPlateau(factor=0.5, patience=0, cooldown=3)
    lr_trace(cb, [1.0, 2.0])
    assert cb.cooldown_counter == 3 and cb.best == 1.0
    after, _ = lr_trace(cb, [5.0, 6.0])
    assert after == [1.0, 0.5]


def test_reduce_lr_on_plateau_bad_arguments_and_warnings():
    with pytest.raises(ValueError, match=r'ReduceLROnPlateau does not support a factor >= '
                                         r'1.0 \(got 1.0\)'):
        cbks.ReduceLROnPlateau(factor=1.0)
    with pytest.raises(ValueError, match='ReduceLROnPlateau: cooldown must be a whole number '
                                         '>= 0; got -2'):
        cbks.ReduceLROnPlateau(cooldown=-2)
    with pytest.raises(TypeError, match='ReduceLROnPlateau: patience must be a whole number '
                                        '>= 0; got None'):
        cbks.ReduceLROnPlateau(patience=None)
    for name in ('factor', 'epsilon', 'min_lr'):
        with pytest.raises(TypeError, match="ReduceLROnPlateau: %s must be a number; got '0.5'"
                           % name):
            cbks.ReduceLROnPlateau(**{name: '0.5'})
    cb = cbks.ReduceLROnPlateau(factor=np.float64(0.5), epsilon=np.float32(0.25),
                                min_lr=np.int64(0))
    assert (cb.factor, cb.epsilon, cb.min_lr) == (0.5, 0.25, 0.)
    with pytest.warns(RuntimeWarning, match='^Learning Rate Plateau Reducing mode up is '
                                            'unknown, fallback to auto mode.$'):
        cb = cbks.ReduceLROnPlateau(mode='up')
    assert cb.mode == 'auto'
    with pytest.warns(RuntimeWarning, match='^Learning Rate Plateau Reducing requires '
                                            'val_loss available!$'):
        after, logged = lr_trace(cbks.ReduceLROnPlateau(patience=0), [1.0, 1.0],
                                 monitor='loss')
    assert after == [1.0, 1.0] and logged == [1.0, 1.0]


# ---------------------------------------------------------------- CSVLogger

def test_csv_logger_writes_header_and_rows(tmp_path):
    path = str(tmp_path / 'log.csv')
    cb = cbks.CSVLogger(path)
    fit([cb], [{'loss': np.float32(0.5), 'acc': 0.75},
               {'loss': 0.25, 'acc': np.array(1.0), 'vec': [1, 2]}])
    with open(path, newline='') as f:
        assert f.read() == 'epoch,acc,loss\r\n0,0.75,0.5\r\n1,1.0,0.25\r\n'
    assert cb.csv_file is None


def test_csv_logger_separator_sequences_and_missing_values(tmp_path):
    path = str(tmp_path / 'log.tsv')
    fit([cbks.CSVLogger(path, separator='\t')],
        [{'w': np.array([1.5, 2.0]), 'loss': 1.0}, {'w': (3, 4)}])
    with open(path, newline='') as f:
        assert f.read() == ('epoch\tloss\tw\r\n'
                            '0\t1.0\t"""[1.5, 2.0]"""\r\n'
                            '1\t\t"""[3, 4]"""\r\n')


def test_csv_logger_overwrites_or_appends(tmp_path):
    path = str(tmp_path / 'log.csv')
    fit([cbks.CSVLogger(path)], [{'loss': 1.0}])
    fit([cbks.CSVLogger(path)], [{'loss': 2.0}])            # overwrite
    fit([cbks.CSVLogger(path, append=True)], [{'loss': 3.0}, {'loss': 4.0}])
    with open(path, newline='') as f:
        assert f.read() == 'epoch,loss\r\n0,2.0\r\n0,3.0\r\n1,4.0\r\n'
    fresh = str(tmp_path / 'fresh.csv')
    fit([cbks.CSVLogger(fresh, append=True)], [{'loss': 1.0}])   # new file: header written
    open(str(tmp_path / 'empty.csv'), 'w').close()
    fit([cbks.CSVLogger(str(tmp_path / 'empty.csv'), append=True)], [{'loss': 1.0}])
    for name in (fresh, str(tmp_path / 'empty.csv')):
        with open(name, newline='') as f:
            assert f.read() == 'epoch,loss\r\n0,1.0\r\n'


def test_csv_logger_file_is_open_during_training_and_readable_after_each_epoch(tmp_path):
    path = str(tmp_path / 'log.csv')
    cb = cbks.CSVLogger(path)
    cb.on_train_begin()
    handle = cb.csv_file
    assert not handle.closed
    cb.on_epoch_end(0, {'loss': 1.0})
    with open(path, newline='') as f:                       # flushed already
        assert f.read() == 'epoch,loss\r\n0,1.0\r\n'
    cb.on_train_end()
    assert handle.closed and cb.csv_file is None
    cb.on_train_end()                                       # a second end is harmless
    assert (cb.filename, cb.sep, cb.append) == (path, ',', False)


@pytest.mark.parametrize('separator', ['', ';;', None])
def test_csv_logger_bad_separator(separator):
    with pytest.raises(ValueError, match='separator must be a one-character string, got %r'
                       % (separator,)):
        cbks.CSVLogger('x.csv', separator=separator)


# ---------------------------------------------------------------- LambdaCallback

def test_lambda_callback_calls_each_function_with_its_arguments():
    calls = []
    cb = cbks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: calls.append(('epoch_begin', epoch)),
        on_epoch_end=lambda epoch, logs: calls.append(('epoch_end', epoch, dict(logs))),
        on_batch_begin=lambda batch, logs: calls.append(('batch_begin', batch, logs['size'])),
        on_batch_end=lambda batch, logs: calls.append(('batch_end', batch, logs['loss'])),
        on_train_begin=lambda logs: calls.append(('train_begin',)),
        on_train_end=lambda logs: calls.append(('train_end',)))
    fit([cb], [{'val_loss': 1.0}], batch_logs=[{'size': 2, 'loss': 0.5}])
    assert calls == [('train_begin',), ('epoch_begin', 0), ('batch_begin', 0, 2),
                     ('batch_end', 0, 0.5), ('epoch_end', 0, {'val_loss': 1.0}),
                     ('train_end',)]


def test_lambda_callback_defaults_do_nothing_and_kwargs_become_attributes():
    cb = cbks.LambdaCallback(note='kept', count=3)
    assert cb.note == 'kept' and cb.count == 3
    for hook in (cb.on_epoch_begin, cb.on_epoch_end, cb.on_batch_begin, cb.on_batch_end):
        assert hook(0) is None and hook(0, {}) is None
    assert cb.on_train_begin() is None and cb.on_train_end({}) is None
    fit([cb], [{}])


def test_lambda_callback_rejects_a_non_function():
    with pytest.raises(TypeError, match='on_batch_end must be a function, got 5'):
        cbks.LambdaCallback(on_batch_end=5)
