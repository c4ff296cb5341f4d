"""Keras 1.2.2 `keras.models`: Model (the functional model), Sequential (a linear stack of
layers wrapping a functional Model built lazily, as 1.2.2 does) and the readers
model_from_config / model_from_json / model_from_yaml (which also rebuild a Sequential from its
list config)."""
import contextlib
import copy
import json
import warnings

from . import backend as K
from . import layers as _layers  # noqa: F401  (registers every layer class before loading)
from .engine import saving
from .engine.topology import (Input, Layer, Merge, Node, layer_from_config,
                              register_layer_class)
from .engine.training import Model
from .engine.wrapper import WrappedModel
from .engine.model_file import load_model, save_model  # noqa: F401  (keras.models API)


# ----------------------------------------------------------------------------- readers

def model_from_config(config, custom_objects=None, allow_code=False):
    """A model (or layer) from a config: a {'class_name', 'config'} dict, or a Sequential's
    list config. custom_objects maps class / function names to objects; allow_code permits
    loading Python bytecode saved in the config (Lambda / Merge functions), trusted only."""
    if isinstance(config, list):
        return Sequential.from_config(config, custom_objects=custom_objects,
                                      allow_code=allow_code)
    return saving.model_from_config(config, custom_objects, allow_code)


def model_from_json(json_string, custom_objects=None, allow_code=False):
    """A model from to_json's output (see model_from_config for the arguments)."""
    return model_from_config(json.loads(json_string), custom_objects, allow_code)


def model_from_yaml(yaml_string, custom_objects=None, allow_code=False):
    """A model from to_yaml's output, read with engine.saving's safe loader (see
    model_from_config for the arguments)."""
    config = saving.load_yaml_config(yaml_string)
    return model_from_config(config, custom_objects, allow_code)


# ----------------------------------------------------------------------------- Sequential

def _pop_deprecated(kwargs, names, method):
    """Remove the deprecated kwargs `names` (warning for each); any other kwarg is an error."""
    for name in names:
        if name in kwargs:
            warnings.warn('The "%s" argument of Sequential.%s is deprecated and ignored (as in '
                          'Keras 1.2.2).' % (name, method), DeprecationWarning, stacklevel=3)
            kwargs.pop(name)
    if kwargs:
        raise TypeError('Sequential.%s received unknown keyword arguments: %s'
                        % (method, ', '.join(sorted(kwargs))))


def _accuracy_flag(model, kwargs, name, method, others=()):
    """Keras 0.3's show_accuracy / accuracy flag of Sequential.`method`, popped with a
    deprecation warning (with the other deprecated names): a context in which the model
    reports the accuracy as 0.3.3 did when the flag is true, else a context doing nothing."""
    flag = kwargs.pop(name, None)
    if flag is not None:
        warnings.warn('The "%s" argument of Sequential.%s is deprecated: use '
                      'compile(metrics=["accuracy"]). It still reports the accuracy, as in '
                      'Keras 0.3.' % (name, method), DeprecationWarning, stacklevel=3)
    _pop_deprecated(kwargs, others, method)
    return model._reporting_accuracy(method) if flag else contextlib.nullcontext()


def _source_inputs(tensor):
    """The Input tensors a Keras tensor is computed from (in first-visit order)."""
    layer, node_index, _ = tensor._keras_history
    node = layer.inbound_nodes[node_index]
    if not node.inbound_layers:
        return list(node.input_tensors)
    sources = []
    for x in node.input_tensors:
        for source in _source_inputs(x):
            if not any(source is s for s in sources):
                sources.append(source)
    return sources


class Sequential(WrappedModel):
    """A linear stack of layers: Sequential(layers=None, name=None), then add(layer). The
    first layer needs input_shape / batch_input_shape / input_dim; an InputLayer named
    '<classname>_input_N' is created behind it. Training calls go to the functional Model
    built from the stack (`self.model`, made by build() when first needed)."""

    def __init__(self, layers=None, name=None):
        self._init_wrapper(name or 'sequential_%d' % K.get_uid('sequential'))
        self.layers = []
        self.inputs = []
        self.outputs = []
        for layer in layers or []:
            self.add(layer)

    # ---------------------------------------------------------------- the stack

    def add(self, layer):
        """Append a layer (any Layer, including a Sequential or a Model with one output)."""
        if not isinstance(layer, Layer):
            raise TypeError('The added layer must be an instance of class Layer. Found: %r'
                            % (layer,))
        if not self.outputs:
            if not layer.inbound_nodes:
                if not hasattr(layer, 'batch_input_shape'):
                    raise ValueError('The first layer in a Sequential model must get an '
                                     '`input_shape`, `batch_input_shape` or `input_dim` '
                                     'argument (layer %s has none).' % layer.name)
                prefix = layer.__class__.__name__.lower() + '_input_'
                layer(Input(batch_shape=layer.batch_input_shape, dtype=layer.input_dtype,
                            name=prefix + str(K.get_uid(prefix))))
            if len(layer.inbound_nodes) != 1:
                raise ValueError('A layer added to a Sequential model must not already be '
                                 'connected somewhere else. Layer %s has %d inbound nodes.'
                                 % (layer.name, len(layer.inbound_nodes)))
            outputs = layer.inbound_nodes[0].output_tensors
            if len(outputs) != 1:
                raise ValueError('All layers in a Sequential model should have a single '
                                 'output tensor; layer %s has %d.' % (layer.name, len(outputs)))
            self.outputs = [outputs[0]]
            self.inputs = _source_inputs(self.outputs[0])
            Node(self, inbound_layers=[], node_indices=[], tensor_indices=[],
                 input_tensors=self.inputs, output_tensors=self.outputs,
                 input_masks=[None] * len(self.inputs), output_masks=[None],
                 input_shapes=[x._keras_shape for x in self.inputs],
                 output_shapes=[self.outputs[0]._keras_shape])
        else:
            output = layer(self.outputs[0])
            if isinstance(output, list):
                raise TypeError('All layers in a Sequential model should have a single output '
                                'tensor; layer %s returned %d.' % (layer.name, len(output)))
            self.outputs = [output]
            self.inbound_nodes[0].output_tensors = self.outputs
            self.inbound_nodes[0].output_shapes = [output._keras_shape]
        self.layers.append(layer)
        self._invalidate()

    def pop(self):
        """Remove the last layer."""
        if not self.layers:
            raise TypeError('There are no layers in the model.')
        self.layers.pop()
        if not self.layers:
            self.outputs = []
            self.inputs = []
            self.inbound_nodes = []
        else:
            self.layers[-1].outbound_nodes = []
            self.outputs = [self.layers[-1].inbound_nodes[-1].output_tensors[0]]
            self.inbound_nodes[0].output_tensors = self.outputs
            self.inbound_nodes[0].output_shapes = [self.outputs[0]._keras_shape]
        self._invalidate()

    def _invalidate(self):
        self.model = None
        self.built = False
        self._output_cache = {}
        self._output_shape_cache = {}

    def build(self, input_shape=None):
        """Make the functional Model of the stack (self.model)."""
        if not self.inputs or not self.outputs:
            raise TypeError('Sequential model cannot be built: model is empty. Add some layers '
                            'first.')
        self.model = Model(self.inputs, self.outputs[0], name=self.name + '_model')
        self.model.trainable = self._trainable
        self.model.callback_model = self
        self.supports_masking = self.model.supports_masking
        for attr in ('input_layers', 'input_layers_node_indices',
                     'input_layers_tensor_indices', 'output_layers',
                     'output_layers_node_indices', 'output_layers_tensor_indices',
                     'nodes_by_depth', 'container_nodes', 'output_names', 'input_names',
                     'internal_input_shapes', 'internal_output_shapes'):
            setattr(self, attr, getattr(self.model, attr))
        self.built = True

    def _built_model(self):
        if self.model is None:
            self.build()
        return self.model

    @property
    def flattened_layers(self):
        """The layers holding the weights, in 1.2.2's order: a leading legacy Merge is replaced
        by its branches' layers; no InputLayer."""
        layers = []
        if self.layers and isinstance(self.layers[0], Merge) and self.layers[0].layers:
            for branch in self.layers[0].layers:
                sub = getattr(branch, 'flattened_layers', None)
                if sub is None:
                    sub = getattr(branch, 'layers', None) or [branch]
                layers.extend(s for s in sub if not any(s is l for l in layers))
            rest = self.layers[1:]
        else:
            rest = self.layers
        layers.extend(l for l in rest if not any(l is m for m in layers))
        return layers

    def _weight_layers(self):
        return self.flattened_layers

    def count_params(self):
        return self._built_model().count_params()

    # ---------------------------------------------------------------- training

    def compile(self, optimizer, loss, metrics=None, sample_weight_mode=None, **kwargs):
        """Configure training (see Model.compile); 'class_mode' is popped with a warning,
        other kwargs go to K.function."""
        model = self._built_model()
        model.compile(optimizer, loss, metrics=metrics, sample_weight_mode=sample_weight_mode,
                      **kwargs)
        for attr in ('optimizer', 'loss', 'loss_weights', 'metrics', 'metrics_tensors',
                     'metrics_names', 'sample_weight_mode', 'total_loss', 'targets',
                     'sample_weights'):
            setattr(self, attr, getattr(model, attr))

    def _compiled_model(self, what):
        if self.model is None or not hasattr(self.model, 'metrics_names'):
            raise RuntimeError('The model needs to be compiled before being used (Sequential.%s).'
                               % what)
        return self.model

    def fit(self, x, y, batch_size=32, nb_epoch=10, verbose=1, callbacks=None,
            validation_split=0., validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, **kwargs):
        """Train for nb_epoch epochs (see Model.fit); returns the History. show_accuracy
        (Keras 0.3, deprecated) adds 'acc' and 'val_acc'."""
        model = self._compiled_model('fit')
        with _accuracy_flag(model, kwargs, 'show_accuracy', 'fit'):
            self.history = model.fit(
                x, y, batch_size=batch_size, nb_epoch=nb_epoch, verbose=verbose,
                callbacks=callbacks, validation_split=validation_split,
                validation_data=validation_data, shuffle=shuffle, class_weight=class_weight,
                sample_weight=sample_weight, initial_epoch=initial_epoch)
        return self.history

    def evaluate(self, x, y, batch_size=32, verbose=1, sample_weight=None, **kwargs):
        """Loss (and metrics) on the data: a scalar, or a list aligned with metrics_names
        (show_accuracy, Keras 0.3 and deprecated: [loss, acc])."""
        model = self._compiled_model('evaluate')
        with _accuracy_flag(model, kwargs, 'show_accuracy', 'evaluate'):
            return model.evaluate(x, y, batch_size=batch_size, verbose=verbose,
                                  sample_weight=sample_weight)

    def predict(self, x, batch_size=32, verbose=0):
        """The output for the input samples, batch by batch."""
        return self._built_model().predict(x, batch_size=batch_size, verbose=verbose)

    def predict_on_batch(self, x):
        return self._built_model().predict_on_batch(x)

    def train_on_batch(self, x, y, class_weight=None, sample_weight=None, **kwargs):
        """One gradient update on one batch; returns the loss (and metrics; accuracy=True,
        Keras 0.3 and deprecated: [loss, acc])."""
        model = self._compiled_model('train_on_batch')
        with _accuracy_flag(model, kwargs, 'accuracy', 'train_on_batch'):
            return model.train_on_batch(x, y, sample_weight=sample_weight,
                                        class_weight=class_weight)

    def test_on_batch(self, x, y, sample_weight=None, **kwargs):
        """Loss (and metrics) on one batch (accuracy=True, Keras 0.3 and deprecated:
        [loss, acc])."""
        model = self._compiled_model('test_on_batch')
        with _accuracy_flag(model, kwargs, 'accuracy', 'test_on_batch'):
            return model.test_on_batch(x, y, sample_weight=sample_weight)

    def predict_proba(self, x, batch_size=32, verbose=1):
        """predict(), warning when an output leaves [0, 1]."""
        preds = self.predict(x, batch_size, verbose)
        if preds.min() < 0. or preds.max() > 1.:
            warnings.warn('Network returning invalid probability values. The last layer might '
                          'not normalize predictions into probabilities (like softmax or '
                          'sigmoid would).')
        return preds

    def predict_classes(self, x, batch_size=32, verbose=1):
        """Class indices: argmax over the last axis, or (p > 0.5) for one output unit (or
        for every unit with Keras 0.3's compile(class_mode='binary'))."""
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        class_mode = getattr(self.model, 'class_mode', None)
        if class_mode == 'categorical' or (class_mode is None and proba.shape[-1] > 1):
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype('int32')

    def fit_generator(self, generator, samples_per_epoch, nb_epoch, verbose=1, callbacks=None,
                      validation_data=None, nb_val_samples=None, class_weight=None,
                      max_q_size=10, nb_worker=1, pickle_safe=False, initial_epoch=0,
                      **kwargs):
        """Train on a generator (see Model.fit_generator); returns the History
        (show_accuracy, Keras 0.3 and deprecated, adds 'acc' and 'val_acc')."""
        model = self._compiled_model('fit_generator')
        with _accuracy_flag(model, kwargs, 'show_accuracy', 'fit_generator', ['nb_val_worker']):
            self.history = model.fit_generator(
                generator, samples_per_epoch, nb_epoch, verbose=verbose, callbacks=callbacks,
                validation_data=validation_data, nb_val_samples=nb_val_samples,
                class_weight=class_weight, max_q_size=max_q_size, nb_worker=nb_worker,
                pickle_safe=pickle_safe, initial_epoch=initial_epoch)
        return self.history

    def evaluate_generator(self, generator, val_samples, max_q_size=10, nb_worker=1,
                           pickle_safe=False, **kwargs):
        """Loss (and metrics) over val_samples samples from a generator (show_accuracy,
        Keras 0.3 and deprecated: [loss, acc])."""
        model = self._compiled_model('evaluate_generator')
        with _accuracy_flag(model, kwargs, 'show_accuracy', 'evaluate_generator', ['verbose']):
            return model.evaluate_generator(generator, val_samples, max_q_size=max_q_size,
                                            nb_worker=nb_worker, pickle_safe=pickle_safe)

    def predict_generator(self, generator, val_samples, max_q_size=10, nb_worker=1,
                          pickle_safe=False):
        """Predictions for val_samples samples from a generator."""
        return self._built_model().predict_generator(
            generator, val_samples, max_q_size=max_q_size, nb_worker=nb_worker,
            pickle_safe=pickle_safe)

    # ---------------------------------------------------------------- config

    def get_config(self):
        """A list of {'class_name', 'config'}, one per layer; a leading legacy Merge carries
        its branches under 'layers'."""
        config = []
        first = self.layers[0] if self.layers else None
        if isinstance(first, Merge) and first.layers:
            merge_config = first.get_config()
            merge_config['layers'] = [{'class_name': l.__class__.__name__,
                                       'config': l.get_config()} for l in first.layers]
            config.append({'class_name': 'Merge', 'config': merge_config})
            rest = self.layers[1:]
        else:
            rest = self.layers
        config.extend({'class_name': l.__class__.__name__, 'config': l.get_config()}
                      for l in rest)
        return copy.deepcopy(config)

    @classmethod
    def from_config(cls, config, layer_cache=None, custom_objects=None, allow_code=False):
        """Rebuild from get_config's list (0.3-style entries {'name': class, 'custom_name':
        name, ...} are accepted too). layer_cache maps names to layers already made."""
        if isinstance(config, dict) and 'layers' in config:
            config = config['layers']
        if not isinstance(config, list):
            raise TypeError('Sequential.from_config expects a list of layer configs; got %r'
                            % (config,))
        layer_cache = {} if layer_cache is None else layer_cache

        def normalize(conf):
            if 'class_name' in conf:
                return conf
            conf = dict(conf)
            class_name = conf.pop('name')
            conf['name'] = conf.pop('custom_name', None)
            return {'class_name': class_name, 'config': conf}

        def make(data):
            data = normalize(data)
            if data['class_name'] == 'Sequential':
                return cls.from_config(data['config'], layer_cache, custom_objects, allow_code)
            name = data['config'].get('name')
            if name not in layer_cache:
                if data['class_name'] == 'Merge' and 'layers' in data['config']:
                    merge_config = dict(data['config'])
                    merge_config['layers'] = [make(b) for b in merge_config['layers']]
                    layer = Merge.from_config(merge_config, custom_objects, allow_code)
                else:
                    layer = layer_from_config(data, custom_objects, allow_code)
                layer_cache[name] = layer
            return layer_cache[name]

        model = cls()
        for data in config:
            model.add(make(data))
        return model

    def summary(self, line_length=100, positions=[.33, .55, .67, 1.]):
        """Print the table of the layers (flattened_layers, no InputLayer, as Keras 1.2.2)
        with their output shapes, parameter counts and inbound layers."""
        self._built_model()
        super(Sequential, self).summary(line_length=line_length, positions=positions)


for _cls in (Model, Sequential):
    register_layer_class(_cls)
from .engine.graph import Graph  # noqa: E402,F401  (Keras 0.3.3 / legacy Graph)
