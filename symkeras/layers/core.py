"""Keras 1.2.2 core layers (`keras.layers.core`): Dense, Activation, Dropout,
SpatialDropout1D/2D/3D, Flatten, Reshape, Permute, RepeatVector, Lambda, ActivityRegularization,
Masking, Highway, MaxoutDense, TimeDistributedDense; Merge, Input, InputLayer, InputSpec and Layer come from the engine, as
Keras 1 code imports them from here too."""
import inspect
import warnings

import numpy as np

from .. import activations
from .. import backend as K
from ..backend.config import normalize_dim_ordering
from .. import constraints
from .. import initializations
from .. import regularizers
from ..engine.topology import (Input, InputLayer, InputSpec, Layer, Merge, dump_callable,
                               load_callable, register_layer_class)

__all__ = ['Layer', 'InputSpec', 'Input', 'InputLayer', 'Merge', 'Dense', 'Activation',
           'Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D', 'Flatten',
           'Reshape', 'Permute', 'RepeatVector', 'Lambda', 'ActivityRegularization', 'Masking', 'Highway', 'MaxoutDense', 'TimeDistributedDense']


# ----------------------------------------------------------------------------- shared helpers

def config_of(obj):
    """A regularizer's or constraint's get_config(), None for None (Keras 1 config values)."""
    return obj.get_config() if obj is not None else None


def set_initial_weights(layer):
    """Keras 1 layers take `weights=` in the constructor and set them once built."""
    if layer.initial_weights is not None:
        layer.set_weights(layer.initial_weights)
    del layer.initial_weights


class _DenseLike(Layer):
    """The arguments Dense, MaxoutDense, Highway and TimeDistributedDense share."""

    def _init_dense(self, init, weights, W_regularizer, b_regularizer, activity_regularizer,
                    W_constraint, b_constraint, bias, input_dim):
        self.init = initializations.get(init)
        self.W_regularizer = regularizers.get(W_regularizer)
        self.b_regularizer = regularizers.get(b_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.W_constraint = constraints.get(W_constraint)
        self.b_constraint = constraints.get(b_constraint)
        self.bias = bias
        self.input_dim = input_dim
        self.initial_weights = weights

    def _add_W_b(self, W_shape, b_shape):
        self.W = self.add_weight(W_shape, self.init, name='W', regularizer=self.W_regularizer,
                                 constraint=self.W_constraint)
        self.b = None
        if self.bias:
            self.b = self.add_weight(b_shape, 'zero', name='b', regularizer=self.b_regularizer,
                                     constraint=self.b_constraint)

    def _dense_config(self):
        return {'init': self.init.__name__,
                'W_regularizer': config_of(self.W_regularizer),
                'b_regularizer': config_of(self.b_regularizer),
                'activity_regularizer': config_of(self.activity_regularizer),
                'W_constraint': config_of(self.W_constraint),
                'b_constraint': config_of(self.b_constraint),
                'bias': self.bias, 'input_dim': self.input_dim}


def _base_config(layer, config):
    base = Layer.get_config(layer)
    base.update(config)
    return base


# ----------------------------------------------------------------------------- layers

@register_layer_class
class Dense(_DenseLike):
    """output = activation(dot(x, W) + b) over the last axis; W is (input_dim, output_dim)."""

    def __init__(self, output_dim, init='glorot_uniform', activation=None, weights=None,
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None, bias=True, input_dim=None, **kwargs):
        self.output_dim = output_dim
        self.activation = activations.get(activation)
        self._init_dense(init, weights, W_regularizer, b_regularizer, activity_regularizer,
                         W_constraint, b_constraint, bias, input_dim)
        self.input_spec = [InputSpec(ndim='2+')]
        if self.input_dim:
            kwargs['input_shape'] = (self.input_dim,)
        super(Dense, self).__init__(**kwargs)

    def build(self, input_shape):
        self.input_dim = input_shape[-1]
        self.input_spec = [InputSpec(dtype=K.floatx(), ndim='2+')]
        self._add_W_b((self.input_dim, self.output_dim), (self.output_dim,))
        set_initial_weights(self)

    def call(self, x, mask=None):
        output = K.dot(x, self.W)
        if self.bias:
            output = output + self.b
        return self.activation(output)

    def get_output_shape_for(self, input_shape):
        return tuple(input_shape[:-1]) + (self.output_dim,)

    def get_config(self):
        config = {'output_dim': self.output_dim, 'activation': self.activation.__name__}
        config.update(self._dense_config())
        return _base_config(self, config)


@register_layer_class
class Activation(Layer):
    """activation(x); the mask passes through."""

    def __init__(self, activation, **kwargs):
        self.supports_masking = True
        self.activation = activations.get(activation)
        super(Activation, self).__init__(**kwargs)

    def call(self, x, mask=None):
        return self.activation(x)

    def get_config(self):
        return _base_config(self, {'activation': self.activation.__name__})


@register_layer_class
class Dropout(Layer):
    """Sets a fraction p of the inputs to 0 in training (scaling the rest by 1 / (1 - p));
    identity at test time. noise_shape (with the batch axis) shares the dropout mask along its
    1-sized axes; seed fixes the random stream."""

    def __init__(self, p, noise_shape=None, seed=None, **kwargs):
        if not 0. <= p < 1.:
            raise ValueError('Dropout: p must be in [0, 1); got %r' % (p,))
        self.p = p
        self.noise_shape = noise_shape
        self.seed = seed
        if 0. < self.p < 1.:
            self.uses_learning_phase = True
        self.supports_masking = True
        super(Dropout, self).__init__(**kwargs)

    def _get_noise_shape(self, x):
        return self.noise_shape

    def call(self, x, mask=None):
        if 0. < self.p < 1.:
            noise_shape = self._get_noise_shape(x)
            x = K.in_train_phase(lambda: K.dropout(x, self.p, noise_shape, seed=self.seed),
                                 x)
        return x

    def get_config(self):
        # Keras 1.2.2 saved only p; noise_shape and seed are kept too so a round trip keeps
        # the layer (a 1.2.2 constructor accepts them).
        noise_shape = list(self.noise_shape) if self.noise_shape is not None else None
        return _base_config(self, {'p': self.p, 'noise_shape': noise_shape, 'seed': self.seed})


@register_layer_class
class SpatialDropout1D(Dropout):
    """Dropout of whole feature maps of a (batch, timesteps, features) input: one mask entry
    per sample and feature, shared over the timesteps."""

    def __init__(self, p, **kwargs):
        super(SpatialDropout1D, self).__init__(p, **kwargs)
        self.input_spec = [InputSpec(ndim=3)]

    def _get_noise_shape(self, x):
        shape = K.shape(x)
        return (shape[0], 1, shape[2])

    def get_config(self):
        return _base_config(self, {'p': self.p})


class _SpatialDropoutND(Dropout):
    """Dropout of whole channels of an image/volume input: one mask entry per sample and
    channel, shared over the spatial axes; the channel axis follows dim_ordering ('th':
    axis 1, 'tf': last; 'default': K.image_dim_ordering())."""
    spatial_axes = None

    def __init__(self, p, dim_ordering='default', **kwargs):
        self.dim_ordering = normalize_dim_ordering(self.__class__.__name__, dim_ordering)
        super(_SpatialDropoutND, self).__init__(p, **kwargs)
        self.input_spec = [InputSpec(ndim=self.spatial_axes + 2)]

    def _get_noise_shape(self, x):
        shape = K.shape(x)
        ones = (1,) * self.spatial_axes
        if self.dim_ordering == 'th':
            return (shape[0], shape[1]) + ones
        return (shape[0],) + ones + (shape[self.spatial_axes + 1],)

    def get_config(self):
        return _base_config(self, {'p': self.p, 'dim_ordering': self.dim_ordering})


@register_layer_class
class SpatialDropout2D(_SpatialDropoutND):
    __doc__ = _SpatialDropoutND.__doc__
    spatial_axes = 2


@register_layer_class
class SpatialDropout3D(_SpatialDropoutND):
    __doc__ = _SpatialDropoutND.__doc__
    spatial_axes = 3


@register_layer_class
class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1 * d2 * ...); the non-batch axes must be known."""

    def __init__(self, **kwargs):
        self.input_spec = [InputSpec(ndim='3+')]
        super(Flatten, self).__init__(**kwargs)

    def get_output_shape_for(self, input_shape):
        if not all(input_shape[1:]):
            raise ValueError('The shape of the input to "Flatten" (layer %s) is not fully '
                             'defined (got %s). Make sure to pass a complete "input_shape" or '
                             '"batch_input_shape" argument to the first layer in your model.'
                             % (self.name, tuple(input_shape[1:])))
        return (input_shape[0], int(np.prod(input_shape[1:])))

    def call(self, x, mask=None):
        return K.batch_flatten(x)


@register_layer_class
class Reshape(Layer):
    """Reshape the non-batch axes to target_shape, which may hold one -1 (inferred)."""

    def __init__(self, target_shape, **kwargs):
        target_shape = tuple(target_shape)
        if sum(1 for d in target_shape if d == -1) > 1:
            raise ValueError('Reshape: target_shape can only specify one unknown dimension '
                             '(-1); got %s' % (target_shape,))
        if any(d == 0 or d < -1 for d in target_shape):
            raise ValueError('Reshape: target_shape entries must be positive or -1; got %s'
                             % (target_shape,))
        self.target_shape = target_shape
        super(Reshape, self).__init__(**kwargs)

    def _fix_unknown_dimension(self, input_shape, output_shape):
        """output_shape with its -1 resolved from input_shape (the non-batch axes)."""
        output_shape = list(output_shape)
        if not all(input_shape):
            return tuple(None if d == -1 else d for d in output_shape)
        original = int(np.prod(input_shape))
        known = int(np.prod([d for d in output_shape if d != -1]))
        if -1 in output_shape:
            unknown = output_shape.index(-1)
            if known == 0 or original % known:
                raise ValueError(self._size_error(input_shape))
            output_shape[unknown] = original // known
        elif original != known:
            raise ValueError(self._size_error(input_shape))
        return tuple(output_shape)

    def _size_error(self, input_shape):
        return ('Reshape (layer %s): total size of the new array must be unchanged; cannot '
                'reshape input shape %s to target shape %s'
                % (self.name, tuple(input_shape), self.target_shape))

    def get_output_shape_for(self, input_shape):
        return (input_shape[0],) + self._fix_unknown_dimension(input_shape[1:],
                                                               self.target_shape)

    def call(self, x, mask=None):
        target = self._fix_unknown_dimension(K.int_shape(x)[1:], self.target_shape)
        target = tuple(-1 if d is None else d for d in target)
        if -1 in target:
            # Unknown input axes: the batch axis is taken from the input, the -1 inferred.
            return K.reshape(x, K.concatenate([K.shape(x)[:1], np.array(target, 'int64')]))
        return K.reshape(x, (-1,) + target)

    def get_config(self):
        return _base_config(self, {'target_shape': list(self.target_shape)})


@register_layer_class
class Permute(Layer):
    """Permute the non-batch axes; dims are 1-indexed (dims=(2, 1) swaps axes 1 and 2)."""

    def __init__(self, dims, **kwargs):
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError('Permute: dims must be a permutation of 1..%d (the batch axis is '
                             'not included); got %s' % (len(dims), dims))
        self.dims = dims
        self.input_spec = [InputSpec(ndim=len(self.dims) + 1)]
        super(Permute, self).__init__(**kwargs)

    def get_output_shape_for(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def call(self, x, mask=None):
        return K.permute_dimensions(x, (0,) + self.dims)

    def get_config(self):
        return _base_config(self, {'dims': list(self.dims)})


@register_layer_class
class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features)."""

    def __init__(self, n, **kwargs):
        self.n = n
        self.input_spec = [InputSpec(ndim=2)]
        super(RepeatVector, self).__init__(**kwargs)

    def get_output_shape_for(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def call(self, x, mask=None):
        return K.repeat(x, self.n)

    def get_config(self):
        return _base_config(self, {'n': self.n})


@register_layer_class
class Lambda(Layer):
    """function(x, **arguments) as a layer. output_shape: a tuple without the batch axis, a
    function of the input shape, or None (inferred by running the function on a placeholder
    of the input shape). mask: None (masks are not supported), a function (x, mask) -> output
    mask, or a fixed output mask. A function with a `mask` parameter receives the input mask.
    The positional order is Keras 1.2.2's (function, output_shape, arguments); mask (a later
    Keras addition) comes last."""

    def __init__(self, function, output_shape=None, arguments=None, mask=None, **kwargs):
        if not callable(function):
            raise TypeError('Lambda: function must be callable; got %r' % (function,))
        if output_shape is not None and not isinstance(output_shape, (tuple, list)) \
                and not callable(output_shape):
            raise TypeError('Lambda: output_shape must be a list, a tuple, or a function; got '
                            '%r' % (output_shape,))
        self.function = function
        self.arguments = dict(arguments) if arguments else {}
        self._output_shape = (tuple(output_shape) if isinstance(output_shape, (tuple, list))
                              else output_shape)
        self.mask = mask
        self.supports_masking = mask is not None
        super(Lambda, self).__init__(**kwargs)

    def _call_function(self, x, mask):
        arguments = dict(self.arguments)
        try:
            params = inspect.signature(self.function).parameters
        except (TypeError, ValueError):     # builtins without a signature
            params = {}
        if 'mask' in params:
            arguments['mask'] = mask
        return self.function(x, **arguments)

    def get_output_shape_for(self, input_shape):
        if self._output_shape is None:
            if isinstance(input_shape, list):
                x = [K.placeholder(shape=s) for s in input_shape]
            else:
                x = K.placeholder(shape=input_shape)
            return K.int_shape(self._call_function(x, None))
        if isinstance(self._output_shape, tuple):
            first = input_shape[0] if isinstance(input_shape, list) else input_shape
            return (first[0] if first else None,) + self._output_shape
        shape = self._output_shape(input_shape)
        if not isinstance(shape, (list, tuple)):
            raise ValueError('Lambda %s: the output_shape function must return a tuple; got %r'
                             % (self.name, shape))
        return tuple(shape)

    def call(self, x, mask=None):
        return self._call_function(x, mask)

    def compute_mask(self, x, mask=None):
        if self.mask is None:
            return super(Lambda, self).compute_mask(x, mask)
        if callable(self.mask):
            return self.mask(x, mask)
        return self.mask

    def get_config(self):
        function, function_type = dump_callable(self.function, 'Lambda', 'function')
        output_shape, output_shape_type = dump_callable(self._output_shape, 'Lambda', 'output_shape')
        if isinstance(output_shape, tuple):
            output_shape = list(output_shape)
        config = {'function': function, 'function_type': function_type,
                  'output_shape': output_shape, 'output_shape_type': output_shape_type,
                  'arguments': self.arguments}
        if self.mask is not None:
            config['mask'], config['mask_type'] = dump_callable(self.mask, 'Lambda', 'mask')
        return _base_config(self, config)

    @classmethod
    def from_config(cls, config, custom_objects=None, allow_code=False):
        """Rebuild from get_config. A 'function' entry is a name looked up in custom_objects,
        the registered custom objects and the backend. A 'lambda' entry is marshalled Python
        bytecode: loading it runs code from the config, so it is refused unless the caller
        trusts the source and passes allow_code=True (as for Merge)."""
        config = dict(config)
        for key in ('function', 'output_shape', 'mask'):
            kind = config.pop(key + '_type', 'raw')
            if key in config:
                config[key] = load_callable(config[key], kind, key, 'Lambda', config.get('name'),
                                    custom_objects, allow_code)
        return cls(**config)


@register_layer_class
class ActivityRegularization(Layer):
    """Identity that adds l1 * sum|x| + l2 * sum(x^2) to the layer's losses."""

    def __init__(self, l1=0., l2=0., **kwargs):
        self.supports_masking = True
        self.l1 = l1
        self.l2 = l2
        super(ActivityRegularization, self).__init__(**kwargs)
        self.activity_regularizer = regularizers.L1L2Regularizer(l1=l1, l2=l2)

    def get_config(self):
        return _base_config(self, {'l1': self.l1, 'l2': self.l2})


@register_layer_class
class Masking(Layer):
    """Masks the timesteps whose features all equal mask_value (and zeroes them); the output
    mask is (batch, timesteps)."""

    def __init__(self, mask_value=0., **kwargs):
        self.supports_masking = True
        self.mask_value = mask_value
        super(Masking, self).__init__(**kwargs)

    def compute_mask(self, x, input_mask=None):
        return K.any(K.not_equal(x, self.mask_value), axis=-1)

    def call(self, x, mask=None):
        boolean_mask = K.any(K.not_equal(x, self.mask_value), axis=-1, keepdims=True)
        return x * K.cast(boolean_mask, K.floatx())

    def get_config(self):
        return _base_config(self, {'mask_value': self.mask_value})


@register_layer_class
class Highway(_DenseLike):
    """Densely connected highway network: t = sigmoid(x W_carry + b_carry),
    output = activation(x W + b) * t + x * (1 - t). Weights W, W_carry, b, b_carry."""

    def __init__(self, init='glorot_uniform', activation=None, weights=None,
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None, bias=True, input_dim=None, **kwargs):
        if 'transform_bias' in kwargs:
            kwargs.pop('transform_bias')
            warnings.warn('Highway: the `transform_bias` argument is deprecated and ignored '
                          '(as in Keras 1.2.2).')
        self.activation = activations.get(activation)
        self._init_dense(init, weights, W_regularizer, b_regularizer, activity_regularizer,
                         W_constraint, b_constraint, bias, input_dim)
        self.input_spec = [InputSpec(ndim=2)]
        if self.input_dim:
            kwargs['input_shape'] = (self.input_dim,)
        super(Highway, self).__init__(**kwargs)

    def build(self, input_shape):
        input_dim = input_shape[1]
        self.input_spec = [InputSpec(dtype=K.floatx(), shape=(None, input_dim))]
        self.W = self.add_weight((input_dim, input_dim), self.init, name='W',
                                 regularizer=self.W_regularizer, constraint=self.W_constraint)
        self.W_carry = self.add_weight((input_dim, input_dim), self.init, name='W_carry')
        self.b = self.b_carry = None
        if self.bias:
            self.b = self.add_weight((input_dim,), 'zero', name='b',
                                     regularizer=self.b_regularizer,
                                     constraint=self.b_constraint)
            self.b_carry = self.add_weight((input_dim,), 'one', name='b_carry')
        set_initial_weights(self)

    def call(self, x, mask=None):
        y = K.dot(x, self.W_carry)
        if self.bias:
            y = y + self.b_carry
        transform_weight = activations.sigmoid(y)
        y = K.dot(x, self.W)
        if self.bias:
            y = y + self.b
        act = self.activation(y) * transform_weight
        return act + (1 - transform_weight) * x

    def get_config(self):
        config = {'activation': self.activation.__name__}
        config.update(self._dense_config())
        return _base_config(self, config)


@register_layer_class
class MaxoutDense(_DenseLike):
    """max over nb_feature dense maps: W is (nb_feature, input_dim, output_dim), b is
    (nb_feature, output_dim)."""

    def __init__(self, output_dim, nb_feature=4, init='glorot_uniform', weights=None,
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None, bias=True, input_dim=None, **kwargs):
        self.output_dim = output_dim
        self.nb_feature = nb_feature
        self._init_dense(init, weights, W_regularizer, b_regularizer, activity_regularizer,
                         W_constraint, b_constraint, bias, input_dim)
        self.input_spec = [InputSpec(ndim=2)]
        if self.input_dim:
            kwargs['input_shape'] = (self.input_dim,)
        super(MaxoutDense, self).__init__(**kwargs)

    def build(self, input_shape):
        input_dim = input_shape[1]
        self.input_spec = [InputSpec(dtype=K.floatx(), shape=(None, input_dim))]
        self._add_W_b((self.nb_feature, input_dim, self.output_dim),
                      (self.nb_feature, self.output_dim))
        set_initial_weights(self)

    def get_output_shape_for(self, input_shape):
        return (input_shape[0], self.output_dim)

    def call(self, x, mask=None):
        output = K.dot(x, self.W)      # (batch, nb_feature, output_dim), Theano's dot
        if self.bias:
            output = output + self.b
        return K.max(output, axis=1)

    def get_config(self):
        config = {'output_dim': self.output_dim, 'nb_feature': self.nb_feature}
        config.update(self._dense_config())
        return _base_config(self, config)


@register_layer_class
class TimeDistributedDense(_DenseLike):
    """Dense applied to every timestep of a (batch, timesteps, input_dim) input (deprecated in
    Keras 1.2.2 for TimeDistributed(Dense(...))). The mask passes through."""

    def __init__(self, output_dim, init='glorot_uniform', activation=None, weights=None,
                 W_regularizer=None, b_regularizer=None, activity_regularizer=None,
                 W_constraint=None, b_constraint=None, bias=True, input_dim=None,
                 input_length=None, **kwargs):
        warnings.warn('TimeDistributedDense is deprecated, please use '
                      'TimeDistributed(Dense(...)) instead.')
        self.output_dim = output_dim
        self.activation = activations.get(activation)
        self._init_dense(init, weights, W_regularizer, b_regularizer, activity_regularizer,
                         W_constraint, b_constraint, bias, input_dim)
        self.input_length = input_length
        self.supports_masking = True
        self.input_spec = [InputSpec(ndim=3)]
        if self.input_dim:
            kwargs['input_shape'] = (self.input_length, self.input_dim)
        super(TimeDistributedDense, self).__init__(**kwargs)

    def build(self, input_shape):
        input_dim = input_shape[2]
        self.input_spec = [InputSpec(dtype=K.floatx(), shape=(None,) + tuple(input_shape[1:]))]
        self._add_W_b((input_dim, self.output_dim), (self.output_dim,))
        set_initial_weights(self)

    def get_output_shape_for(self, input_shape):
        return (input_shape[0], input_shape[1], self.output_dim)

    def call(self, x, mask=None):
        input_dim = K.int_shape(x)[2]
        y = K.dot(K.reshape(x, (-1, input_dim)), self.W)
        if self.bias:
            y = y + self.b
        timesteps = K.int_shape(x)[1]
        if timesteps is None:
            y = K.reshape(y, K.concatenate([K.shape(x)[:2], np.array([self.output_dim],
                                                                      'int64')]))
        else:
            y = K.reshape(y, (-1, timesteps, self.output_dim))
        return self.activation(y)

    def get_config(self):
        config = {'output_dim': self.output_dim, 'activation': self.activation.__name__}
        config.update(self._dense_config())
        config['input_length'] = self.input_length
        return _base_config(self, config)
