"""Keras 1.2.2's layer wrappers (`keras.layers.wrappers`): Wrapper, TimeDistributed and
Bidirectional.

A wrapper owns no weights of its own: its weights, trainable or not, its constraints, losses
and updates are those of the layer(s) it wraps, so a weight file stores them in the wrapper's
group under the inner layers' names (e.g. `timedistributed_1/dense_1_W`).
"""
from .. import backend as K
from ..engine.topology import InputSpec, Layer, _unique, layer_from_config, \
    register_layer_class

__all__ = ['Wrapper', 'TimeDistributed', 'Bidirectional']


class Wrapper(Layer):
    """Base of the wrappers: `layer` is the wrapped layer. Subclasses build it in build()
    and apply its `call` in their own."""

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError('%s: expected a Layer instance to wrap; got %r'
                            % (self.__class__.__name__, layer))
        self.layer = layer
        self.uses_learning_phase = layer.uses_learning_phase
        super(Wrapper, self).__init__(**kwargs)

    def _inner_layers(self):
        """The wrapped layers, in the order of their weights."""
        return [self.layer]

    # ---------------------------------------------------------------- what the inner layers own

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return [w for layer in self._inner_layers() for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        weights = [w for layer in self._inner_layers() for w in layer.non_trainable_weights]
        if self.trainable:
            return weights
        return [w for layer in self._inner_layers() for w in layer.trainable_weights] + weights

    @property
    def weights(self):
        """The inner layers' weights as they list (and save) them."""
        return [w for layer in self._inner_layers() for w in layer.weights]

    @property
    def constraints(self):
        merged = {}
        for layer in self._inner_layers():
            merged.update(layer.constraints)
        return merged

    @property
    def updates(self):
        return _unique(self._updates + [u for layer in self._inner_layers()
                                        for u in layer.updates])

    @property
    def losses(self):
        return _unique(self._losses + [l for layer in self._inner_layers()
                                       for l in layer.losses])

    def get_updates_for(self, inputs):
        """The updates of the calls on `inputs`; for None, also the inner layers' own
        unconditional ones."""
        own = super(Wrapper, self).get_updates_for(inputs)
        if inputs is not None:
            return own
        return _unique(own + [u for layer in self._inner_layers()
                              for u in layer.get_updates_for(None)])

    def get_losses_for(self, inputs):
        """As get_updates_for, for losses (weight penalties are the inner layers' own)."""
        own = super(Wrapper, self).get_losses_for(inputs)
        if inputs is not None:
            return own
        return _unique(own + [l for layer in self._inner_layers()
                              for l in layer.get_losses_for(None)])

    def _call_inner(self, layer, inner_x, x, mask=None):
        """layer.call(inner_x); the updates and losses the call files under inner_x are
        filed under the wrapper's input x, where a container looks for them."""
        output = layer.call(inner_x, mask)
        self.add_update(layer.get_updates_for(inner_x), x)
        self.add_loss(layer.get_losses_for(inner_x), x)
        return output

    # ---------------------------------------------------------------- config

    def get_config(self):
        config = super(Wrapper, self).get_config()
        config['layer'] = {'class_name': self.layer.__class__.__name__,
                           'config': self.layer.get_config()}
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, allow_code=False):
        """The wrapped layer is rebuilt by layer_from_config (custom_objects and allow_code
        are passed on, e.g. for a wrapped Lambda)."""
        config = dict(config)
        layer = layer_from_config(config.pop('layer'), custom_objects, allow_code)
        return cls(layer, **config)


def _dims(x, static):
    """The dimensions of x: the known ones as ints, the others as 0-d tensors."""
    return tuple(d if d is not None else K.shape(x)[i] for i, d in enumerate(static))


@register_layer_class
class TimeDistributed(Wrapper):
    """Apply `layer` to every time step (axis 1) of an input of at least 3 dimensions, with
    the same weights at every step: input (samples, timesteps, ...), the inner layer sees
    (samples, ...). As in Keras 1.2.2, with a batch size fixed by the input shape (the inner
    layer may depend on it, e.g. a stateful one) the layer runs once per step in K.rnn;
    otherwise the time axis is folded into the batch and the layer runs once on
    (samples * timesteps, ...). The input mask passes through unchanged; the inner layer
    sees no mask. The inner layer's activity regularizer applies to the whole output."""

    def __init__(self, layer, **kwargs):
        self.supports_masking = True
        super(TimeDistributed, self).__init__(layer, **kwargs)

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError('TimeDistributed %s: the input needs at least 3 dimensions '
                             '(samples, timesteps, ...); got shape %s'
                             % (self.name, input_shape))
        self.input_spec = [InputSpec(shape=input_shape)]
        if not self.layer.built:
            self.layer.build(self._child_shape(input_shape))
            self.layer.built = True
        self.built = True

    @staticmethod
    def _child_shape(input_shape):
        return (input_shape[0],) + tuple(input_shape[2:])

    def get_output_shape_for(self, input_shape):
        child = self.layer.get_output_shape_for(self._child_shape(input_shape))
        return (child[0], input_shape[1]) + tuple(child[1:])

    def call(self, x, mask=None):
        input_shape = K.int_shape(x)
        if self.input_spec[0].shape[0]:
            # A fixed batch size may matter to the inner layer: one call per time step.
            def step(x_t, states):
                y_t = self.layer.call(x_t)
                if self.layer.get_updates_for(x_t) or self.layer.get_losses_for(x_t):
                    raise ValueError(
                        '%s: with a fixed batch size, TimeDistributed calls %s once per time '
                        'step inside a loop, where the updates and losses that layer adds for '
                        'its input (moving averages, activity penalties) cannot be applied. '
                        'Leave the batch size free (input_shape instead of batch_input_shape).'
                        % (self.name, self.layer.name))
                return y_t, []
            _, y, _ = K.rnn(step, x, initial_states=[], input_length=input_shape[1])
        else:
            dims = _dims(x, input_shape)
            inner = self._call_inner(self.layer, K.reshape(x, (-1,) + dims[2:]), x)
            out = _dims(inner, K.int_shape(inner))
            y = K.reshape(inner, (-1, dims[1]) + out[1:])
        regularizer = getattr(self.layer, 'activity_regularizer', None)
        if regularizer is not None:
            self.add_loss(regularizer(y), x)
        return y


_MERGE_MODES = ('sum', 'mul', 'ave', 'concat', None)


@register_layer_class
class Bidirectional(Wrapper):
    """A recurrent layer run over the sequence in both directions: `layer` (renamed
    forward_<name>) reads it from the start, a copy of it made from its config with
    go_backwards flipped (named backward_<name>) from the end. With return_sequences the
    backward outputs are reversed back into time order. merge_mode joins the two outputs:
    'concat' (last axis), 'sum', 'mul', 'ave', or None (a list of the two). `weights`: the
    forward layer's weights followed by the backward layer's. Both sub-layers see the input
    mask; the output mask is the input mask with return_sequences (one per output with
    merge_mode None), else None."""

    def __init__(self, layer, merge_mode='concat', weights=None, **kwargs):
        if merge_mode not in _MERGE_MODES:
            raise ValueError('Bidirectional: invalid merge mode %r; merge mode should be one '
                             'of "sum", "mul", "ave", "concat", None' % (merge_mode,))
        config = layer.get_config()
        if 'go_backwards' not in config:
            raise TypeError('Bidirectional: the wrapped layer must be a recurrent layer (with '
                            'go_backwards); got %s %s' % (layer.__class__.__name__,
                                                          layer.name))
        config['go_backwards'] = not config['go_backwards']
        self.forward_layer = layer
        self.backward_layer = layer.__class__.from_config(config)
        self.forward_layer.name = 'forward_' + layer.name
        self.backward_layer.name = 'backward_' + self.backward_layer.name
        self.merge_mode = merge_mode
        if weights:
            half = len(weights) // 2
            self.forward_layer.initial_weights = weights[:half]
            self.backward_layer.initial_weights = weights[half:]
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.supports_masking = True
        super(Bidirectional, self).__init__(layer, **kwargs)

    def _inner_layers(self):
        return [self.forward_layer, self.backward_layer]

    def build(self, input_shape):
        self.forward_layer.build(input_shape)
        self.backward_layer.build(input_shape)
        self.built = True

    def get_output_shape_for(self, input_shape):
        shape = self.forward_layer.get_output_shape_for(input_shape)
        if self.merge_mode == 'concat':
            last = shape[-1] * 2 if shape[-1] is not None else None
            return tuple(shape[:-1]) + (last,)
        if self.merge_mode is None:
            return [shape, shape]
        return shape

    def call(self, x, mask=None):
        y = self._call_inner(self.forward_layer, x, x, mask)
        y_rev = self._call_inner(self.backward_layer, x, x, mask)
        if self.return_sequences:
            y_rev = K.reverse(y_rev, 1)
        if self.merge_mode == 'concat':
            return K.concatenate([y, y_rev], axis=-1)
        if self.merge_mode == 'sum':
            return y + y_rev
        if self.merge_mode == 'ave':
            return (y + y_rev) / 2
        if self.merge_mode == 'mul':
            return y * y_rev
        return [y, y_rev]

    def compute_mask(self, x, mask=None):
        outputs = 2 if self.merge_mode is None else 1
        kept = mask if self.return_sequences else None
        return [kept] * outputs if outputs > 1 else kept

    def reset_states(self):
        self.forward_layer.reset_states()
        self.backward_layer.reset_states()

    def get_config(self):
        config = super(Bidirectional, self).get_config()
        config['merge_mode'] = self.merge_mode
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, allow_code=False):
        """As Wrapper.from_config. The saved layer config is the forward layer's, named
        forward_<name>: the prefix is dropped before it is wrapped again (Keras 1.2.2 would
        prefix it twice), so a round trip keeps the sub-layers' and weights' names."""
        config = dict(config)
        layer_config = dict(config['layer'], config=dict(config['layer']['config']))
        name = layer_config['config'].get('name') or ''
        if name.startswith('forward_'):
            layer_config['config']['name'] = name[len('forward_'):]
        config['layer'] = layer_config
        return super(Bidirectional, cls).from_config(config, custom_objects, allow_code)
