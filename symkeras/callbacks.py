"""Keras 1.2.2 callbacks (`keras.callbacks`): hooks that the training loop calls around
training, epochs and batches.

The training loop (Keras 1.2.2's `_fit_loop`) builds
`CallbackList([BaseLogger()] + callbacks + [History()] (+ [ProgbarLogger()] if verbose))`,
calls `set_model` and `set_params({'batch_size', 'nb_epoch', 'nb_sample', 'verbose',
'do_validation', 'metrics'})`, then `on_train_begin()`, and for every epoch
`on_epoch_begin(epoch)`, per batch `on_batch_begin(batch, {'batch', 'size'})` and
`on_batch_end(batch, logs)` with the batch's metric values, then `on_epoch_end(epoch,
epoch_logs)` with the `val_*` values, and finally `on_train_end()`. Training stops after the
epoch in which a callback sets `model.stop_training`. Epochs are counted from 0, as in Keras 1.
"""
import collections
import csv
import http.client
import json
import os
import statistics
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np

from . import backend as K
from .utils.generic_utils import Progbar, check_number

_MODES = ('auto', 'min', 'max')


def _check_monitor(monitor):
    if not isinstance(monitor, str):
        raise TypeError('monitor must be the name of a logged quantity (a string), got %r'
                        % (monitor,))
    return monitor


def _resolve_mode(owner, mode):
    """1.2.2: an unknown mode warns and falls back to 'auto'."""
    if mode not in _MODES:
        warnings.warn('%s mode %s is unknown, fallback to auto mode.' % (owner, mode),
                      RuntimeWarning)
        return 'auto'
    return mode


def _auto_is_max(monitor):
    """'auto' mode of ModelCheckpoint and EarlyStopping: accuracies and f-measures grow."""
    return 'acc' in monitor or monitor.startswith('fmeasure')


class CallbackList(object):
    """A list of callbacks called as one.

    # Arguments
        callbacks: list of `Callback` instances.
        queue_length: number of recent batches over which the time spent in the callbacks is
            averaged (median) to warn about callbacks slower than the batch itself.
    """

    def __init__(self, callbacks=None, queue_length=10):
        self.callbacks = list(callbacks or [])
        self.queue_length = check_number('CallbackList', 'queue_length', queue_length,
                                         integer=True, minimum=1)
        self._reset_timing()

    def _reset_timing(self):
        self._delta_t_batch = 0.
        self._delta_ts_batch_begin = collections.deque([], maxlen=self.queue_length)
        self._delta_ts_batch_end = collections.deque([], maxlen=self.queue_length)
        self._t_enter_batch = None

    def append(self, callback):
        self.callbacks.append(callback)

    def set_params(self, params):
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model):
        for callback in self.callbacks:
            callback.set_model(model)

    def on_train_begin(self, logs=None):
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs=None):
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_epoch_begin(self, epoch, logs=None):
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)
        self._reset_timing()

    def on_epoch_end(self, epoch, logs=None):
        # The caller's dict itself is passed on, so values that BaseLogger adds reach it.
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        logs = {} if logs is None else logs
        t_before_callbacks = time.time()
        for callback in self.callbacks:
            callback.on_batch_begin(batch, logs)
        self._warn_if_slow('on_batch_begin', self._delta_ts_batch_begin,
                           time.time() - t_before_callbacks)
        self._t_enter_batch = time.time()

    def on_batch_end(self, batch, logs=None):
        logs = {} if logs is None else logs
        if self._t_enter_batch is None:
            self._t_enter_batch = time.time()
        # The time between on_batch_begin's return and here is the batch update itself.
        self._delta_t_batch = time.time() - self._t_enter_batch
        t_before_callbacks = time.time()
        for callback in self.callbacks:
            callback.on_batch_end(batch, logs)
        self._warn_if_slow('on_batch_end', self._delta_ts_batch_end,
                           time.time() - t_before_callbacks)

    def _warn_if_slow(self, method, recent, delta_t):
        """1.2.2's rule: warn when the median time of the recent calls exceeds both 95% of
        the last batch update and 0.1 s."""
        recent.append(delta_t)
        delta_t_median = statistics.median(recent)   # np.median costs 10x on 10 numbers
        if (self._delta_t_batch > 0. and delta_t_median > 0.95 * self._delta_t_batch
                and delta_t_median > 0.1):
            warnings.warn('Method %s() is slow compared to the batch update (%f). '
                          'Check your callbacks.' % (method, delta_t_median))


class Callback(object):
    """Base class of callbacks.

    # Properties
        params: dict of training parameters (`batch_size`, `nb_epoch`, `nb_sample`,
            `verbose`, `do_validation`, `metrics`).
        model: the model being trained.

    Batch logs carry `batch`, `size` (the number of samples in the batch) and, at the batch
    end, the metric values (`loss`, `acc`, ...). Epoch logs carry the `val_*` values and the
    epoch means that `BaseLogger` adds.
    """

    def __init__(self):
        self.params = {}
        self.model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self.model = model

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass


class BaseLogger(Callback):
    """Writes into the epoch logs the mean over the epoch's samples (each batch weighted by its
    size) of every quantity in `params['metrics']` that the batches logged. Every model's fit
    applies it first."""

    def on_epoch_begin(self, epoch, logs=None):
        self.seen = 0
        self.totals = {}

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        batch_size = logs.get('size', 0)
        self.seen += batch_size
        for k, v in logs.items():
            self.totals[k] = self.totals.get(k, 0) + v * batch_size

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        for k in self.params['metrics']:
            if k in self.totals:
                logs[k] = self.totals[k] / self.seen


class ProgbarLogger(Callback):
    """Prints 'Epoch i/n' and a progress bar of the epoch's samples with the metric values
    (verbose 1: updated per batch; verbose 2: one line per epoch)."""

    def on_train_begin(self, logs=None):
        self.verbose = self.params['verbose']
        self.nb_epoch = self.params['nb_epoch']

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose:
            print('Epoch %d/%d' % (epoch + 1, self.nb_epoch))
            self.progbar = Progbar(target=self.params['nb_sample'], verbose=self.verbose)
        self.seen = 0
        self.log_values = []

    def on_batch_begin(self, batch, logs=None):
        self.log_values = []

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        self.seen += logs.get('size', 0)
        self._collect(logs)
        # The last batch is drawn by on_epoch_end, together with the validation values.
        if self.verbose and self.seen < self.params['nb_sample']:
            self.progbar.update(self.seen, self.log_values)

    def on_epoch_end(self, epoch, logs=None):
        # As in 1.2.2, every metric of the epoch logs joins the last batch's values: the
        # val_* ones, and BaseLogger's epoch means (which leave the shown averages as they
        # are, the average of values and their mean being that mean).
        self._collect(logs or {})
        if self.verbose:
            self.progbar.update(self.seen, self.log_values, force=True)

    def _collect(self, logs):
        for k in self.params['metrics']:
            if k in logs:
                self.log_values.append((k, logs[k]))


class History(Callback):
    """Records the epoch logs: `.epoch` is the list of epoch indices and `.history` maps each
    logged name to the list of its values. Every model's fit applies it and returns it."""

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)


class ModelCheckpoint(Callback):
    """Saves the model every `period` epochs.

    # Arguments
        filepath: path of the file, formatted with `epoch` (from 0) and the epoch logs, e.g.
            `weights.{epoch:02d}-{val_loss:.2f}.hdf5`.
        monitor: quantity compared when `save_best_only`.
        verbose: 1 prints a line per save decision.
        save_best_only: save only when `monitor` improves on the best value seen.
        save_weights_only: call `model.save_weights(path)` rather than `model.save(path)`.
        mode: 'min', 'max' or 'auto' (max when the name contains 'acc' or starts with
            'fmeasure', min otherwise).
        period: number of epochs between checks.
    """

    def __init__(self, filepath, monitor='val_loss', verbose=0, save_best_only=False,
                 save_weights_only=False, mode='auto', period=1):
        super(ModelCheckpoint, self).__init__()
        if not isinstance(filepath, str):
            raise TypeError('filepath must be a string, got %r' % (filepath,))
        self.filepath = filepath
        self.monitor = _check_monitor(monitor)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.period = check_number('ModelCheckpoint', 'period', period, integer=True, minimum=1)
        self.epochs_since_last_save = 0
        mode = _resolve_mode('ModelCheckpoint', mode)
        if mode == 'max' or (mode == 'auto' and _auto_is_max(monitor)):
            self.monitor_op, self.best = np.greater, -np.inf
        else:
            self.monitor_op, self.best = np.less, np.inf

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.epochs_since_last_save += 1
        if self.epochs_since_last_save < self.period:
            return
        self.epochs_since_last_save = 0
        filepath = self._format(epoch, logs)
        if not self.save_best_only:
            if self.verbose > 0:
                print('Epoch %05d: saving model to %s' % (epoch, filepath))
            self._save(filepath)
            return
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn('Can save best model only with %s available, skipping.'
                          % self.monitor, RuntimeWarning)
        elif self.monitor_op(current, self.best):
            if self.verbose > 0:
                print('Epoch %05d: %s improved from %0.5f to %0.5f, saving model to %s'
                      % (epoch, self.monitor, self.best, current, filepath))
            self.best = current
            self._save(filepath)
        elif self.verbose > 0:
            print('Epoch %05d: %s did not improve' % (epoch, self.monitor))

    def _format(self, epoch, logs):
        try:
            return self.filepath.format(epoch=epoch, **logs)
        except KeyError as e:
            raise KeyError('ModelCheckpoint filepath %r names %s, which is not in the epoch '
                           'logs (available: epoch, %s)'
                           % (self.filepath, e, ', '.join(sorted(logs)) or 'nothing else'))

    def _save(self, filepath):
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)


class EarlyStopping(Callback):
    """Stops training when `monitor` has not improved by more than `min_delta` for more than
    `patience` epochs.

    # Arguments
        monitor: quantity to watch.
        min_delta: smallest change counted as an improvement.
        patience: number of epochs without improvement tolerated before stopping.
        verbose: 1 prints 'Epoch %05d: early stopping' at the end of training (when it
            stopped after epoch 0).
        mode: 'min', 'max' or 'auto' (as ModelCheckpoint).
    """

    def __init__(self, monitor='val_loss', min_delta=0, patience=0, verbose=0, mode='auto'):
        super(EarlyStopping, self).__init__()
        self.monitor = _check_monitor(monitor)
        # Keras 1 never checked the counts and numbers: a float or negative patience, or a
        # string, silently changed the meaning or failed at the end of the first epoch.
        self.patience = check_number('EarlyStopping', 'patience', patience, integer=True,
                                     minimum=0)
        min_delta = check_number('EarlyStopping', 'min_delta', min_delta)
        self.verbose = verbose
        mode = _resolve_mode('EarlyStopping', mode)
        if mode == 'max' or (mode == 'auto' and _auto_is_max(monitor)):
            self.monitor_op = np.greater
        else:
            self.monitor_op = np.less
        # Stored with the sign of the direction of improvement (1.2.2): an improvement is
        # monitor_op(current - min_delta, best).
        self.min_delta = min_delta if self.monitor_op is np.greater else -min_delta
        self.wait = 0
        self.stopped_epoch = 0

    def on_train_begin(self, logs=None):
        # Reset so that one instance can serve several fits.
        self.wait = 0
        self.stopped_epoch = 0
        self.best = np.inf if self.monitor_op is np.less else -np.inf

    def on_epoch_end(self, epoch, logs=None):
        current = (logs or {}).get(self.monitor)
        if current is None:
            # 1.2.2 warned and then failed on None; a missing value counts for nothing here.
            warnings.warn('Early stopping requires %s available!' % self.monitor,
                          RuntimeWarning)
            return
        if self.monitor_op(current - self.min_delta, self.best):
            self.best = current
            self.wait = 0
        else:
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
            self.wait += 1

    def on_train_end(self, logs=None):
        # As 1.2.2: a stop at epoch 0 is not reported.
        if self.stopped_epoch > 0 and self.verbose > 0:
            print('Epoch %05d: early stopping' % self.stopped_epoch)


def _json_default(value):
    """Logged values are often numpy scalars or 0-d arrays, which json cannot encode."""
    if isinstance(value, (np.ndarray, np.generic)):
        return value.tolist()
    raise TypeError('RemoteMonitor cannot send %r (of type %s) as JSON'
                    % (value, type(value).__name__))


class RemoteMonitor(Callback):
    """POSTs the epoch logs (and `epoch`) to `root + path` at the end of every epoch, as a
    JSON-encoded dict in the form field `field`.

    Keras 1.2.2 needed the `requests` library; this one uses the standard library's urllib
    and sends the same request (a form-encoded body, with `headers`, by default
    `{'Accept': 'application/json', 'Content-Type': 'application/json'}` as in 1.2.2). A
    server that cannot be reached gives a warning, never an exception; a server that answers
    with an HTTP error status is ignored, as 1.2.2 ignored it.

    # Arguments
        root: root URL of the server.
        path: path relative to `root` to which the events are sent.
        field: name of the form field holding the JSON data.
        headers: dict of HTTP headers.
        timeout: seconds to wait for the server (1.2.2 waited without limit).
    """

    def __init__(self, root='http://localhost:9000', path='/publish/epoch/end/', field='data',
                 headers=None, timeout=10.0):
        super(RemoteMonitor, self).__init__()
        if headers is None:
            headers = {'Accept': 'application/json', 'Content-Type': 'application/json'}
        self.root = root
        self.path = path
        self.field = field
        self.headers = headers
        self.timeout = timeout

    def on_epoch_end(self, epoch, logs=None):
        send = {'epoch': epoch}
        send.update(logs or {})
        body = urllib.parse.urlencode({self.field: json.dumps(send, default=_json_default)})
        request = urllib.request.Request(self.root + self.path, data=body.encode('utf-8'),
                                         headers=self.headers, method='POST')
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            error.close()   # the server was reached; its answer is not ours to judge
        except (OSError, ValueError, http.client.HTTPException):
            warnings.warn('Warning: could not reach RemoteMonitor root server at '
                          + str(self.root))


class LearningRateScheduler(Callback):
    """Sets the learning rate at the beginning of every epoch.

    # Arguments
        schedule: function of the epoch index (from 0) returning the learning rate (a float).
    """

    def __init__(self, schedule):
        super(LearningRateScheduler, self).__init__()
        if not callable(schedule):
            raise TypeError('schedule must be a function of the epoch index, got %r'
                            % (schedule,))
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        if not hasattr(self.model.optimizer, 'lr'):
            raise ValueError('Optimizer must have a "lr" attribute.')
        lr = self.schedule(epoch)
        if not isinstance(lr, (float, np.floating)):
            raise ValueError('The output of the "schedule" function should be float; for '
                             'epoch %d it returned %r (%s)' % (epoch, lr, type(lr).__name__))
        K.set_value(self.model.optimizer.lr, lr)


class TensorBoard(Callback):
    """Keras 1.2.2's TensorBoard callback writes TensorFlow summaries and works only with the
    TensorFlow backend; symkeras has no TensorFlow summaries, so constructing it is an error
    (as it was on Keras 1.2.2's Theano backend)."""

    def __init__(self, log_dir='./logs', histogram_freq=0, write_graph=True,
                 write_images=False):
        super(TensorBoard, self).__init__()
        raise RuntimeError('TensorBoard callback only works with the TensorFlow backend: '
                           'symkeras has no TensorFlow summaries to write. Log with '
                           'CSVLogger, History or RemoteMonitor instead.')


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by `factor` when `monitor` has not improved by more than
    `epsilon` for `patience` epochs.

    # Arguments
        monitor: quantity to watch.
        factor: factor (< 1) by which the learning rate is reduced.
        patience: number of epochs without improvement before a reduction.
        verbose: 1 prints a line at each reduction.
        mode: 'min', 'max' or 'auto' (max when the name contains 'acc', as in 1.2.2).
        epsilon: smallest change counted as an improvement.
        cooldown: number of epochs after a reduction during which epochs do not count.
        min_lr: lower bound of the learning rate.
    """

    def __init__(self, monitor='val_loss', factor=0.1, patience=10, verbose=0, mode='auto',
                 epsilon=1e-4, cooldown=0, min_lr=0):
        super(ReduceLROnPlateau, self).__init__()
        self.monitor = _check_monitor(monitor)
        factor = check_number('ReduceLROnPlateau', 'factor', factor)
        if factor >= 1.0:
            raise ValueError('ReduceLROnPlateau does not support a factor >= 1.0 (got %r).'
                             % (factor,))
        self.factor = factor
        self.min_lr = check_number('ReduceLROnPlateau', 'min_lr', min_lr)
        self.epsilon = check_number('ReduceLROnPlateau', 'epsilon', epsilon)
        self.patience = check_number('ReduceLROnPlateau', 'patience', patience, integer=True,
                                     minimum=0)
        self.verbose = verbose
        self.cooldown = check_number('ReduceLROnPlateau', 'cooldown', cooldown, integer=True,
                                     minimum=0)
        self.mode = _resolve_mode('Learning Rate Plateau Reducing', mode)
        self._reset()

    def _reset(self):
        if self.mode == 'min' or (self.mode == 'auto' and 'acc' not in self.monitor):
            self.monitor_op = lambda a, b: np.less(a, b - self.epsilon)
            self.best = np.inf
        else:
            self.monitor_op = lambda a, b: np.greater(a, b + self.epsilon)
            self.best = -np.inf
        self.cooldown_counter = 0
        self.wait = 0
        self.lr_epsilon = self.min_lr * 1e-4

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = {} if logs is None else logs
        logs['lr'] = K.get_value(self.model.optimizer.lr)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn('Learning Rate Plateau Reducing requires %s available!'
                          % self.monitor, RuntimeWarning)
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_op(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            if self.wait >= self.patience:
                self._reduce(epoch)
            # As 1.2.2: counted after a reduction too, so that epoch starts the new wait.
            self.wait += 1

    def _reduce(self, epoch):
        old_lr = float(K.get_value(self.model.optimizer.lr))
        if old_lr > self.min_lr + self.lr_epsilon:
            new_lr = max(old_lr * self.factor, self.min_lr)
            K.set_value(self.model.optimizer.lr, new_lr)
            if self.verbose > 0:
                print('\nEpoch %05d: reducing learning rate to %s.' % (epoch, new_lr))
            self.cooldown_counter = self.cooldown
            self.wait = 0


def _csv_value(value):
    """1.2.2's rendering: sequences (not 0-d arrays) as "[a, b, ...]", the rest as is."""
    is_sequence = isinstance(value, (list, tuple)) or (
        isinstance(value, np.ndarray) and value.ndim > 0)
    if is_sequence:
        return '"[%s]"' % ', '.join(map(str, value))
    return value


class CSVLogger(Callback):
    """Streams the epoch logs to a CSV file: a header 'epoch' then the sorted log names, and
    one row per epoch. The file is opened at train begin, flushed after every epoch (it can be
    read while training runs) and closed at train end.

    # Arguments
        filename: path of the CSV file.
        separator: field separator.
        append: append to an existing file (no second header if it already has one) rather
            than overwrite it.
    """

    def __init__(self, filename, separator=',', append=False):
        super(CSVLogger, self).__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError('separator must be a one-character string, got %r'
                             % (separator,))
        self.filename = filename
        self.sep = separator
        self.append = append
        self.writer = None
        self.keys = None
        self.csv_file = None

    def on_train_begin(self, logs=None):
        self.writer = None
        self.keys = None
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename) as f:
                self.append_header = not f.readline()
        # newline='' leaves the csv module's '\r\n' row ends alone, as Keras' files have them.
        self.csv_file = open(self.filename, 'a' if self.append else 'w', newline='')

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.writer is None:
            self.keys = sorted(logs)
            self.writer = csv.DictWriter(self.csv_file, fieldnames=['epoch'] + self.keys,
                                         delimiter=self.sep, extrasaction='ignore')
            if self.append_header:
                self.writer.writeheader()
        row = {'epoch': epoch}
        row.update((k, _csv_value(logs[k])) for k in self.keys if k in logs)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
            self.csv_file = None


def _ignore_epoch_or_batch(index, logs=None):
    pass


def _ignore_train(logs=None):
    pass


class LambdaCallback(Callback):
    """A callback made of functions: `on_epoch_begin(epoch, logs)`, `on_epoch_end(epoch,
    logs)`, `on_batch_begin(batch, logs)`, `on_batch_end(batch, logs)`,
    `on_train_begin(logs)`, `on_train_end(logs)`; those not given do nothing. Other keyword
    arguments become attributes of the callback (as in 1.2.2)."""

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None, **kwargs):
        super(LambdaCallback, self).__init__()
        self.__dict__.update(kwargs)
        hooks = {'on_epoch_begin': on_epoch_begin, 'on_epoch_end': on_epoch_end,
                 'on_batch_begin': on_batch_begin, 'on_batch_end': on_batch_end,
                 'on_train_begin': on_train_begin, 'on_train_end': on_train_end}
        for name, function in hooks.items():
            if function is None:
                function = _ignore_train if name.startswith('on_train') else \
                    _ignore_epoch_or_batch
            elif not callable(function):
                raise TypeError('%s must be a function, got %r' % (name, function))
            setattr(self, name, function)
