"""Keras 1.2.2 `keras.engine.training`: Model, a Container that can be compiled, trained,
evaluated and used for prediction.

Unlike Keras 1 (which built its functions lazily at the first fit), compile() builds the
train, test and predict K.functions at once; a K.function specialises itself once per input
shape (the last, smaller batch costs one more specialisation), so the batch loops below do no
compilation. Each batch is one K.function call over index-sliced arrays.
"""
import contextlib
import multiprocessing
import pickle
import queue as queue_module
import threading
import traceback
import warnings

import numpy as np

from .. import backend as K
from .. import callbacks as cbks
from .. import metrics as metrics_module
from .. import objectives
from .. import optimizers
from ..utils.generic_utils import Progbar
from .topology import Container, _unique

_QUEUE_POLL = 0.05   # seconds between checks that generator workers are still alive


# ----------------------------------------------------------------------------- data checks

def _as_array(x):
    """numpy arrays and array-likes with a shape (HDF5 datasets) as they are; lists as arrays."""
    return x if hasattr(x, 'shape') else np.asarray(x)


def standardize_input_data(data, names, shapes=None, check_batch_dim=True, exception_prefix=''):
    """`data` (an array, a list of arrays, or a dict by name) as a list of arrays in the order
    of `names`, each at least 2-D, checked against `shapes` (None entries: not checked)."""
    if isinstance(data, dict):
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ValueError('Error when checking %s: unknown keys %s in the data dictionary; '
                             'expected keys: %s' % (exception_prefix, unknown, names))
        missing = [name for name in names if name not in data]
        if missing:
            raise ValueError('Error when checking %s: no data provided for %s. Need data for '
                             'each key in: %s' % (exception_prefix, missing, names))
        arrays = [data[name] for name in names]
    elif isinstance(data, (list, tuple)):
        if len(data) != len(names):
            raise ValueError('Error when checking %s: the list of arrays passed to your model '
                             'is not the size the model expected: expected to see %d arrays '
                             '(for %s) but instead got %d' % (exception_prefix, len(names),
                                                             names, len(data)))
        arrays = list(data)
    else:
        if len(names) != 1:
            raise ValueError('Error when checking %s: the model expects %d arrays (for %s), '
                             'but only received one array of shape %s; pass a list or a dict'
                             % (exception_prefix, len(names), names,
                                getattr(data, 'shape', None)))
        arrays = [data]
    arrays = [_as_array(a) for a in arrays]
    arrays = [np.expand_dims(a, 1) if len(a.shape) == 1 else a for a in arrays]
    if shapes:
        for name, array, shape in zip(names, arrays, shapes):
            if shape is None:
                continue
            if len(array.shape) != len(shape):
                raise ValueError('Error when checking %s: expected %s to have %d dimensions, '
                                 'but got array with shape %s' % (exception_prefix, name,
                                                                  len(shape), array.shape))
            for j, (dim, ref_dim) in enumerate(zip(array.shape, shape)):
                if (j or check_batch_dim) and ref_dim and ref_dim != dim:
                    raise ValueError('Error when checking %s: expected %s to have shape %s but '
                                     'got array with shape %s' % (exception_prefix, name,
                                                                  shape, array.shape))
    return arrays


def _per_output(value, output_names, what):
    """A value given for the outputs (None, a list, a dict by output name, or one value for a
    single output) as a list with one entry per output."""
    if value is None:
        return [None] * len(output_names)
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(output_names))
        if unknown:
            raise ValueError('Unknown entries in %s dictionary: %s. Only expected the following '
                             'keys: %s' % (what, unknown, output_names))
        return [value.get(name) for name in output_names]
    if isinstance(value, list):
        if len(value) != len(output_names):
            raise ValueError('%s should be a list of %d entries, one per output %s; got %d'
                             % (what, len(output_names), output_names, len(value)))
        return value
    if len(output_names) == 1:
        return [value]
    raise TypeError('The model has %d outputs (%s), so %s should be a list or a dict by output '
                    'name; got %r' % (len(output_names), output_names, what, value))


def _weights_per_output(value, output_names, what):
    """sample_weight / class_weight as one entry per output (Keras 1.2.2's rule): for a
    single output, the value itself unless it is a one-item list or a dict keyed by the
    output's name; for several, a list or a dict by output name."""
    if value is None:
        return [None] * len(output_names)
    if len(output_names) == 1:
        if isinstance(value, list) and len(value) == 1:
            return value
        if isinstance(value, dict) and output_names[0] in value:
            return [value[output_names[0]]]
        return [value]
    if isinstance(value, (list, dict)):
        return _per_output(value, output_names, what)
    raise TypeError('The model has %d outputs (%s): %s should be a list or a dict by output '
                    'name; got %s' % (len(output_names), output_names, what, _short_repr(value)))


def check_array_lengths(inputs, targets):
    """All inputs and targets must have the same number of samples (sample weights are
    checked against their targets by standardize_weights)."""
    x_lengths = set(a.shape[0] for a in inputs)
    y_lengths = set(a.shape[0] for a in targets)
    if len(x_lengths) > 1:
        raise ValueError('All input arrays (x) should have the same number of samples; got '
                         'sample counts %s' % sorted(x_lengths))
    if len(y_lengths) > 1:
        raise ValueError('All target arrays (y) should have the same number of samples; got '
                         'sample counts %s' % sorted(y_lengths))
    if x_lengths != y_lengths:
        raise ValueError('Input arrays should have the same number of samples as target '
                         'arrays. Found %d input samples and %d target samples.'
                         % (x_lengths.pop(), y_lengths.pop()))


def check_loss_and_target_compatibility(targets, losses):
    """Reject one-column targets for categorical_crossentropy (Keras 1.2.2's check; the
    other target/output shape mismatches are caught by standardize_input_data)."""
    for y, loss in zip(targets, losses):
        if getattr(loss, '__name__', '') == 'categorical_crossentropy' and y.shape[-1] == 1:
            raise ValueError(
                'You are passing a target array of shape %s while using as loss '
                '`categorical_crossentropy`. `categorical_crossentropy` expects targets to be '
                'binary matrices (1s and 0s) of shape (samples, classes). If your targets are '
                'integer classes, you can convert them to the expected format via '
                '`symkeras.utils.np_utils.to_categorical(y_int)`, or use the loss '
                '`sparse_categorical_crossentropy`, which expects integer targets.'
                % (y.shape,))


def standardize_weights(y, sample_weight=None, class_weight=None, sample_weight_mode=None):
    """The per-sample (or, 'temporal', per-timestep) weight array of one output: the given
    sample weights, else class weights looked up by class (argmax of one-hot rows, or the
    value of (n, 1) targets), else ones."""
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight)
    if sample_weight_mode == 'temporal':
        if len(y.shape) < 3:
            raise ValueError('Found a sample_weight array for an input with shape %s. '
                             'Timestep-wise sample weighting (use of sample_weight_mode='
                             '"temporal") is restricted to outputs that are at least 3D, i.e. '
                             'that have a time dimension.' % (y.shape,))
        if sample_weight is not None and sample_weight.ndim != 2:
            raise ValueError('Found a sample_weight array with shape %s. In order to use '
                             'timestep-wise sample weighting, you should pass a 2D '
                             'sample_weight array.' % (sample_weight.shape,))
    elif sample_weight is not None and sample_weight.ndim != 1:
        raise ValueError('Found a sample_weight array with shape %s. In order to use '
                         'timestep-wise sample weights, you should specify sample_weight_mode='
                         '"temporal" in compile(). If you just mean to use sample-wise weights, '
                         'make sure your sample_weight array is 1D.' % (sample_weight.shape,))
    if sample_weight is not None:
        if tuple(y.shape[:sample_weight.ndim]) != sample_weight.shape:
            raise ValueError('Found a sample_weight array of shape %s for a target of shape %s; '
                             'its shape should be the first %d dimensions of the target'
                             % (sample_weight.shape, y.shape, sample_weight.ndim))
        return sample_weight.astype(K.floatx(), copy=False)
    if class_weight is not None:
        if not isinstance(class_weight, dict):
            raise TypeError('class_weight should be a dict {class index: weight}; got %r'
                            % (class_weight,))
        if len(y.shape) > 2:
            raise ValueError('class_weight is not supported for 3+ dimensional targets '
                             '(target shape %s)' % (y.shape,))
        y_classes = y.argmax(axis=1) if y.shape[1] > 1 else np.reshape(y, y.shape[0])
        missing = sorted(set(y_classes.tolist()) - set(class_weight))
        if missing:
            raise ValueError('class_weight has no weight for the classes %s found in the '
                             'targets (it has keys %s)' % (missing, sorted(class_weight)))
        return np.asarray([class_weight[c] for c in y_classes.tolist()], dtype=K.floatx())
    shape = (y.shape[0],) if sample_weight_mode is None else (y.shape[0], y.shape[1])
    return np.ones(shape, dtype=K.floatx())


def make_batches(size, batch_size):
    """(start, end) of each batch; the last may be smaller."""
    nb_batch = int(np.ceil(size / float(batch_size)))
    return [(i * batch_size, min(size, (i + 1) * batch_size)) for i in range(nb_batch)]


def batch_shuffle(index_array, batch_size):
    """Shuffle whole batch-sized chunks (HDF5-friendly: reads stay contiguous); the last,
    incomplete chunk stays last."""
    batch_count = len(index_array) // batch_size
    last_batch = index_array[batch_count * batch_size:]
    chunks = index_array[:batch_count * batch_size].reshape((batch_count, batch_size))
    np.random.shuffle(chunks)
    return np.append(chunks.flatten(), last_batch)


def _check_samples(fn, arrays):
    """The number of samples of the (standardized) arrays, which must not be 0."""
    nb_sample = arrays[0].shape[0]
    if nb_sample == 0:
        raise ValueError('%s: the arrays passed have no samples (shapes %s)'
                         % (fn, [a.shape for a in arrays]))
    return nb_sample


def _slice(arrays, start, stop=None):
    """Rows [start:stop] (or rows at an index array `start`) of every array."""
    if stop is None and hasattr(start, '__len__'):
        # np.take gathers rows in a third of the time of fancy indexing; other array types
        # (HDF5Matrix) index themselves.
        return [np.take(a, start, axis=0) if type(a) is np.ndarray else a[start] for a in arrays]
    return [a[start:stop] for a in arrays]


def slice_X(X, start=None, stop=None):
    """Keras 1.2.2's slice_X: rows [start:stop] of an array, or of each array of a list (the
    rows at the indices `start` when it is a list or an array)."""
    if isinstance(X, list):
        return _slice(X, start, stop)
    return _slice([X], start, stop)[0]


def weighted_objective(fn):
    """fn(y_true, y_pred) (a per-sample or per-timestep score) as the weighted, masked mean
    that Keras 1.2.2 trains on."""
    def weighted(y_true, y_pred, weights, mask=None):
        score_array = fn(y_true, y_pred)
        if mask is not None:
            mask = K.cast(mask, K.floatx())
            score_array = score_array * mask
            # Average over the unmasked entries only.
            score_array = score_array / K.mean(mask)
        if weights is not None:
            extra = list(range(K.ndim(weights), K.ndim(score_array)))
            if extra:
                score_array = K.mean(score_array, axis=extra)
            score_array = score_array * weights
            score_array = score_array / K.mean(K.cast(K.not_equal(weights, 0), K.floatx()))
        return K.mean(score_array)
    return weighted


def _dedupe(labels):
    """Repeated labels get _2, _3, ... suffixes (the keys of fit's logs must be distinct)."""
    seen, out = {}, []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else '%s_%d' % (label, seen[label]))
    return out


def _nb_samples(x):
    """The batch size of a generator's x (array, list or dict of arrays)."""
    if isinstance(x, dict):
        x = list(x.values())
    if isinstance(x, (list, tuple)):
        x = x[0] if x else None
    if not hasattr(x, 'shape') or not len(x.shape):
        raise ValueError('The generator yielded x = %r, which is not an array (or a list or '
                         'dict of arrays)' % (x,))
    return x.shape[0]


def _split_generator_output(output, allow_x_only=False):
    """(x, y, sample_weight) from a generator's output."""
    if allow_x_only and not isinstance(output, tuple):
        return output, None, None
    if isinstance(output, tuple) and len(output) in (2, 3):
        return output[0], output[1], output[2] if len(output) == 3 else None
    raise ValueError('output of generator should be a tuple (x, y, sample_weight) or (x, y). '
                     'Found: %s' % (_short_repr(output),))


def _check_count(fn, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError('%s: %s must be a positive integer; got %r' % (fn, name, value))


def _short_repr(x):
    text = repr(x)
    return text if len(text) < 200 else text[:200] + '...'


# ----------------------------------------------------------------------------- generator queue

def _thread_worker(generator, out, stop):
    _produce(generator, stop, lambda kind, value: _put(out, (kind, value), stop))


def _process_worker(generator, out, stop, seed):
    # Each process has its own copy of the global numpy generator: reseed, as Keras 1.2.2 did.
    np.random.seed(seed)

    def send(kind, value):
        try:
            payload = pickle.dumps((kind, value))
        except Exception as e:   # the yielded value or the error cannot cross processes
            payload = pickle.dumps(('error', RuntimeError(
                'generator worker process: cannot pickle %s: %s' % (_short_repr(value), e))))
        _put(out, payload, stop)
    _produce(generator, stop, send)


def _produce(generator, stop, send):
    """Feed `send` with ('item', value) per yield, then ('end', None) or ('error', exception)."""
    try:
        while not stop.is_set():
            send('item', next(generator))
    except StopIteration:
        send('end', None)
    except BaseException as e:   # reported to the consumer, which re-raises it
        e.__traceback_text__ = traceback.format_exc()
        send('error', e)


def _put(out, item, stop):
    while not stop.is_set():
        try:
            out.put(item, timeout=_QUEUE_POLL)
            return
        except queue_module.Full:
            continue


class GeneratorEnqueuer(object):
    """Runs a generator ahead of its consumer in worker threads (or, pickle_safe, processes)
    filling a queue of at most max_q_size items. get() returns the next item; an exception
    raised by the generator is raised by get() in the consumer; stop() ends the workers."""

    def __init__(self, generator, pickle_safe=False):
        if not hasattr(generator, '__next__'):
            raise TypeError('Expected a generator (an object with __next__); got %r'
                            % (generator,))
        self.generator = generator
        self.pickle_safe = pickle_safe
        self.workers = []

    def start(self, max_q_size=10, nb_worker=1):
        if nb_worker < 1 or max_q_size < 1:
            raise ValueError('nb_worker and max_q_size must be >= 1; got %r and %r'
                             % (nb_worker, max_q_size))
        if self.pickle_safe:
            ctx = multiprocessing.get_context('fork')
            self.queue = ctx.Queue(maxsize=max_q_size)
            self.stop_event = ctx.Event()
            seeds = np.random.randint(0, 2 ** 31 - 1, size=nb_worker)
            self.workers = [ctx.Process(target=_process_worker, daemon=True,
                                        args=(self.generator, self.queue, self.stop_event, s))
                            for s in seeds]
        else:
            if nb_worker > 1:
                warnings.warn('The "nb_worker" argument is ignored when pickle_safe is False: a '
                              'generator is consumed by one thread (it cannot run in several '
                              'at once).')
            self.queue = queue_module.Queue(maxsize=max_q_size)
            self.stop_event = threading.Event()
            self.workers = [threading.Thread(target=_thread_worker, daemon=True,
                                             args=(self.generator, self.queue, self.stop_event))]
        for worker in self.workers:
            worker.start()

    def get(self):
        while True:
            try:
                item = self.queue.get(timeout=_QUEUE_POLL)
                break
            except queue_module.Empty:
                if not any(w.is_alive() for w in self.workers) and self.queue.empty():
                    raise RuntimeError('The generator workers stopped without output (a worker '
                                       'process was killed?)')
        kind, value = pickle.loads(item) if self.pickle_safe else item
        if kind == 'item':
            return value
        if kind == 'end':
            raise ValueError('The generator stopped (StopIteration) before enough samples were '
                             'drawn; a generator for fit/evaluate/predict_generator should '
                             'loop forever or yield at least the samples asked for')
        if self.pickle_safe and hasattr(value, '__traceback_text__'):
            raise value from RuntimeError('in the generator worker process:\n'
                                          + value.__traceback_text__)
        raise value

    def stop(self):
        self.stop_event.set()
        for worker in self.workers:
            if self.pickle_safe:
                worker.terminate()
            worker.join(timeout=1.)
        self.workers = []


CLASS_MODES = ('categorical', 'binary')


def _pop_class_mode(kwargs):
    """Keras 0.3's compile(class_mode=...): deprecated (1.2.2 warns and drops it), kept here
    for what 0.3.3 used it for: the accuracy of show_accuracy / accuracy=True and
    Sequential.predict_classes."""
    if 'class_mode' not in kwargs:
        return None
    mode = kwargs.pop('class_mode')
    warnings.warn('"class_mode" argument is deprecated, please remove it (Keras 1 chooses the '
                  'accuracy from the loss and the output shape).', DeprecationWarning, stacklevel=3)
    if mode is not None and mode not in CLASS_MODES:
        raise ValueError('compile: class_mode must be "categorical", "binary" or None; got %r'
                         % (mode,))
    return mode


# ----------------------------------------------------------------------------- the model

class Model(Container):
    """A Container with a training configuration (Keras 1.2.2's keras.models.Model)."""

    def compile(self, optimizer, loss, metrics=None, loss_weights=None, sample_weight_mode=None,
                **kwargs):
        """Configure training and build the train, test and predict functions.

        optimizer: name or Optimizer. loss: objective name/function, or a list / dict by
        output name. metrics: list (for every output) or dict by output name. loss_weights:
        list or dict (default 1 per output). sample_weight_mode: None or 'temporal' (2-D
        sample weights), or a list / dict of those. Other kwargs go to K.function."""
        self.class_mode = _pop_class_mode(kwargs)
        nb_out = len(self.outputs)
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        self.loss_weights = loss_weights
        self.sample_weight_mode = sample_weight_mode

        loss_weights_list = self._loss_weights_list(loss_weights)
        self.loss_functions = self._loss_functions(loss)
        self.sample_weight_modes = self._sample_weight_modes(sample_weight_mode)
        masks = self.compute_mask(self.inputs, mask=None)
        masks = [None] * nb_out if masks is None else (masks if isinstance(masks, list)
                                                       else [masks])
        self.sample_weights = [
            K.placeholder(ndim=2 if mode == 'temporal' else 1, name=name + '_sample_weights')
            for name, mode in zip(self.output_names, self.sample_weight_modes)]
        self.targets = [K.placeholder(ndim=len(shape), name=name + '_target',
                                      dtype=K.dtype(output))
                        for name, shape, output in zip(self.output_names,
                                                       self.internal_output_shapes,
                                                       self.outputs)]
        self.metrics = metrics
        self.metrics_names = ['loss']
        self.metrics_tensors = []
        total_loss = None
        for i in range(nb_out):
            with K.layer_scope('loss of %s' % self.output_names[i]):
                output_loss = weighted_objective(self.loss_functions[i])(
                    self.targets[i], self.outputs[i], self.sample_weights[i], masks[i])
            if nb_out > 1:
                self.metrics_tensors.append(output_loss)
                self.metrics_names.append(self.output_names[i] + '_loss')
            term = loss_weights_list[i] * output_loss
            total_loss = term if total_loss is None else total_loss + term
        for loss_tensor in self.losses:
            total_loss = total_loss + loss_tensor
        self.total_loss = total_loss
        self._add_metrics(metrics)

        trainable_weights = _unique(self.trainable_weights)
        trainable_weights.sort(key=lambda w: w.name or '')
        self._collected_trainable_weights = trainable_weights
        self._function_kwargs = kwargs
        self._build_functions()

    def _loss_weights_list(self, loss_weights):
        if loss_weights is None:
            return [1.] * len(self.outputs)
        if not isinstance(loss_weights, (dict, list)):
            raise TypeError('Could not interpret loss_weights argument: %r - expected a list or '
                            'a dict by output name.' % (loss_weights,))
        return [1. if w is None else w
                for w in _per_output(loss_weights, self.output_names, 'loss_weights')]

    def _loss_functions(self, loss):
        if isinstance(loss, (dict, list)):
            losses = _per_output(loss, self.output_names, 'loss')
            missing = [name for name in self.output_names
                       if isinstance(loss, dict) and name not in loss]
            if missing:
                raise ValueError('Output "%s" missing from loss dictionary.' % missing[0])
        else:
            losses = [loss] * len(self.outputs)
        return [objectives.get(fn) for fn in losses]

    def _sample_weight_modes(self, mode):
        if isinstance(mode, (dict, list)):
            modes = _per_output(mode, self.output_names, 'sample_weight_mode')
        else:
            modes = [mode] * len(self.outputs)
        for name, m in zip(self.output_names, modes):
            if m not in (None, 'temporal'):
                raise ValueError('sample_weight_mode for output "%s" should be None or '
                                 '"temporal"; got %r' % (name, m))
        return modes

    def _add_metrics(self, metrics):
        if metrics is None:
            nested = [[] for _ in self.outputs]
        elif isinstance(metrics, (list, tuple)):
            nested = [list(metrics) for _ in self.outputs]
        elif isinstance(metrics, dict):
            nested = [m if isinstance(m, list) else ([] if m is None else [m])
                      for m in _per_output(metrics, self.output_names, 'metrics')]
        else:
            raise TypeError('Type of `metrics` argument not understood. Expected a list or '
                            'dictionary, found: %r' % (metrics,))
        prefix = len(self.outputs) > 1
        for i, output_metrics in enumerate(nested):
            y_true, y_pred = self.targets[i], self.outputs[i]
            for metric in output_metrics:
                with K.layer_scope('metric %s of %s' % (getattr(metric, '__name__', metric),
                                                        self.output_names[i])):
                    results = self._metric_tensors(i, metric, y_true, y_pred)
                for name, tensor in results.items():
                    self.metrics_names.append(
                        self.output_names[i] + '_' + name if prefix else name)
                    self.metrics_tensors.append(tensor)

    def _metric_tensors(self, i, metric, y_true, y_pred):
        """{name: tensor} of one metric of output i (accuracy chosen as Keras 1.2.2 does)."""
        if metric in ('accuracy', 'acc'):
            fn = metrics_module.accuracy_for(self.internal_output_shapes[i],
                                             self.loss_functions[i])
            return {'acc': fn(y_true, y_pred)}
        fn = metrics_module.get(metric)
        results = fn(y_true, y_pred)
        return results if isinstance(results, dict) else {fn.__name__: results}

    def _uses_phase_input(self):
        return self.uses_learning_phase and not isinstance(K.learning_phase(), int)

    def _build_functions(self):
        outputs = [self.total_loss] + self.metrics_tensors
        with K.layer_scope('optimizer %s' % type(self.optimizer).__name__):
            training_updates = self.optimizer.get_updates(self._collected_trainable_weights,
                                                          self.constraints, self.total_loss)
        self._training_updates = training_updates
        self.train_function, self.test_function = self._train_and_test_functions(outputs)
        self._accuracy_functions = None
        self.predict_function = None
        self._make_predict_function()

    def _train_and_test_functions(self, outputs):
        inputs = self.inputs + self.targets + self.sample_weights
        phase = [K.learning_phase()] if self._uses_phase_input() else []
        train = K.function(inputs + phase, outputs,
                           updates=self.updates + self._training_updates, **self._function_kwargs)
        test = K.function(inputs + phase, outputs, updates=self.state_updates,
                          **self._function_kwargs)
        return train, test

    @contextlib.contextmanager
    def _reporting_accuracy(self, method):
        """Keras 0.3's show_accuracy=True / accuracy=True: within the block the train and test
        functions also return the output's accuracy, named 'acc' (after the compiled metrics),
        unless a compiled metric already is 'acc'. Accuracy is 0.3.3's: binary (rounded
        predictions) or categorical (argmax) by compile's class_mode, or, without one, by
        whether the output's last dimension is 1. The train function shares the compiled
        updates, so the optimizer's state carries on."""
        self._check_compiled(method)
        if 'acc' in self.metrics_names:
            yield
            return
        if len(self.outputs) != 1:
            raise ValueError('%s: show_accuracy / accuracy=True needs a model with exactly one '
                             'output (model %s has %d: %s); use compile(metrics=...) instead'
                             % (method, self.name, len(self.outputs), ', '.join(self.output_names)))
        if self._accuracy_functions is None:
            binary = (self.class_mode == 'binary' if self.class_mode
                      else self.internal_output_shapes[0][-1] == 1)
            metric = metrics_module.binary_accuracy if binary else metrics_module.categorical_accuracy
            with K.layer_scope('metric acc of %s (show_accuracy)' % self.output_names[0]):
                acc = metric(self.targets[0], self.outputs[0])
            self._accuracy_functions = self._train_and_test_functions(
                [self.total_loss] + self.metrics_tensors + [acc])
        saved = self.train_function, self.test_function, self.metrics_names
        self.train_function, self.test_function = self._accuracy_functions
        self.metrics_names = self.metrics_names + ['acc']
        try:
            yield
        finally:
            self.train_function, self.test_function, self.metrics_names = saved

    def _make_predict_function(self):
        """The predict function: compile()'s, or, for a model never compiled, one built on
        first use (Keras 1 predicts with uncompiled models)."""
        if getattr(self, 'predict_function', None) is None:
            phase = [K.learning_phase()] if self._uses_phase_input() else []
            self.predict_function = K.function(self.inputs + phase, self.outputs,
                                               updates=self.state_updates,
                                               **getattr(self, '_function_kwargs', {}))
        return self.predict_function

    def _check_compiled(self, what):
        if getattr(self, 'train_function', None) is None:
            raise RuntimeError('You must compile your model before using it (%s was called '
                               'on model %s).' % (what, self.name))

    def _phase(self, value):
        """The learning-phase input value, as a list to append to the inputs (or empty)."""
        return [np.array(value, dtype=np.uint8)] if self._uses_phase_input() else []

    # ---------------------------------------------------------------- data

    def _target_shapes(self):
        shapes = []
        for shape, fn in zip(self.internal_output_shapes, self.loss_functions):
            name = getattr(fn, '__name__', '')
            if name == 'sparse_categorical_crossentropy':
                shapes.append(tuple(shape[:-1]) + (1,))
            elif getattr(objectives, name, None) is not fn:
                shapes.append(None)    # a custom loss may take any target shape
            else:
                shapes.append(shape)
        return shapes

    def _standardize_user_data(self, x, y, sample_weight=None, class_weight=None,
                               check_batch_dim=True, batch_size=None):
        x = standardize_input_data(x, self.input_names, self.internal_input_shapes,
                                   check_batch_dim, exception_prefix='model input')
        y = standardize_input_data(y, self.output_names, self._target_shapes(),
                                   check_batch_dim, exception_prefix='model target')
        sample_weights = _weights_per_output(sample_weight, self.output_names, 'sample_weight')
        class_weights = _weights_per_output(class_weight, self.output_names, 'class_weight')
        sample_weights = [standardize_weights(ref, sw, cw, mode) for ref, sw, cw, mode in
                          zip(y, sample_weights, class_weights, self.sample_weight_modes)]
        check_array_lengths(x, y)
        check_loss_and_target_compatibility(y, self.loss_functions)
        if self.stateful and batch_size and x[0].shape[0] % batch_size != 0:
            raise ValueError('In a stateful network, you should only pass inputs with a number '
                             'of samples that can be divided by the batch size. Found: %d '
                             'samples. Batch size: %d.' % (x[0].shape[0], batch_size))
        return x, y, sample_weights

    # ---------------------------------------------------------------- loops

    def _callbacks(self, callbacks, verbose, params):
        """Keras 1's callback list for a fit: BaseLogger, the user's, History (kept as
        self.history) and, when verbose, ProgbarLogger; set up on the callback model."""
        self.history = cbks.History()
        callbacks = [cbks.BaseLogger()] + (callbacks or []) + [self.history]
        if verbose:
            callbacks.append(cbks.ProgbarLogger())
        callbacks = cbks.CallbackList(callbacks)
        callback_model = getattr(self, 'callback_model', None) or self
        callbacks.set_model(callback_model)
        callbacks.set_params(params)
        return callbacks, callback_model

    def _fit_loop(self, f, ins, phase, out_labels, batch_size, nb_epoch, verbose, callbacks,
                  val_f, val_ins, shuffle, callback_metrics, initial_epoch):
        do_validation = val_f is not None and bool(val_ins)
        nb_train_sample = _check_samples('fit', ins)
        index_array = np.arange(nb_train_sample)
        callbacks, callback_model = self._callbacks(callbacks, verbose, {
            'batch_size': batch_size, 'nb_epoch': nb_epoch, 'nb_sample': nb_train_sample,
            'verbose': verbose, 'do_validation': do_validation, 'metrics': callback_metrics})
        callbacks.on_train_begin()
        callback_model.stop_training = False
        self.validation_data = val_ins
        batches = make_batches(nb_train_sample, batch_size)
        for epoch in range(initial_epoch, nb_epoch):
            callbacks.on_epoch_begin(epoch)
            if shuffle == 'batch':
                index_array = batch_shuffle(index_array, batch_size)
            elif shuffle:
                np.random.shuffle(index_array)
            epoch_logs = {}
            for batch_index, (start, end) in enumerate(batches):
                batch_ids = index_array[start:end]
                try:
                    # unshuffled rows are a contiguous block: pass views, copy nothing
                    ins_batch = (_slice(ins, batch_ids) if shuffle else _slice(ins, start, end))
                except TypeError:
                    raise TypeError('TypeError while preparing batch. If using HDF5 input '
                                    'data, pass shuffle="batch".')
                batch_logs = {'batch': batch_index, 'size': len(batch_ids)}
                callbacks.on_batch_begin(batch_index, batch_logs)
                outs = f(ins_batch + phase)
                for label, o in zip(out_labels, outs):
                    batch_logs[label] = float(o)
                callbacks.on_batch_end(batch_index, batch_logs)
            if do_validation:
                val_outs = self._test_loop(val_f, val_ins, batch_size=batch_size, verbose=0)
                val_outs = val_outs if isinstance(val_outs, list) else [val_outs]
                for label, o in zip(out_labels, val_outs):
                    epoch_logs['val_' + label] = o
            callbacks.on_epoch_end(epoch, epoch_logs)
            if callback_model.stop_training:
                break
        callbacks.on_train_end()
        return self.history

    def _batch_outputs(self, f, ins, batch_size, verbose, what):
        """(start, end, f's outputs) for each batch of ins in order, in test mode, with the
        progress bar of verbose=1 advanced after each batch."""
        phase = self._phase(0)
        nb_sample = _check_samples(what, ins)
        progbar = Progbar(target=nb_sample) if verbose == 1 else None
        for start, end in make_batches(nb_sample, batch_size):
            yield start, end, f(_slice(ins, start, end) + phase)
            if progbar is not None:
                progbar.update(end)

    def _test_loop(self, f, ins, batch_size=32, verbose=0):
        """Batch-size-weighted means of f's outputs over the samples (in order)."""
        totals = None
        for start, end, batch_outs in self._batch_outputs(f, ins, batch_size, verbose, 'evaluate'):
            if totals is None:
                totals = [0.] * len(batch_outs)
            for i, o in enumerate(batch_outs):
                totals[i] += float(o) * (end - start)
        outs = [t / end for t in totals]    # end: the number of samples
        return outs[0] if len(outs) == 1 else outs

    def _predict_loop(self, f, ins, batch_size=32, verbose=0):
        outs = None
        for start, end, batch_outs in self._batch_outputs(f, ins, batch_size, verbose, 'predict'):
            if outs is None:
                n = _check_samples('predict', ins)
                outs = [np.empty((n,) + o.shape[1:], dtype=o.dtype) for o in batch_outs]
            for out, o in zip(outs, batch_outs):
                out[start:end] = o
        return outs[0] if len(outs) == 1 else outs

    # ---------------------------------------------------------------- public API

    def fit(self, x, y, batch_size=32, nb_epoch=10, verbose=1, callbacks=None,
            validation_split=0., validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0):
        """Train for nb_epoch epochs (counting from initial_epoch); returns the History."""
        self._check_compiled('fit')
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError('fit: batch_size must be a positive integer; got %r' % (batch_size,))
        if shuffle not in (True, False, 'batch'):
            raise ValueError("fit: shuffle must be True, False or 'batch'; got %r" % (shuffle,))
        x, y, sample_weights = self._standardize_user_data(
            x, y, sample_weight=sample_weight, class_weight=class_weight,
            check_batch_dim=False, batch_size=batch_size)
        val_ins = None
        if validation_data:
            if len(validation_data) == 2:
                val_x, val_y = validation_data
                val_sample_weight = None
            elif len(validation_data) == 3:
                val_x, val_y, val_sample_weight = validation_data
            else:
                raise ValueError('When passing validation_data, it must contain 2 (x_val, '
                                 'y_val) or 3 (x_val, y_val, val_sample_weights) items, '
                                 'however it contains %d items' % len(validation_data))
            val_x, val_y, val_weights = self._standardize_user_data(
                val_x, val_y, sample_weight=val_sample_weight, check_batch_dim=False,
                batch_size=batch_size)
            val_ins = val_x + val_y + val_weights
        elif validation_split:
            if not 0. < validation_split < 1.:
                raise ValueError('validation_split must be in (0, 1); got %r'
                                 % (validation_split,))
            # The last fraction, before any shuffling (Keras 1.2.2).
            split_at = int(x[0].shape[0] * (1. - validation_split))
            all_ins = x + y + sample_weights
            val_ins = _slice(all_ins, split_at, None)
            x, y, sample_weights = (_slice(part, 0, split_at) for part in
                                    (x, y, sample_weights))
        ins = [self._cast_for(t, a) for t, a in
               zip(self.inputs + self.targets + self.sample_weights, x + y + sample_weights)]
        out_labels = _dedupe(self.metrics_names)
        callback_metrics = list(out_labels)
        if val_ins:
            callback_metrics += ['val_' + n for n in out_labels]
        return self._fit_loop(self.train_function, ins, self._phase(1), out_labels,
                              batch_size, nb_epoch, verbose, callbacks,
                              self.test_function if val_ins else None, val_ins, shuffle,
                              callback_metrics, initial_epoch)

    @staticmethod
    def _cast_for(placeholder, array):
        """Float data as the placeholder's float dtype once, not per batch (other dtypes are
        converted, and checked, by K.function)."""
        dtype = np.dtype(K.dtype(placeholder))
        if isinstance(array, np.ndarray) and array.dtype.kind == 'f' and dtype.kind == 'f':
            return array.astype(dtype, copy=False)
        return array

    def evaluate(self, x, y, batch_size=32, verbose=1, sample_weight=None):
        """The loss (a scalar without metrics) or [loss, metrics...] as metrics_names, each
        averaged over the samples."""
        self._check_compiled('evaluate')
        x, y, sample_weights = self._standardize_user_data(
            x, y, sample_weight=sample_weight, check_batch_dim=False, batch_size=batch_size)
        return self._test_loop(self.test_function, x + y + sample_weights,
                               batch_size=batch_size, verbose=verbose)

    def predict(self, x, batch_size=32, verbose=0):
        """The outputs for x: one array for one output, else a list."""
        x = standardize_input_data(x, self.input_names, self.internal_input_shapes,
                                   check_batch_dim=False, exception_prefix='model input')
        if self.stateful and x[0].shape[0] > batch_size and x[0].shape[0] % batch_size:
            raise ValueError('In a stateful network, you should only pass inputs with a number '
                             'of samples that can be divided by the batch size. Found: %d '
                             'samples. Batch size: %d.' % (x[0].shape[0], batch_size))
        return self._predict_loop(self._make_predict_function(), x, batch_size=batch_size,
                                  verbose=verbose)

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None):
        """One gradient step on one batch; returns the loss (and metrics)."""
        self._check_compiled('train_on_batch')
        x, y, sample_weights = self._standardize_user_data(
            x, y, sample_weight=sample_weight, class_weight=class_weight, check_batch_dim=True)
        outputs = self.train_function(x + y + sample_weights + self._phase(1))
        return outputs[0] if len(outputs) == 1 else outputs

    def test_on_batch(self, x, y, sample_weight=None):
        """The loss (and metrics) on one batch, without training."""
        self._check_compiled('test_on_batch')
        x, y, sample_weights = self._standardize_user_data(
            x, y, sample_weight=sample_weight, check_batch_dim=True)
        outputs = self.test_function(x + y + sample_weights + self._phase(0))
        return outputs[0] if len(outputs) == 1 else outputs

    def predict_on_batch(self, x):
        x = standardize_input_data(x, self.input_names, self.internal_input_shapes,
                                   exception_prefix='model input')
        outputs = self._make_predict_function()(x + self._phase(0))
        return outputs[0] if len(outputs) == 1 else outputs

    def predict_proba(self, x, batch_size=32, verbose=1):
        """predict(), warning when an output leaves [0, 1] (not probabilities)."""
        preds = self.predict(x, batch_size, verbose)
        for p in (preds if isinstance(preds, list) else [preds]):
            if p.size and (p.min() < 0. or p.max() > 1.):
                warnings.warn('Network returning invalid probability values. The last layer '
                              'might not normalize predictions into probabilities (like '
                              'softmax or sigmoid would).')
        return preds

    def predict_classes(self, x, batch_size=32, verbose=1):
        """Class indices: argmax over the last axis, or p > 0.5 for a last dimension of 1
        (per output, as a list, for several outputs)."""
        preds = self.predict(x, batch_size=batch_size, verbose=verbose)

        def classes(proba):
            if proba.shape[-1] > 1:
                return proba.argmax(axis=-1)
            return (proba > 0.5).astype('int32')
        return [classes(p) for p in preds] if isinstance(preds, list) else classes(preds)

    # ---------------------------------------------------------------- generators

    def fit_generator(self, generator, samples_per_epoch, nb_epoch, verbose=1, callbacks=None,
                      validation_data=None, nb_val_samples=None, class_weight=None,
                      max_q_size=10, nb_worker=1, pickle_safe=False, initial_epoch=0):
        """Train on batches yielded by `generator` ((x, y) or (x, y, sample_weight)); an
        epoch ends once samples_per_epoch samples have been seen. validation_data: a tuple
        of arrays or a generator (then nb_val_samples is required)."""
        self._check_compiled('fit_generator')
        _check_count('fit_generator', 'samples_per_epoch', samples_per_epoch)
        val_gen = hasattr(validation_data, '__next__')
        do_validation = val_gen or bool(validation_data)
        if val_gen and not nb_val_samples:
            raise ValueError('When using a generator for validation data, you must specify a '
                             'value for "nb_val_samples".')
        out_labels = _dedupe(self.metrics_names)
        callback_metrics = out_labels + ['val_' + n for n in out_labels]
        callbacks, callback_model = self._callbacks(callbacks, verbose, {
            'nb_epoch': nb_epoch, 'nb_sample': samples_per_epoch, 'verbose': verbose,
            'do_validation': do_validation, 'metrics': callback_metrics})
        if do_validation and not val_gen:
            if len(validation_data) not in (2, 3):
                raise ValueError('validation_data should be a tuple (val_x, val_y, '
                                 'val_sample_weight) or (val_x, val_y). Found: %s'
                                 % (_short_repr(validation_data),))
            val_x, val_y = validation_data[:2]
            val_sw = validation_data[2] if len(validation_data) == 3 else None
            val_x, val_y, val_weights = self._standardize_user_data(val_x, val_y, val_sw)
            self.validation_data = val_x + val_y + val_weights
        else:
            self.validation_data = None
        callbacks.on_train_begin()
        enqueuer = GeneratorEnqueuer(generator, pickle_safe=pickle_safe)
        enqueuer.start(max_q_size=max_q_size, nb_worker=nb_worker)
        try:
            callback_model.stop_training = False
            for epoch in range(initial_epoch, nb_epoch):
                callbacks.on_epoch_begin(epoch)
                samples_seen = 0
                batch_index = 0
                while samples_seen < samples_per_epoch:
                    x, y, sample_weight = _split_generator_output(enqueuer.get())
                    batch_size = _nb_samples(x)
                    batch_logs = {'batch': batch_index, 'size': batch_size}
                    callbacks.on_batch_begin(batch_index, batch_logs)
                    outs = self.train_on_batch(x, y, sample_weight=sample_weight,
                                               class_weight=class_weight)
                    outs = outs if isinstance(outs, list) else [outs]
                    for label, o in zip(out_labels, outs):
                        batch_logs[label] = float(o)
                    callbacks.on_batch_end(batch_index, batch_logs)
                    batch_index += 1
                    samples_seen += batch_size
                if samples_seen > samples_per_epoch:
                    warnings.warn('Epoch comprised more than `samples_per_epoch` samples, which '
                                  'might affect learning results. Set `samples_per_epoch` '
                                  'correctly to avoid this warning.')
                epoch_logs = {}
                if do_validation:
                    if val_gen:
                        val_outs = self.evaluate_generator(validation_data, nb_val_samples,
                                                           max_q_size=max_q_size,
                                                           nb_worker=nb_worker,
                                                           pickle_safe=pickle_safe)
                    else:
                        val_outs = self._test_loop(self.test_function, self.validation_data,
                                                   batch_size=batch_size)
                    val_outs = val_outs if isinstance(val_outs, list) else [val_outs]
                    for label, o in zip(out_labels, val_outs):
                        epoch_logs['val_' + label] = o
                callbacks.on_epoch_end(epoch, epoch_logs)
                if callback_model.stop_training:
                    break
        finally:
            enqueuer.stop()
        callbacks.on_train_end()
        return self.history

    def evaluate_generator(self, generator, val_samples, max_q_size=10, nb_worker=1,
                           pickle_safe=False):
        """Batch-size-weighted means of the loss (and metrics) over batches from `generator`
        until val_samples samples are seen."""
        self._check_compiled('evaluate_generator')
        _check_count('evaluate_generator', 'val_samples', val_samples)
        all_outs, weights = [], []
        enqueuer = GeneratorEnqueuer(generator, pickle_safe=pickle_safe)
        enqueuer.start(max_q_size=max_q_size, nb_worker=nb_worker)
        try:
            while sum(weights) < val_samples:
                x, y, sample_weight = _split_generator_output(enqueuer.get())
                weights.append(_nb_samples(x))
                outs = self.test_on_batch(x, y, sample_weight=sample_weight)
                all_outs.append([float(o) for o in outs] if isinstance(outs, list)
                                else float(outs))
        finally:
            enqueuer.stop()
        averages = np.average(np.asarray(all_outs), axis=0, weights=weights)
        return averages.tolist() if isinstance(all_outs[0], list) else float(averages)

    def predict_generator(self, generator, val_samples, max_q_size=10, nb_worker=1,
                          pickle_safe=False):
        """The outputs for the inputs yielded by `generator` (x alone, or (x, y) /
        (x, y, sample_weight) tuples) until val_samples samples are seen, concatenated (all
        the samples drawn, which may exceed val_samples when it is not a multiple of the
        generator's batch size)."""
        _check_count('predict_generator', 'val_samples', val_samples)
        all_outs = []
        processed = 0
        enqueuer = GeneratorEnqueuer(generator, pickle_safe=pickle_safe)
        enqueuer.start(max_q_size=max_q_size, nb_worker=nb_worker)
        try:
            while processed < val_samples:
                x = _split_generator_output(enqueuer.get(), allow_x_only=True)[0]
                processed += _nb_samples(x)
                outs = self.predict_on_batch(x)
                all_outs.append(outs if isinstance(outs, list) else [outs])
        finally:
            enqueuer.stop()
        result = [np.concatenate(parts) for parts in zip(*all_outs)]
        return result[0] if len(result) == 1 else result
