"""Keras 1.2.2 topology: Layer, the Node bookkeeping between layers, InputLayer / Input, the
Merge layer, and Container (a graph of layers from input tensors to output tensors, itself
usable as a layer).

A Keras tensor is a backend tensor carrying `_keras_shape` (static shape with the batch axis),
`_uses_learning_phase`, and `_keras_history = (layer, node_index, tensor_index)`: the layer call
(node) that produced it. Calling a layer on Keras tensors creates a Node recording that call;
a Container walks these nodes back from its outputs to its inputs.
"""
import copy
import inspect
import types

import numpy as np

from .. import backend as K
from .. import constraints as constraints_module
from .. import initializations
from .. import regularizers as regularizers_module
from ..utils import generic_utils


def to_list(x):
    """A list as is; anything else as a one-element list."""
    if isinstance(x, list):
        return x
    return [x]


def object_list_uid(object_list):
    """The key under which per-input losses and updates are filed: the ids of the inputs."""
    return ', '.join(str(abs(id(x))) for x in to_list(object_list))


def _unique(items):
    """`items` without repeats (by identity), first occurrence kept."""
    seen, out = set(), []
    for x in items:
        if id(x) not in seen:
            seen.add(id(x))
            out.append(x)
    return out


def _scope(layer):
    return K.layer_scope('%s (%s)' % (layer.name, layer.__class__.__name__))


class InputSpec(object):
    """What a layer expects of each input: dtype, shape (None for any size on an axis), and
    ndim (an int, or a string like '3+' for at least 3 dimensions)."""

    def __init__(self, dtype=None, shape=None, ndim=None):
        if isinstance(ndim, str):
            if not ndim.endswith('+') or not ndim[:-1].isdigit():
                raise ValueError("InputSpec: ndim must be an int or a string like '3+'; got %r"
                                 % (ndim,))
        elif shape is not None:
            ndim = len(shape)
        self.dtype = dtype
        self.shape = shape
        self.ndim = ndim


class Node(object):
    """One call of `outbound_layer` on the outputs of `inbound_layers` (node `node_indices[i]`,
    output `tensor_indices[i]` of each). Creating a Node registers it in the outbound layer's
    inbound_nodes and in each inbound layer's outbound_nodes."""

    def __init__(self, outbound_layer, inbound_layers, node_indices, tensor_indices,
                 input_tensors, output_tensors, input_masks, output_masks,
                 input_shapes, output_shapes):
        self.outbound_layer = outbound_layer
        self.inbound_layers = inbound_layers
        self.node_indices = node_indices
        self.tensor_indices = tensor_indices
        self.input_tensors = input_tensors
        self.output_tensors = output_tensors
        self.input_masks = input_masks
        self.output_masks = output_masks
        self.input_shapes = input_shapes
        self.output_shapes = output_shapes
        for layer in inbound_layers:
            if layer is not None:
                layer.outbound_nodes.append(self)
        outbound_layer.inbound_nodes.append(self)

    @classmethod
    def create_node(cls, outbound_layer, inbound_layers, node_indices=None, tensor_indices=None):
        """Call `outbound_layer` on the given outputs of `inbound_layers`, label the results
        as Keras tensors and record the call as a new Node."""
        node_indices = node_indices or [0] * len(inbound_layers)
        tensor_indices = tensor_indices or [0] * len(inbound_layers)
        input_tensors, input_masks, input_shapes = [], [], []
        for layer, node_index, tensor_index in zip(inbound_layers, node_indices, tensor_indices):
            inbound_node = layer.inbound_nodes[node_index]
            input_tensors.append(inbound_node.output_tensors[tensor_index])
            input_masks.append(inbound_node.output_masks[tensor_index])
            input_shapes.append(inbound_node.output_shapes[tensor_index])
        if len(input_tensors) == 1:
            x, mask, shape = input_tensors[0], input_masks[0], input_shapes[0]
        else:
            x, mask, shape = input_tensors, input_masks, input_shapes
        with _scope(outbound_layer):
            output_tensors = to_list(outbound_layer.call(x, mask=mask))
            output_masks = to_list(outbound_layer.compute_mask(x, mask))
        output_shapes = to_list(outbound_layer.get_output_shape_for(shape))
        name = outbound_layer.name
        if not output_tensors or not all(isinstance(t, K.Tensor) for t in output_tensors):
            raise TypeError('The `call` method of layer "%s" should return a tensor (or a list '
                            'of tensors). Found: %r' % (name, output_tensors))
        if len(output_tensors) != len(output_shapes):
            raise ValueError('The `get_output_shape_for` method of layer "%s" should return one '
                             'shape tuple per output tensor of the layer (%d). Found: %s'
                             % (name, len(output_tensors), output_shapes))
        if len(output_tensors) != len(output_masks):
            raise ValueError('The `compute_mask` method of layer "%s" should return one mask '
                             'tensor per output tensor of the layer (%d). Found: %s'
                             % (name, len(output_tensors), output_masks))
        uses_phase = (any(getattr(t, '_uses_learning_phase', False) for t in input_tensors)
                      or outbound_layer.uses_learning_phase)
        node_index = len(outbound_layer.inbound_nodes)
        for i, t in enumerate(output_tensors):
            if hasattr(t, '_keras_history'):
                # A tensor returned unchanged (an identity layer) keeps its own history: the
                # output gets a new handle on the same value.
                t = output_tensors[i] = K.reshape(t, K.shape(t))
            t._keras_shape = tuple(output_shapes[i]) if output_shapes[i] is not None else None
            t._uses_learning_phase = uses_phase
            t._keras_history = (outbound_layer, node_index, i)
        return cls(outbound_layer, list(inbound_layers), list(node_indices),
                   list(tensor_indices), input_tensors, output_tensors, input_masks,
                   output_masks, input_shapes, output_shapes)


class Layer(object):
    """Base class of all layers (Keras 1.2.2 semantics).

    Subclasses implement build(input_shape) (create weights with add_weight), call(x, mask=None),
    get_output_shape_for(input_shape), and, if they change or consume masks, compute_mask.
    Keyword arguments: input_shape (without the batch axis), batch_input_shape, input_dtype,
    name, trainable.
    """
    _ALLOWED_KWARGS = ('input_shape', 'batch_input_shape', 'input_dtype', 'name', 'trainable')

    def __init__(self, **kwargs):
        for kwarg in kwargs:
            if kwarg not in self._ALLOWED_KWARGS:
                raise TypeError('Keyword argument not understood: %r (layer %s accepts %s)'
                                % (kwarg, self.__class__.__name__,
                                   ', '.join(self._ALLOWED_KWARGS)))
        _init_layer_state(self)
        for attr, default in (('input_spec', None), ('supports_masking', False),
                              ('uses_learning_phase', False), ('constraints', {})):
            if not hasattr(self, attr):
                setattr(self, attr, copy.copy(default))
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._losses = []
        self._updates = []
        self.built = False
        self.name = kwargs.get('name') or _auto_name(self)
        self.trainable = kwargs.get('trainable', True)
        if 'batch_input_shape' in kwargs or 'input_shape' in kwargs:
            if 'batch_input_shape' in kwargs:
                self.batch_input_shape = tuple(kwargs['batch_input_shape'])
            else:
                self.batch_input_shape = (None,) + tuple(kwargs['input_shape'])
            self.input_dtype = kwargs.get('input_dtype') or K.floatx()

    # ---------------------------------------------------------------- to be overridden

    def build(self, input_shape):
        """Create the weights (add_weight); called once, on the first __call__."""
        self.built = True

    def call(self, x, mask=None):
        """The layer's computation on backend tensors."""
        return x

    def get_output_shape_for(self, input_shape):
        return input_shape

    def compute_mask(self, x, mask=None):
        """The output mask: the input mask passed through if the layer supports masking; a
        layer that does not may only receive None."""
        if self.supports_masking:
            return mask
        if mask is not None and any(m is not None for m in to_list(mask)):
            raise ValueError('Layer %s does not support masking, but was passed an '
                             'input_mask: %s' % (self.name, mask))
        return None

    # ---------------------------------------------------------------- weights, losses, updates

    @property
    def trainable_weights(self):
        return self._trainable_weights if self.trainable else []

    @trainable_weights.setter
    def trainable_weights(self, weights):
        self._trainable_weights = weights

    @property
    def non_trainable_weights(self):
        if self.trainable:
            return self._non_trainable_weights
        return self._trainable_weights + self._non_trainable_weights

    @non_trainable_weights.setter
    def non_trainable_weights(self, weights):
        self._non_trainable_weights = weights

    @property
    def weights(self):
        return self.trainable_weights + self.non_trainable_weights

    @property
    def losses(self):
        return self._losses

    @losses.setter
    def losses(self, losses):
        self._losses = losses

    @property
    def updates(self):
        return self._updates

    @updates.setter
    def updates(self, updates):
        self._updates = updates

    def add_weight(self, shape, initializer, name=None, trainable=True, regularizer=None,
                   constraint=None):
        """A new weight variable named '<layer name>_<name>', initialised by `initializer`
        (a name or a function of (shape, name)). A regularizer's penalty goes to the layer's
        losses; a constraint is recorded in self.constraints."""
        init = initializations.get(initializer)
        weight = init(tuple(shape), name='%s_%s' % (self.name, name))
        regularizer = regularizers_module.get(regularizer)
        if regularizer is not None:
            self.add_loss(regularizer(weight))
        constraint = constraints_module.get(constraint)
        if constraint is not None:
            self.constraints[weight] = constraint
        if trainable:
            self._trainable_weights.append(weight)
        else:
            self._non_trainable_weights.append(weight)
        return weight

    def add_loss(self, losses, inputs=None):
        """Add loss tensors; `inputs` (tensors) says which inputs they depend on (None: on no
        input, e.g. weight penalties)."""
        _file_under(self, '_losses', self._per_input_losses, losses, inputs)

    def add_update(self, updates, inputs=None):
        """Add (variable, new value) updates; `inputs` as in add_loss."""
        _file_under(self, '_updates', self._per_input_updates, updates, inputs)

    def get_updates_for(self, inputs):
        return self._per_input_updates.get(_inputs_key(inputs), [])

    def get_losses_for(self, inputs):
        return self._per_input_losses.get(_inputs_key(inputs), [])

    def get_weights(self):
        return K.batch_get_value(self.weights)

    def set_weights(self, weights):
        """Set the weights from a list of numpy arrays, in the order of `weights`."""
        params = self.weights
        if len(params) != len(weights):
            raise ValueError('You called `set_weights(weights)` on layer "%s" with a weight list '
                             'of length %d, but the layer was expecting %d weights.'
                             % (self.name, len(weights), len(params)))
        tuples = []
        for p, value, w in zip(params, K.batch_get_value(params), weights):
            w = np.asarray(w)
            if value.shape != w.shape:
                raise ValueError('Layer "%s": weight %s has shape %s, not compatible with the '
                                 'provided weight shape %s' % (self.name, p.name, value.shape,
                                                               w.shape))
            tuples.append((p, w))
        K.batch_set_value(tuples)

    def count_params(self):
        if not self.built:
            raise RuntimeError("You tried to call `count_params` on %s, but the layer isn't "
                               "built. You can build it manually via: `%s.build("
                               "batch_input_shape)`." % (self.name, self.name))
        return sum(K.count_params(p) for p in self.weights)

    # ---------------------------------------------------------------- calling

    def __call__(self, x, mask=None):
        """Apply the layer to a tensor or list of tensors. On Keras tensors the call is
        recorded as a Node and the outputs are Keras tensors; the layer is built on the first
        call from the inputs' shapes."""
        if not self.built:
            self.assert_input_compatibility(x)
            shapes = [K.int_shape(t) for t in to_list(x)]
            self.build(shapes[0] if len(shapes) == 1 else shapes)
            self.built = True
        self.assert_input_compatibility(x)
        histories = [getattr(t, '_keras_history', None) for t in to_list(x)]
        if all(histories):
            self.add_inbound_node([h[0] for h in histories], [h[1] for h in histories],
                                  [h[2] for h in histories])
            outputs = self.inbound_nodes[-1].output_tensors
            output = outputs[0] if len(outputs) == 1 else outputs
        else:
            with _scope(self):
                output = self.call(x, mask)
        regularizer = getattr(self, 'activity_regularizer', None)
        if regularizer is not None:    # as Keras 1.2.2: each call's penalty, filed under its inputs
            self.add_loss([regularizer(o) for o in to_list(output)], inputs=x)
        return output

    def add_inbound_node(self, inbound_layers, node_indices=None, tensor_indices=None):
        Node.create_node(self, to_list(inbound_layers), node_indices, tensor_indices)

    def assert_input_compatibility(self, x):
        """Check `x` against self.input_spec (count, ndim, dtype, shape)."""
        if not self.input_spec:
            return
        if not isinstance(self.input_spec, list):
            raise TypeError('Layer %s: input_spec must be a list of InputSpec instances. '
                            'Found: %r' % (self.name, self.input_spec))
        inputs = to_list(x)
        if len(self.input_spec) > 1 and len(inputs) != len(self.input_spec):
            raise ValueError('Layer %s expects %d inputs, but it received %d input tensors.'
                             % (self.name, len(self.input_spec), len(inputs)))
        for i, (t, spec) in enumerate(zip(inputs, self.input_spec)):
            if spec is not None:
                _check_spec(self.name, i, t, spec)

    # ---------------------------------------------------------------- node attributes

    def _node_attribute(self, node_index, attr, what):
        if not self.inbound_nodes:
            raise RuntimeError('The layer %s has never been called and thus has no defined %s.'
                               % (self.name, what))
        if not 0 <= node_index < len(self.inbound_nodes):
            raise ValueError('Asked to get %s at node %d, but the layer %s has only %d inbound '
                             'nodes.' % (what, node_index, self.name, len(self.inbound_nodes)))
        values = getattr(self.inbound_nodes[node_index], attr)
        return values[0] if len(values) == 1 else values

    def get_input_at(self, node_index):
        return self._node_attribute(node_index, 'input_tensors', 'input')

    def get_output_at(self, node_index):
        return self._node_attribute(node_index, 'output_tensors', 'output')

    def get_input_shape_at(self, node_index):
        return self._node_attribute(node_index, 'input_shapes', 'input shape')

    def get_output_shape_at(self, node_index):
        return self._node_attribute(node_index, 'output_shapes', 'output shape')

    def get_input_mask_at(self, node_index):
        return self._node_attribute(node_index, 'input_masks', 'input mask')

    def get_output_mask_at(self, node_index):
        return self._node_attribute(node_index, 'output_masks', 'output mask')

    def _single_node(self, attr, what, getter):
        if not self.inbound_nodes:
            raise AttributeError('Layer %s is not connected, no %s to return.'
                                 % (self.name, what))
        if len(self.inbound_nodes) > 1:
            raise AttributeError('Layer %s has multiple inbound nodes, hence the notion of '
                                 '"layer %s" is ill-defined. Use `%s(node_index)` instead.'
                                 % (self.name, what, getter))
        return self._node_attribute(0, attr, what)

    @property
    def input(self):
        return self._single_node('input_tensors', 'input', 'get_input_at')

    @property
    def output(self):
        return self._single_node('output_tensors', 'output', 'get_output_at')

    @property
    def input_mask(self):
        return self._single_node('input_masks', 'input mask', 'get_input_mask_at')

    @property
    def output_mask(self):
        return self._single_node('output_masks', 'output mask', 'get_output_mask_at')

    def _common_shape(self, attr, what, getter):
        if not self.inbound_nodes:
            raise AttributeError('The layer %s has never been called and thus has no defined '
                                 '%s.' % (self.name, what))
        if len(set(str(getattr(n, attr)) for n in self.inbound_nodes)) != 1:
            raise AttributeError('The layer %s has multiple inbound nodes, with different %ss. '
                                 'Hence the notion of "%s" is ill-defined for the layer. Use '
                                 '`%s(node_index)` instead.' % (self.name, what, what, getter))
        return self._node_attribute(0, attr, what)

    @property
    def input_shape(self):
        return self._common_shape('input_shapes', 'input shape', 'get_input_shape_at')

    @property
    def output_shape(self):
        return self._common_shape('output_shapes', 'output shape', 'get_output_shape_at')

    # ---------------------------------------------------------------- config

    def get_config(self):
        config = {'name': self.name, 'trainable': self.trainable}
        if hasattr(self, 'batch_input_shape'):
            config['batch_input_shape'] = self.batch_input_shape
        if hasattr(self, 'input_dtype'):
            config['input_dtype'] = self.input_dtype
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _init_layer_state(layer):
    layer.inbound_nodes = []
    layer.outbound_nodes = []
    layer._per_input_losses = {}
    layer._per_input_updates = {}


def _auto_name(layer):
    prefix = layer.__class__.__name__.lower()
    return '%s_%d' % (prefix, K.get_uid(prefix))


def _inputs_key(inputs):
    if inputs is None or (isinstance(inputs, list) and not inputs):
        return None
    return object_list_uid(inputs)


def _file_under(layer, attr, per_input, items, inputs):
    if items is None or (isinstance(items, list) and not items):
        return
    items = to_list(items)
    if layer.__dict__.get(attr) is not None:     # a Container computes its lists instead
        layer.__dict__[attr].extend(items)
    per_input.setdefault(_inputs_key(inputs), []).extend(items)


def _check_spec(name, index, x, spec):
    shape = K.int_shape(x)
    ndim = len(shape)
    if isinstance(spec.ndim, str):
        least = int(spec.ndim[:-1])
        if ndim < least:
            raise ValueError('Input %d is incompatible with layer %s: expected ndim>=%d, found '
                             'ndim=%d (shape %s)' % (index, name, least, ndim, shape))
    elif spec.ndim is not None and ndim != spec.ndim:
        raise ValueError('Input %d is incompatible with layer %s: expected ndim=%d, found '
                         'ndim=%d (shape %s)' % (index, name, spec.ndim, ndim, shape))
    if spec.dtype is not None and K.dtype(x) != spec.dtype:
        raise ValueError('Input %d is incompatible with layer %s: expected dtype=%s, found '
                         'dtype=%s' % (index, name, spec.dtype, K.dtype(x)))
    if spec.shape is not None:
        for want, got in zip(spec.shape, shape):
            if want is not None and want != got:
                raise ValueError('Input %d is incompatible with layer %s: expected shape=%s, '
                                 'found shape=%s' % (index, name, tuple(spec.shape), shape))


# ----------------------------------------------------------------------------- inputs

class InputLayer(Layer):
    """The layer behind an input tensor: a placeholder (or the given `input_tensor`) of shape
    batch_input_shape, recorded as the layer's node 0."""

    def __init__(self, input_shape=None, batch_input_shape=None, input_dtype=None,
                 input_tensor=None, sparse=False, name=None):
        _init_layer_state(self)
        self.input_spec = None
        self.supports_masking = False
        self.uses_learning_phase = False
        self.constraints = {}
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._losses = []
        self._updates = []
        self.trainable = False
        self.built = True
        self.sparse = sparse
        self.name = name or 'input_%d' % K.get_uid('input')
        if input_shape is not None and batch_input_shape is not None:
            raise ValueError('InputLayer %s: provide input_shape or batch_input_shape, not both '
                             '(got %r and %r)' % (self.name, input_shape, batch_input_shape))
        if batch_input_shape is not None:
            batch_input_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            batch_input_shape = (None,) + tuple(input_shape)
        elif input_tensor is not None:
            batch_input_shape = tuple(K.int_shape(input_tensor))
        else:
            raise ValueError('InputLayer %s: provide an input_shape or a batch_input_shape '
                             '(or an input_tensor)' % self.name)
        if input_dtype is None:
            input_dtype = K.floatx() if input_tensor is None else K.dtype(input_tensor)
        self.batch_input_shape = batch_input_shape
        self.input_dtype = input_dtype
        if input_tensor is None:
            input_tensor = K.placeholder(shape=batch_input_shape, dtype=input_dtype,
                                         sparse=sparse, name=self.name)
        else:
            input_tensor._keras_shape = batch_input_shape
        input_tensor._uses_learning_phase = False
        input_tensor._keras_history = (self, 0, 0)
        Node(self, inbound_layers=[], node_indices=[], tensor_indices=[],
             input_tensors=[input_tensor], output_tensors=[input_tensor],
             input_masks=[None], output_masks=[None],
             input_shapes=[batch_input_shape], output_shapes=[batch_input_shape])

    def get_config(self):
        return {'batch_input_shape': self.batch_input_shape, 'input_dtype': self.input_dtype,
                'sparse': self.sparse, 'name': self.name}


def Input(shape=None, batch_shape=None, name=None, dtype=None, sparse=False, tensor=None):
    """A Keras input tensor: `shape` excludes the batch axis, `batch_shape` includes it.
    dtype defaults to K.floatx(); `tensor` wraps an existing backend tensor."""
    if shape is None and batch_shape is None and tensor is None:
        raise ValueError('Input: provide either a `shape` or a `batch_shape` argument. Note '
                         'that `shape` does not include the batch dimension.')
    if shape is not None and batch_shape is None:
        batch_shape = (None,) + tuple(shape)
    if dtype is None and tensor is None:
        dtype = K.floatx()
    layer = InputLayer(batch_input_shape=batch_shape, name=name, input_dtype=dtype,
                       sparse=sparse, input_tensor=tensor)
    return layer.inbound_nodes[0].output_tensors[0]


# ----------------------------------------------------------------------------- merge

_MERGE_MODES = ('sum', 'mul', 'concat', 'ave', 'cos', 'dot', 'max')


class Merge(Layer):
    """Merge a list of tensors into one: mode 'sum', 'mul', 'ave', 'max' (elementwise, equal
    shapes), 'concat' (along concat_axis), 'dot' / 'cos' (batch_dot of two tensors over
    dot_axes; cos divides by the norms), or a function of the list of tensors (with
    output_shape: a shape tuple without the batch axis, or a function of the input shapes).
    `layers` (legacy API) merges the outputs of those layers right away."""

    def __init__(self, layers=None, mode='sum', concat_axis=-1, dot_axes=-1, output_shape=None,
                 output_mask=None, arguments=None, node_indices=None, tensor_indices=None,
                 name=None):
        _init_layer_state(self)
        self.layers = layers
        self.mode = mode
        self.concat_axis = concat_axis
        self.dot_axes = dot_axes
        self._output_shape = output_shape
        self._output_mask = output_mask
        self.arguments = dict(arguments) if arguments else {}
        self.node_indices = node_indices
        self.constraints = {}
        self._trainable_weights = []
        self._non_trainable_weights = []
        self._losses = []
        self._updates = []
        self.trainable = True
        self.supports_masking = True
        self.uses_learning_phase = False
        self.input_spec = None
        self.name = name or _auto_name(self)
        if not callable(mode) and mode not in _MERGE_MODES:
            raise ValueError('Merge %s: invalid merge mode %r; expected one of %s or a function'
                             % (self.name, mode, ', '.join(_MERGE_MODES)))
        self.built = False
        if layers:
            node_indices = node_indices or [0] * len(layers)
            tensor_indices = tensor_indices or [0] * len(layers)
            self._validate(layers, node_indices, tensor_indices)
            self.built = True
            self.add_inbound_node(layers, node_indices, tensor_indices)

    def _validate(self, layers, node_indices, tensor_indices):
        if not isinstance(layers, (list, tuple)) or len(layers) < 2:
            raise TypeError('Merge %s should be applied to a list of at least 2 layers or '
                            'tensors. Found: %r' % (self.name, layers))
        shapes = []
        for layer, node_index, tensor_index in zip(layers, node_indices, tensor_indices):
            shape = layer.get_output_shape_at(node_index)
            if isinstance(shape, list):
                shape = shape[tensor_index]
            shapes.append(tuple(shape))
        if callable(self.mode):
            return
        if self.mode in ('sum', 'mul', 'ave', 'cos', 'max') and len(set(shapes)) > 1:
            raise ValueError('Merge %s: only layers of same output shape can be merged using %s '
                             'mode. Layer shapes: %s' % (self.name, self.mode, shapes))
        if self.mode in ('cos', 'dot'):
            self._validate_dot(shapes)
        elif self.mode == 'concat':
            self._validate_concat(shapes)

    def _validate_dot(self, shapes):
        if len(shapes) != 2:
            raise ValueError('Merge %s: %s merge takes exactly 2 layers; got %d (shapes %s)'
                             % (self.name, self.mode, len(shapes), shapes))
        shape1, shape2 = shapes
        if isinstance(self.dot_axes, int):
            if self.dot_axes < 0:
                self.dot_axes = [self.dot_axes % len(shape1), self.dot_axes % len(shape2)]
            else:
                self.dot_axes = [self.dot_axes] * 2
        if (not isinstance(self.dot_axes, (list, tuple)) or len(self.dot_axes) != 2
                or not all(isinstance(a, int) for a in self.dot_axes)):
            raise ValueError('Merge %s: invalid dot_axes %r; expected an int or a list of two '
                             'ints' % (self.name, self.dot_axes))
        self.dot_axes = list(self.dot_axes)
        a1, a2 = self.dot_axes
        if not (0 < a1 < len(shape1) and 0 < a2 < len(shape2)):
            raise ValueError('Merge %s: dot_axes %s out of range (or on the batch axis) for '
                             'layer shapes %s, %s' % (self.name, self.dot_axes, shape1, shape2))
        if shape1[a1] != shape2[a2]:
            raise ValueError('Merge %s: dimension incompatibility using %s mode: %s != %s. '
                             'Layer shapes: %s, %s' % (self.name, self.mode, shape1[a1],
                                                       shape2[a2], shape1, shape2))

    def _validate_concat(self, shapes):
        ndims = set(len(s) for s in shapes)
        reduced = set()
        for s in shapes:
            rest = list(s)
            if len(ndims) == 1 and -len(s) <= self.concat_axis < len(s):
                del rest[self.concat_axis]
            reduced.add(tuple(rest))
        if len(ndims) > 1 or len(reduced) > 1 or not -min(ndims) <= self.concat_axis < min(ndims):
            raise ValueError('Merge %s: "concat" mode can only merge layers with matching output '
                             'shapes except for the concat axis (%d). Layer shapes: %s'
                             % (self.name, self.concat_axis, shapes))

    def __call__(self, inputs, mask=None):
        if not isinstance(inputs, list):
            raise TypeError('Merge %s can only be called on a list of tensors, not a single '
                            'tensor. Received: %r' % (self.name, inputs))
        if self.built:
            raise RuntimeError('Merge layer %s cannot be used more than once; use the `merge` '
                               'function instead: `merged = merge([tensor_1, tensor_2])`.'
                               % self.name)
        histories = [getattr(x, '_keras_history', None) for x in inputs]
        if not all(histories):
            with _scope(self):
                return self.call(inputs, mask)
        layers = [h[0] for h in histories]
        node_indices = [h[1] for h in histories]
        tensor_indices = [h[2] for h in histories]
        self._validate(layers, node_indices, tensor_indices)
        self.built = True
        self.add_inbound_node(layers, node_indices, tensor_indices)
        return self.inbound_nodes[-1].output_tensors[0]

    def call(self, inputs, mask=None):
        if not isinstance(inputs, list) or len(inputs) < 2:
            raise TypeError('Merge %s must be called on a list of at least 2 tensors. Got: %r'
                            % (self.name, inputs))
        if callable(self.mode):
            arguments = dict(self.arguments)
            if 'mask' in inspect.signature(self.mode).parameters:
                arguments['mask'] = mask
            return self.mode(inputs, **arguments)
        if self.mode in ('sum', 'ave'):
            s = inputs[0]
            for x in inputs[1:]:
                s = s + x
            return s / len(inputs) if self.mode == 'ave' else s
        if self.mode == 'mul':
            s = inputs[0]
            for x in inputs[1:]:
                s = s * x
            return s
        if self.mode == 'max':
            s = inputs[0]
            for x in inputs[1:]:
                s = K.maximum(s, x)
            return s
        if self.mode == 'concat':
            return K.concatenate(inputs, axis=self.concat_axis)
        l1, l2 = inputs
        if self.mode == 'dot':
            return K.batch_dot(l1, l2, self.dot_axes)
        denominator = K.sqrt(K.batch_dot(l1, l1, self.dot_axes) *
                             K.batch_dot(l2, l2, self.dot_axes))
        denominator = K.maximum(denominator, K.epsilon())
        # Keras 1.2.2 also expand_dims'ed this to (batch, 1, 1) while declaring (batch, 1);
        # the tensor here has the declared shape.
        return K.batch_dot(l1, l2, self.dot_axes) / denominator

    def get_output_shape_for(self, input_shape):
        if not isinstance(input_shape, list):
            raise TypeError('Merge %s: get_output_shape_for expects a list of shapes; got %r'
                            % (self.name, input_shape))
        if callable(self.mode):
            if callable(self._output_shape):
                return tuple(self._output_shape(input_shape))
            if self._output_shape is not None:
                return (input_shape[0][0],) + tuple(self._output_shape)
            raise ValueError('The Merge layer %s has a callable `mode` argument, and we cannot '
                             'infer its output shape because no `output_shape` argument was '
                             'provided. Pass a shape tuple (or a function) as `output_shape`.'
                             % self.name)
        if self.mode in ('sum', 'mul', 'ave', 'max'):
            return tuple(input_shape[0])
        if self.mode == 'concat':
            out = list(input_shape[0])
            for shape in input_shape[1:]:
                if out[self.concat_axis] is None or shape[self.concat_axis] is None:
                    out[self.concat_axis] = None
                    break
                out[self.concat_axis] += shape[self.concat_axis]
            return tuple(out)
        shape1, shape2 = list(input_shape[0]), list(input_shape[1])
        shape1.pop(self.dot_axes[0])
        shape2.pop(self.dot_axes[1])
        shape2.pop(0)
        out = shape1 + shape2
        return tuple(out + [1] if len(out) == 1 else out)

    def compute_mask(self, inputs, mask=None):
        """No mask if no input is masked; 'concat': the inputs' masks concatenated (all ones
        for an unmasked input); 'sum', 'mul', 'ave', 'max': the logical and of the masks;
        'cos', 'dot': no mask; a callable mode: `output_mask` (a mask or a function of the
        input masks)."""
        if mask is None or all(m is None for m in mask):
            return None
        if len(mask) != len(inputs):
            raise ValueError('Merge %s: got %d masks for %d inputs'
                             % (self.name, len(mask), len(inputs)))
        if callable(self.mode):
            return self._output_mask(mask) if callable(self._output_mask) else self._output_mask
        if self.mode in ('cos', 'dot'):
            return None
        if self.mode == 'concat':
            masks = []
            for x, m in zip(inputs, mask):
                if m is None:
                    m = K.cast(K.ones_like(x), 'uint8')
                elif K.ndim(m) < K.ndim(x):
                    m = K.expand_dims(m)
                masks.append(m)
            return K.all(K.concatenate(masks, axis=self.concat_axis), axis=-1, keepdims=False)
        masks = [K.expand_dims(m, 0) for m in mask if m is not None]
        return K.all(K.concatenate(masks, axis=0), axis=0, keepdims=False)

    def get_config(self):
        mode, mode_type = dump_callable(self.mode, 'Merge', 'callable')
        output_shape, output_shape_type = dump_callable(self._output_shape, 'Merge', 'callable')
        output_mask, output_mask_type = dump_callable(self._output_mask, 'Merge', 'callable')
        return {'name': self.name, 'mode': mode, 'mode_type': mode_type,
                'concat_axis': self.concat_axis, 'dot_axes': self.dot_axes,
                'output_shape': output_shape, 'output_shape_type': output_shape_type,
                'output_mask': output_mask, 'output_mask_type': output_mask_type,
                'arguments': self.arguments}

    @classmethod
    def from_config(cls, config, custom_objects=None, allow_code=False):
        """Rebuild from get_config. A 'function' entry is a name looked up in `custom_objects`
        and the registered custom objects. A 'lambda' entry is marshalled Python bytecode:
        loading it runs code from the config, so it is refused unless the caller trusts the
        source and passes allow_code=True."""
        config = dict(config)
        for key in ('mode', 'output_shape', 'output_mask'):
            kind = config.pop(key + '_type', 'raw')
            config[key] = load_callable(config.get(key), kind, key, 'Merge', config.get('name'),
                                         custom_objects, allow_code)
        return cls(**config)


def dump_callable(value, owner, what='function'):
    """(value, type) for a layer config: a Python function as bytecode ('lambda'), another
    callable by name ('function'), anything else as it is ('raw'). Shared by Merge and Lambda;
    `owner` (the class name) labels errors."""
    if isinstance(value, types.FunctionType):
        return generic_utils.func_dump(value), 'lambda'
    if callable(value):
        if not hasattr(value, '__name__'):
            raise ValueError('%s: cannot save the %s %r in a config (it has no __name__); use a '
                             'function' % (owner, what, value))
        return value.__name__, 'function'
    return value, 'raw'


def load_callable(value, kind, key, owner, layer_name, custom_objects, allow_code):
    """The inverse of dump_callable. A function saved by name is looked up in custom_objects,
    the registered custom objects, then the backend; bytecode is executed only when the caller
    opts in with allow_code=True (loading never runs code from a file otherwise)."""
    if kind == 'raw':
        return value
    if kind == 'function':
        for source in (custom_objects or {}, generic_utils.get_custom_objects(), vars(K)):
            if value in source:
                return source[value]
        raise ValueError('%s %s: %s function %r not found; pass it in custom_objects'
                         % (owner, layer_name, key, value))
    if kind == 'lambda':
        if not allow_code:
            raise ValueError('%s %s: its %s is a Python function saved as bytecode; loading it '
                             'executes code from the config. Pass allow_code=True only if you '
                             'trust the source.' % (owner, layer_name, key))
        globs = dict(vars(K))
        globs.update(K=K, np=np)
        globs.update(generic_utils.get_custom_objects())
        globs.update(custom_objects or {})
        return generic_utils.func_load(value, globs=globs)
    raise ValueError('%s %s: unknown %s_type %r (expected raw, function or lambda)'
                     % (owner, layer_name, key, kind))


def merge(inputs, mode='sum', concat_axis=-1, dot_axes=-1, output_shape=None, output_mask=None,
          arguments=None, name=None):
    """Merge a list of tensors with a new Merge layer (see Merge) and return the result."""
    if not isinstance(inputs, list):
        raise TypeError('merge: inputs must be a list of tensors; got %r' % (inputs,))
    histories = [getattr(x, '_keras_history', None) for x in inputs]
    kwargs = dict(mode=mode, concat_axis=concat_axis, dot_axes=dot_axes,
                  output_shape=output_shape, output_mask=output_mask, arguments=arguments,
                  name=name)
    if all(histories):
        layer = Merge([h[0] for h in histories], node_indices=[h[1] for h in histories],
                      tensor_indices=[h[2] for h in histories], **kwargs)
        return layer.inbound_nodes[0].output_tensors[0]
    layer = Merge(**kwargs)
    with _scope(layer):
        return layer.call(inputs)


# ----------------------------------------------------------------------------- container

class Container(Layer):
    """A directed acyclic graph of layers from `input` (Input tensors) to `output` (Keras
    tensors), each a tensor or a list. A Container is itself a layer: calling it on new
    tensors applies its layers (with their weights) to them."""

    def __init__(self, input, output, name=None):
        _init_layer_state(self)
        self.name = name or _auto_name(self)
        self.supports_masking = False
        self.trainable = True
        self._output_cache = {}
        self._output_shape_cache = {}
        self.inputs = list(input) if isinstance(input, (list, tuple)) else [input]
        self.outputs = list(output) if isinstance(output, (list, tuple)) else [output]
        if len(set(map(id, self.inputs))) != len(self.inputs):
            raise ValueError('The list of inputs passed to %s is redundant. All inputs should '
                             'only appear once. Found: %s' % (self.name, self.inputs))
        self.input_layers, self.input_layers_node_indices, self.input_layers_tensor_indices = \
            self._endpoints(self.inputs, 'Input')
        self.output_layers, self.output_layers_node_indices, \
            self.output_layers_tensor_indices = self._endpoints(self.outputs, 'Output')
        for x, layer in zip(self.inputs, self.input_layers):
            if not isinstance(layer, InputLayer):
                raise ValueError('%s inputs must come from a Keras Input layer, they cannot be '
                                 'the output of a previous non-Input layer. Here, a tensor '
                                 'specified as input to "%s" was not an Input tensor, it was '
                                 'generated by layer %s. Note that input tensors are '
                                 'instantiated via `tensor = Input(shape)`. The tensor that '
                                 'caused the issue was: %s' % (self.__class__.__name__,
                                                               self.name, layer.name, x.name))
        self.input_names = [layer.name for layer in self.input_layers]
        self.output_names = [layer.name for layer in self.output_layers]
        self.internal_input_shapes = [x._keras_shape for x in self.inputs]
        self.internal_output_shapes = [x._keras_shape for x in self.outputs]
        self._build_graph()
        masks = [layer.inbound_nodes[n].output_masks[t] for layer, n, t in
                 zip(self.output_layers, self.output_layers_node_indices,
                     self.output_layers_tensor_indices)]
        self._output_cache[self._cache_key(self.inputs, [None] * len(self.inputs))] = (
            self.inputs, [None] * len(self.inputs), self.outputs, masks,
            self.internal_output_shapes)
        Node(self, inbound_layers=[], node_indices=[], tensor_indices=[],
             input_tensors=self.inputs, output_tensors=self.outputs,
             input_masks=[None] * len(self.inputs), output_masks=[None] * len(self.outputs),
             input_shapes=self.internal_input_shapes, output_shapes=self.internal_output_shapes)
        self.built = True

    def _endpoints(self, tensors, what):
        layers, node_indices, tensor_indices = [], [], []
        for x in tensors:
            if not hasattr(x, '_keras_history'):
                raise TypeError('%s tensors to a %s must be Keras tensors. Found: %r (missing '
                                'Keras metadata).' % (what, self.__class__.__name__, x))
            layer, node_index, tensor_index = x._keras_history
            layers.append(layer)
            node_indices.append(node_index)
            tensor_indices.append(tensor_index)
        return layers, node_indices, tensor_indices

    def _build_graph(self):
        """Depth of every node and layer (longest path to an output), the layers in Keras
        1.2.2's order (deepest first, ties by first visit from the outputs), and a check that
        every node's inputs are computable from the model's inputs."""
        node_depths, layer_depths, layer_order = {}, {}, {}
        nodes = {}
        self.container_nodes = set()

        def visit(layer, node_index, depth, seen):
            node = layer.inbound_nodes[node_index]
            seen.add((id(node), depth))
            self.container_nodes.add('%s_ib-%d' % (layer.name, node_index))
            nodes[id(node)] = node
            node_depths[id(node)] = max(depth, node_depths.get(id(node), depth))
            layer_depths[layer] = max(depth, layer_depths.get(layer, depth))
            layer_order.setdefault(layer, len(layer_order))
            for inbound, index in zip(node.inbound_layers, node.node_indices):
                if (id(inbound.inbound_nodes[index]), depth + 1) not in seen:
                    visit(inbound, index, depth + 1, seen)

        for layer, node_index in zip(self.output_layers, self.output_layers_node_indices):
            visit(layer, node_index, 0, set())
        self.nodes_by_depth = {}
        for key, depth in node_depths.items():
            self.nodes_by_depth.setdefault(depth, []).append(nodes[key])
        self.layers_by_depth = {}
        for layer, depth in layer_depths.items():
            self.layers_by_depth.setdefault(depth, []).append(layer)
        if K.legacy_weight_ordering():
            order = lambda layer: layer.name     # noqa: E731
        else:
            order = layer_order.get
        self.layers = []
        for depth in sorted(self.layers_by_depth, reverse=True):
            self.layers.extend(sorted(self.layers_by_depth[depth], key=order))
        self._check_connected()
        names = [layer.name for layer in self.layers]
        for name in names:
            if names.count(name) != 1:
                raise RuntimeError('The name "%s" is used %d times in the model %s. All layer '
                                   'names should be unique.' % (name, names.count(name),
                                                                self.name))

    def _check_connected(self):
        computable = set(map(id, self.inputs))
        done = []
        for depth in sorted(self.nodes_by_depth, reverse=True):
            for node in self.nodes_by_depth[depth]:
                for x in node.input_tensors:
                    if id(x) not in computable:
                        raise RuntimeError('Graph disconnected: cannot obtain value for tensor '
                                           '%s at layer "%s". The following previous layers '
                                           'were accessed without issue: %s'
                                           % (x, node.outbound_layer.name, done))
                computable.update(map(id, node.output_tensors))
                done.append(node.outbound_layer.name)

    # ---------------------------------------------------------------- aggregated state

    @property
    def input_spec(self):
        return [None] * len(self.inputs)

    @property
    def uses_learning_phase(self):
        return any(layer.uses_learning_phase for layer in self.layers)

    @property
    def stateful(self):
        return any(getattr(layer, 'stateful', False) for layer in self.layers)

    def reset_states(self):
        """Reset the states of the stateful layers (and of stateful nested models)."""
        for layer in self.layers:
            if getattr(layer, 'stateful', False) and hasattr(layer, 'reset_states'):
                layer.reset_states()

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for layer in self.layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        weights = [w for layer in self.layers for w in layer.non_trainable_weights]
        if self.trainable:
            return weights
        return [w for layer in self.layers for w in layer.trainable_weights] + weights

    @property
    def constraints(self):
        cons = {}
        for layer in self.layers:
            for weight, constraint in layer.constraints.items():
                if weight in cons and cons[weight] is not constraint:
                    raise ValueError('Received multiple constraints for one weight tensor: %s'
                                     % (weight,))
                cons[weight] = constraint
        return cons

    def _collect(self, attr, get_for):
        """A layer's losses/updates that belong to this model: all of them for a layer called
        once; otherwise those of its calls inside this model, plus its unconditional ones."""
        items = []
        for layer in self.layers:
            if len(layer.inbound_nodes) == 1:
                items += getattr(layer, attr)
                continue
            for index, node in enumerate(layer.inbound_nodes):
                if '%s_ib-%d' % (layer.name, index) in self.container_nodes:
                    items += getattr(layer, get_for)(node.input_tensors)
            items += getattr(layer, get_for)(None)
        return _unique(items + getattr(self, get_for)(None))

    @property
    def updates(self):
        return self._collect('updates', 'get_updates_for')

    @property
    def losses(self):
        return self._collect('losses', 'get_losses_for')

    @property
    def state_updates(self):
        """The updates of stateful layers (e.g. RNN states), to run at prediction too."""
        return [u for layer in self.layers if getattr(layer, 'stateful', False)
                for u in layer.updates]

    def get_weights(self):
        return K.batch_get_value([w for layer in self.layers for w in layer.weights])

    def set_weights(self, weights):
        """Set all weights from a list of arrays, in the order of get_weights (layers in
        self.layers order, each layer's weights in its own order)."""
        expected = sum(len(layer.weights) for layer in self.layers)
        if len(weights) != expected:
            raise ValueError('You called `set_weights(weights)` on model "%s" with a weight list '
                             'of length %d, but the model was expecting %d weights.'
                             % (self.name, len(weights), expected))
        for layer in self.layers:
            n = len(layer.weights)
            layer.set_weights(weights[:n])
            weights = weights[n:]

    def get_layer(self, name=None, index=None):
        """A layer by name, or by index in self.layers."""
        if index is not None:
            if not -len(self.layers) <= index < len(self.layers):
                raise ValueError('Was asked to retrieve layer at index %d but model %s only has '
                                 '%d layers.' % (index, self.name, len(self.layers)))
            return self.layers[index]
        if not name:
            raise ValueError('Provide either a layer name or layer index.')
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError('No such layer: %s (model %s has layers %s)'
                         % (name, self.name, [layer.name for layer in self.layers]))

    def count_params(self):
        return sum(K.count_params(w) for w in self.weights)

    def summary(self, line_length=100, positions=[.33, .55, .67, 1.]):
        """Print the table of this container's layers (see layer_utils.print_summary); a
        container with `flattened_layers` (Sequential) lists those, as in Keras 1.2.2."""
        from ..utils.layer_utils import print_summary
        layers = getattr(self, 'flattened_layers', None)
        print_summary(self.layers if layers is None else layers,
                      getattr(self, 'container_nodes', None),
                      line_length=line_length, positions=positions)

    # ---------------------------------------------------------------- the model as a layer

    @staticmethod
    def _cache_key(inputs, masks):
        return tuple(map(id, inputs)), tuple(map(id, masks))

    def _run(self, x, mask):
        inputs = to_list(x)
        masks = [None] * len(inputs) if mask is None else to_list(mask)
        if len(inputs) != len(self.inputs):
            raise ValueError('Model %s has %d inputs; it was called on %d tensors'
                             % (self.name, len(self.inputs), len(inputs)))
        key = self._cache_key(inputs, masks)
        if key not in self._output_cache:
            # The entry holds the input tensors, so their ids stay theirs while it exists.
            self._output_cache[key] = (inputs, masks) + self.run_internal_graph(inputs, masks)
        return self._output_cache[key][2:]

    def call(self, x, mask=None):
        outputs = self._run(x, mask)[0]
        return outputs[0] if len(outputs) == 1 else outputs

    def compute_mask(self, x, mask=None):
        masks = self._run(x, mask)[1]
        return masks[0] if len(masks) == 1 else masks

    def run_internal_graph(self, inputs, masks=None):
        """Apply the model's layers to `inputs` (with `masks`): (output tensors, output masks,
        output shapes). Losses and updates of the layers on these inputs are filed under
        them in the model."""
        masks = [None] * len(inputs) if masks is None else masks
        tensor_map = {id(x): (y, m) for x, y, m in zip(self.inputs, inputs, masks)}
        for depth in sorted(self.nodes_by_depth, reverse=True):
            for node in self.nodes_by_depth[depth]:
                layer = node.outbound_layer
                if isinstance(layer, InputLayer):
                    continue
                data = [tensor_map[id(x)] for x in node.input_tensors if id(x) in tensor_map]
                if len(data) != len(node.input_tensors):
                    continue
                xs, ms = [d[0] for d in data], [d[1] for d in data]
                x, m = (xs[0], ms[0]) if len(xs) == 1 else (xs, ms)
                with _scope(layer):
                    outputs = to_list(layer.call(x, m))
                    out_masks = to_list(layer.compute_mask(x, m))
                self.add_update(layer.get_updates_for(xs), inputs)
                self.add_update(layer.get_updates_for(None), None)
                self.add_loss(layer.get_losses_for(xs), inputs)
                self.add_loss(layer.get_losses_for(None), None)
                if all(hasattr(t, '_keras_shape') for t in xs):
                    shapes = [t._keras_shape for t in xs]
                    shapes = to_list(layer.get_output_shape_for(
                        shapes[0] if len(shapes) == 1 else shapes))
                    phase = (any(getattr(t, '_uses_learning_phase', False) for t in xs)
                             or layer.uses_learning_phase)
                    for t, shape in zip(outputs, shapes):
                        if not hasattr(t, '_keras_history'):
                            t._keras_shape = shape
                            t._uses_learning_phase = phase
                for ref, y, ym in zip(node.output_tensors, outputs, out_masks):
                    tensor_map[id(ref)] = (y, ym)
        outputs, out_masks, shapes = [], [], []
        for x in self.outputs:
            y, ym = tensor_map[id(x)]
            outputs.append(y)
            out_masks.append(ym)
            shapes.append(getattr(y, '_keras_shape', None))
        return outputs, out_masks, shapes

    def get_output_shape_for(self, input_shape):
        shapes = input_shape if isinstance(input_shape, list) else [input_shape]
        if len(shapes) != len(self.input_layers):
            raise ValueError('Invalid input_shape argument %s: model %s has %d tensor inputs.'
                             % (input_shape, self.name, len(self.input_layers)))
        key = str(shapes)
        if key not in self._output_shape_cache:
            known = {(id(layer), 0, 0): tuple(s) for layer, s in zip(self.input_layers, shapes)}
            for depth in sorted(self.nodes_by_depth, reverse=True):
                for node in self.nodes_by_depth[depth]:
                    layer = node.outbound_layer
                    if isinstance(layer, InputLayer):
                        continue
                    ins = [known[(id(l), n, t)] for l, n, t in
                           zip(node.inbound_layers, node.node_indices, node.tensor_indices)]
                    outs = to_list(layer.get_output_shape_for(ins[0] if len(ins) == 1 else ins))
                    node_index = layer.inbound_nodes.index(node)
                    for j, shape in enumerate(outs):
                        known[(id(layer), node_index, j)] = shape
            self._output_shape_cache[key] = [
                known[(id(l), n, t)] for l, n, t in
                zip(self.output_layers, self.output_layers_node_indices,
                    self.output_layers_tensor_indices)]
        out = self._output_shape_cache[key]
        return out[0] if len(out) == 1 else list(out)

    # ---------------------------------------------------------------- config

    def get_config(self):
        """Keras 1.2.2's functional model config: name, layers (name, class_name, config,
        inbound_nodes), input_layers, output_layers. Node indices count only the nodes that
        belong to this model (a nested container's own node 0 is kept)."""
        conversion = {}
        for layer in self.layers:
            kept = 1 if isinstance(layer, Container) else 0
            for index in range(len(layer.inbound_nodes)):
                key = '%s_ib-%d' % (layer.name, index)
                if key in self.container_nodes:
                    conversion[key] = kept
                    kept += 1
        layer_configs = []
        for layer in self.layers:
            inbound = []
            for index, node in enumerate(layer.inbound_nodes):
                if '%s_ib-%d' % (layer.name, index) in self.container_nodes and \
                        node.inbound_layers:
                    inbound.append([[l.name, conversion.get('%s_ib-%d' % (l.name, n), 0), t]
                                    for l, n, t in zip(node.inbound_layers, node.node_indices,
                                                       node.tensor_indices)])
            layer_configs.append({'name': layer.name, 'class_name': layer.__class__.__name__,
                                  'config': layer.get_config(), 'inbound_nodes': inbound})

        def endpoints(layers, node_indices, tensor_indices):
            return [[l.name, conversion['%s_ib-%d' % (l.name, n)], t]
                    for l, n, t in zip(layers, node_indices, tensor_indices)]

        return copy.deepcopy({
            'name': self.name, 'layers': layer_configs,
            'input_layers': endpoints(self.input_layers, self.input_layers_node_indices,
                                      self.input_layers_tensor_indices),
            'output_layers': endpoints(self.output_layers, self.output_layers_node_indices,
                                       self.output_layers_tensor_indices)})

    @classmethod
    def from_config(cls, config, custom_objects=None, allow_code=False):
        """Rebuild a model from get_config: each layer is made from its class (looked up in
        custom_objects, the registered custom objects, then the layer registry) and called
        on its recorded inbound nodes. allow_code is passed to layers that load saved Python
        code (see Merge.from_config)."""
        created = {}
        for data in config['layers']:
            layer = layer_from_config(data, custom_objects, allow_code)
            created[data['name']] = layer
            for node_data in data['inbound_nodes']:
                tensors = [_config_tensor(created, entry, data['name']) for entry in node_data]
                layer(tensors[0] if len(tensors) == 1 else tensors)
        inputs = [_config_tensor(created, e, 'input_layers') for e in config['input_layers']]
        outputs = [_config_tensor(created, e, 'output_layers') for e in config['output_layers']]
        return cls(input=inputs, output=outputs, name=config.get('name'))

    # ---------------------------------------------------------------- files (engine/saving.py)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights to an HDF5 file in Keras 1.2.2's layout (see engine.saving)."""
        from . import saving
        saving.save_weights(self, filepath, overwrite=overwrite)

    def save(self, filepath, overwrite=True):
        """Save the whole model (architecture, weights, training configuration, optimizer
        state) to one HDF5 file in Keras 1.2.2's layout (see engine.model_file)."""
        from . import model_file
        model_file.save_model(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, by_name=False):
        """Load weights from an HDF5 file: by position of the layers with weights, or by
        layer name (see engine.saving)."""
        from . import saving
        saving.load_weights(self, filepath, by_name=by_name)

    def to_json(self, **kwargs):
        """The model configuration as JSON; kwargs go to json.dumps."""
        from . import saving
        return saving.to_json(self, **kwargs)

    def to_yaml(self, **kwargs):
        """The model configuration as YAML; kwargs go to yaml.dump."""
        from . import saving
        return saving.to_yaml(self, **kwargs)


def _config_tensor(created, entry, where):
    name, node_index, tensor_index = entry
    if name not in created:
        raise ValueError('Model config: %s refers to layer %r, which is not defined before it'
                         % (where, name))
    return created[name].inbound_nodes[node_index].output_tensors[tensor_index]


# ----------------------------------------------------------------------------- layer registry

_LAYER_CLASSES = {}


def register_layer_class(cls):
    """Make a Layer subclass loadable from configs by its class name (usable as a class
    decorator). The layers modules register their classes here."""
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise TypeError('register_layer_class: expected a Layer subclass; got %r' % (cls,))
    _LAYER_CLASSES[cls.__name__] = cls
    return cls


def get_layer_class(class_name, custom_objects=None):
    """The layer class for a config's class_name: from `custom_objects`, then the registered
    custom objects (generic_utils), then the layer registry."""
    for source in (custom_objects or {}, generic_utils.get_custom_objects(), _LAYER_CLASSES):
        if class_name in source:
            return source[class_name]
    raise ValueError('Unknown layer class: %r; pass it in custom_objects (known: %s)'
                     % (class_name, ', '.join(sorted(_LAYER_CLASSES))))


def layer_from_config(config, custom_objects=None, allow_code=False):
    """A layer from {'class_name': ..., 'config': {...}}. custom_objects and allow_code are
    passed to the class's from_config when it takes them."""
    if not isinstance(config, dict) or 'class_name' not in config or 'config' not in config:
        raise ValueError("layer_from_config: expected a dict with 'class_name' and 'config'; "
                         "got %r" % (config,))
    cls = get_layer_class(config['class_name'], custom_objects)
    params = inspect.signature(cls.from_config).parameters
    kwargs = {}
    if 'custom_objects' in params:
        kwargs['custom_objects'] = custom_objects
    if 'allow_code' in params:
        kwargs['allow_code'] = allow_code
    return cls.from_config(config['config'], **kwargs)


for _cls in (InputLayer, Merge, Container):
    register_layer_class(_cls)
