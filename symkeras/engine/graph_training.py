"""Training a Keras 0.3.3 Graph (engine/graph.py) on dicts of arrays: compile with dicts by
output name, fit / evaluate / predict, the batch methods and the generator methods, each turned
into a call of the Graph's functional model (a _GraphModel) on lists in input / output order.

The 0.3.3 results: train/test report the total loss alone (a scalar), or [loss, acc] with
show_accuracy / accuracy=True, for a graph with exactly one output; predict gives a dict by
output name. Data dicts must hold every input (and, to train or test, every output) and no
other key; sample_weight and class_weight are dicts by output name.
"""
import contextlib

from .training import Model, standardize_input_data

_GENERATOR_KWARGS = ('nb_worker', 'max_q_size', 'pickle_safe', 'wait_time')


class GraphModel(Model):
    """The functional model behind a Graph. Its train and test functions return the total loss
    alone, as 0.3.3's Graph did (Keras 1 would add one loss per output)."""

    def _build_functions(self):
        self.metrics_names = ['loss']
        self.metrics_tensors = []
        super(GraphModel, self)._build_functions()


class GraphTraining(object):
    """The training methods of Graph (a mixin: it uses the Graph's _built_model, _fail, and
    input / output names)."""

    # ---------------------------------------------------------------- compile

    def _by_output(self, value, argument, method, required=False):
        """A dict keyed by output names, checked: no unknown key; every output if required."""
        if value is None and not required:
            return {}
        if not isinstance(value, dict):
            raise self._fail(method, '%s must be a dict keyed by output name (outputs: %s); got '
                             '%r' % (argument, self.output_order, value), TypeError)
        unknown = sorted(k for k in value if k not in self.outputs)
        if unknown:
            raise self._fail(method, '%s has unknown output name(s) %s; the outputs are %s'
                             % (argument, unknown, self.output_order))
        missing = [n for n in self.output_order if n not in value]
        if required and missing:
            raise self._fail(method, '%s has no entry for output(s) %s (outputs: %s)'
                             % (argument, missing, self.output_order))
        return value

    def compile(self, optimizer, loss, sample_weight_modes={}, loss_weights={}, **kwargs):
        """Configure training. loss: {output name: objective}; sample_weight_modes: {output:
        None or 'temporal'}; loss_weights: {output: coefficient} (1 when absent). Other
        kwargs go to K.function."""
        method = 'compile'
        if 'metrics' in kwargs:
            raise self._fail(method, 'a Graph takes no metrics (Keras 0.3.3 API); pass '
                             'show_accuracy=True to fit / evaluate for the accuracy of a '
                             'single output', TypeError)
        model = self._built_model()
        loss = self._by_output(loss, 'loss', method, required=True)
        modes = self._by_output(sample_weight_modes, 'sample_weight_modes', method)
        weights = self._by_output(loss_weights, 'loss_weights', method)
        model.compile(optimizer, [loss[n] for n in self.output_order],
                      loss_weights=[weights.get(n, 1.) for n in self.output_order],
                      sample_weight_mode=[modes.get(n) for n in self.output_order], **kwargs)
        self.optimizer = model.optimizer
        self.loss = dict(loss)
        self.loss_weights = dict(weights)
        self.sample_weight_modes = dict(modes)

    def _compiled_model(self, method):
        if self.model is None or getattr(self.model, 'train_function', None) is None:
            raise self._fail(method, 'the graph must be compiled first (call compile; adding '
                             'inputs, nodes or outputs undoes a compilation)', RuntimeError)
        return self.model

    def _accuracy(self, flag, argument, method):
        """A context in which the model reports [loss, acc] (0.3.3's show_accuracy)."""
        if not flag:
            return contextlib.nullcontext()
        if len(self.output_order) != 1:
            raise self._fail(method, '%s=True can only be used if the graph has exactly one '
                             'output (otherwise accuracy is ill-defined); it has %d: %s'
                             % (argument, len(self.output_order), self.output_order))
        return self.model._reporting_accuracy(method)

    # ---------------------------------------------------------------- data dicts

    def _split(self, data, method, targets=True):
        """(input arrays, target arrays or None) from a data dict, in input/output order."""
        if not isinstance(data, dict):
            raise self._fail(method, 'data must be a dict of arrays keyed by input%s names; got '
                             '%s' % (' and output' if targets else '', type(data).__name__),
                             TypeError)
        unknown = sorted(str(k) for k in data if k not in self.inputs and k not in self.outputs)
        if unknown:
            raise self._fail(method, 'unknown key(s) %s in the data dict; the graph has inputs '
                             '%s and outputs %s' % (unknown, self.input_order,
                                                    self.output_order))
        names = self.input_order + (self.output_order if targets else [])
        missing = [n for n in names if n not in data]
        if missing:
            raise self._fail(method, 'no data for %s %s (the data dict has keys %s)'
                             % ('/'.join(kind for kind, group in
                                         (('input', self.input_order),
                                          ('output', self.output_order))
                                         if any(m in group for m in missing)),
                                missing, sorted(map(str, data))))
        model = self._built_model()
        x = standardize_input_data([data[n] for n in self.input_order], self.input_order,
                                   model.internal_input_shapes, check_batch_dim=False,
                                   exception_prefix='graph "%s" input' % self.name)
        if not targets:
            return x, None
        y = standardize_input_data([data[n] for n in self.output_order], self.output_order,
                                   model._target_shapes(), check_batch_dim=False,
                                   exception_prefix='graph "%s" output' % self.name)
        return x, y

    def _per_output(self, value, argument, method):
        """sample_weight / class_weight dicts as one entry per output (None when absent)."""
        value = self._by_output(value, argument, method)
        return [value.get(n) for n in self.output_order]

    def _validation(self, validation_data, method):
        """A data dict, or (data dict, sample_weight dict), as Model.fit's tuple."""
        if validation_data is None:
            return None
        if isinstance(validation_data, dict):
            return self._split(validation_data, method + ' (validation_data)')
        if isinstance(validation_data, (tuple, list)) and len(validation_data) == 2:
            x, y = self._split(validation_data[0], method + ' (validation_data)')
            return x, y, self._per_output(validation_data[1], 'validation sample_weight', method)
        raise self._fail(method, 'validation_data must be a data dict or a tuple (data dict, '
                         'sample_weight dict); got %s' % (type(validation_data).__name__,),
                         TypeError)

    def _batches(self, generator, method, targets=True):
        """A generator of data dicts (or (data dict, sample_weight dict)) as one of Model's
        (x, y, sample_weights) tuples, or of input lists (targets=False)."""
        if not hasattr(generator, '__next__'):
            raise self._fail(method, 'expected a generator; got %r' % (generator,), TypeError)
        return (self._batch(item, method, targets) for item in generator)

    def _batch(self, item, method, targets):
        if isinstance(item, dict):
            data, sample_weight = item, {}
        elif (isinstance(item, (tuple, list)) and len(item) == 2
              and isinstance(item[0], dict) and isinstance(item[1], dict)):
            data, sample_weight = item
        else:
            raise self._fail(method, 'the generator must yield data dicts or tuples (data dict, '
                             'sample_weight dict); it yielded %s' % (type(item).__name__,))
        x, y = self._split(data, method, targets)
        if not targets:
            return x
        return x, y, self._per_output(sample_weight, 'sample_weight', method)

    # ---------------------------------------------------------------- training

    def fit(self, data, batch_size=128, nb_epoch=100, verbose=1, callbacks=[],
            validation_split=0., validation_data=None, shuffle=True, show_accuracy=False,
            class_weight={}, sample_weight={}):
        """Train for nb_epoch epochs on a data dict; returns the History (loss, and acc with
        show_accuracy; val_ entries when validating)."""
        model = self._compiled_model('fit')
        x, y = self._split(data, 'fit')
        val = self._validation(validation_data, 'fit')
        with self._accuracy(show_accuracy, 'show_accuracy', 'fit'):
            self.history = model.fit(
                x, y, batch_size=batch_size, nb_epoch=nb_epoch, verbose=verbose,
                callbacks=list(callbacks or []), validation_split=validation_split,
                validation_data=val, shuffle=shuffle,
                class_weight=self._per_output(class_weight, 'class_weight', 'fit'),
                sample_weight=self._per_output(sample_weight, 'sample_weight', 'fit'))
        return self.history

    def evaluate(self, data, batch_size=128, show_accuracy=False, verbose=0, sample_weight={}):
        """The loss on a data dict (batch by batch), or [loss, acc] with show_accuracy."""
        model = self._compiled_model('evaluate')
        x, y = self._split(data, 'evaluate')
        with self._accuracy(show_accuracy, 'show_accuracy', 'evaluate'):
            return model.evaluate(
                x, y, batch_size=batch_size, verbose=verbose,
                sample_weight=self._per_output(sample_weight, 'sample_weight', 'evaluate'))

    def predict(self, data, batch_size=128, verbose=0):
        """{output name: predictions} for the inputs in `data` (output arrays are ignored)."""
        x, _ = self._split(data, 'predict', targets=False)
        outs = self._built_model().predict(x, batch_size=batch_size, verbose=verbose)
        return self._as_dict(outs)

    def _as_dict(self, outs):
        outs = outs if isinstance(outs, list) else [outs]
        return dict(zip(self.output_order, outs))

    def train_on_batch(self, data, accuracy=False, class_weight={}, sample_weight={}):
        """One gradient step on a data dict; the loss, or [loss, acc] with accuracy=True."""
        model = self._compiled_model('train_on_batch')
        x, y = self._split(data, 'train_on_batch')
        with self._accuracy(accuracy, 'accuracy', 'train_on_batch'):
            return model.train_on_batch(
                x, y,
                class_weight=self._per_output(class_weight, 'class_weight', 'train_on_batch'),
                sample_weight=self._per_output(sample_weight, 'sample_weight',
                                               'train_on_batch'))

    def test_on_batch(self, data, accuracy=False, sample_weight={}):
        """The loss on one batch (a data dict), or [loss, acc] with accuracy=True."""
        model = self._compiled_model('test_on_batch')
        x, y = self._split(data, 'test_on_batch')
        with self._accuracy(accuracy, 'accuracy', 'test_on_batch'):
            return model.test_on_batch(
                x, y, sample_weight=self._per_output(sample_weight, 'sample_weight',
                                                     'test_on_batch'))

    def predict_on_batch(self, data):
        """{output name: predictions} for one batch."""
        x, _ = self._split(data, 'predict_on_batch', targets=False)
        return self._as_dict(self._built_model().predict_on_batch(x))

    def fit_generator(self, generator, samples_per_epoch, nb_epoch, verbose=1,
                      show_accuracy=False, callbacks=[], validation_data=None,
                      nb_val_samples=None, class_weight={}, nb_worker=1, nb_val_worker=None):
        """Train on data dicts (or (data dict, sample_weight dict) tuples) from a generator;
        an epoch ends after samples_per_epoch samples. validation_data: a data dict, a
        (data, sample_weight) tuple or a generator of those (with nb_val_samples). The
        validation generator runs with nb_worker workers (nb_val_worker is accepted for
        0.3.3 compatibility and not used)."""
        method = 'fit_generator'
        model = self._compiled_model(method)
        if hasattr(validation_data, '__next__'):
            val = self._batches(validation_data, method + ' (validation_data)')
        else:
            val = self._validation(validation_data, method)
        with self._accuracy(show_accuracy, 'show_accuracy', method):
            self.history = model.fit_generator(
                self._batches(generator, method), samples_per_epoch, nb_epoch,
                verbose=verbose, callbacks=list(callbacks or []), validation_data=val,
                nb_val_samples=nb_val_samples,
                class_weight=self._per_output(class_weight, 'class_weight', method),
                nb_worker=nb_worker)
        return self.history

    def _generator_kwargs(self, kwargs, method):
        unknown = sorted(k for k in kwargs if k not in _GENERATOR_KWARGS)
        if unknown:
            raise self._fail(method, 'unknown keyword argument(s) %s (accepted: %s)'
                             % (unknown, ', '.join(_GENERATOR_KWARGS)), TypeError)
        kwargs = dict(kwargs)
        kwargs.pop('wait_time', None)    # 0.3.3's queue polling interval
        return kwargs

    def evaluate_generator(self, generator, nb_val_samples, show_accuracy=False, verbose=1,
                           **kwargs):
        """The loss (or [loss, acc]) averaged over nb_val_samples samples from a generator of
        data dicts; kwargs: nb_worker, max_q_size, pickle_safe (wait_time is ignored)."""
        method = 'evaluate_generator'
        model = self._compiled_model(method)
        kwargs = self._generator_kwargs(kwargs, method)
        with self._accuracy(show_accuracy, 'show_accuracy', method):
            return model.evaluate_generator(self._batches(generator, method), nb_val_samples,
                                            **kwargs)

    def predict_generator(self, generator, val_samples, max_q_size=10, nb_worker=1,
                          pickle_safe=False):
        """{output name: predictions} for the data dicts of a generator until val_samples
        samples are seen (all drawn samples are kept)."""
        outs = self._built_model().predict_generator(
            self._batches(generator, 'predict_generator', targets=False), val_samples,
            max_q_size=max_q_size, nb_worker=nb_worker, pickle_safe=pickle_safe)
        return self._as_dict(outs)
