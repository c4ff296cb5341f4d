"""Keras 1.2.2's recurrent layers (`keras.layers.recurrent`): the Recurrent base, SimpleRNN, GRU
and LSTM, and the helper time_distributed_dense.

The loop is K.rnn (Theano semantics: time is axis 1, masked steps carry the previous output
and states). Each cell computes all its gates with one matrix product per step (GRU: two, as
its candidate needs the reset gate first) over ONE fused weight per kind: W (input_dim,
k * output_dim), U (output_dim, k * output_dim), b (k * output_dim,), gates side by side in
Keras' concatenation order (LSTM i, f, c, o; GRU z, r, h). Those fused variables are the
layer's trainable_weights, what the optimizer updates.

`layer.weights` (get_weights / set_weights, weight files, count_params) is what Keras 1.2.2
stores: with consume_less 'gpu' the fused W, U, b themselves; with 'cpu' or 'mem' one weight
per gate and kind, in Keras' order (LSTM W_i, U_i, b_i, W_c, U_c, b_c, W_f, U_f, b_f, W_o,
U_o, b_o; GRU z, r, h triples), each a GateWeight: a view into its block of the fused buffer,
so writing it writes the fused variable and the compiled programs see it.

Keras 1.2.2 facts kept here:
- in 'cpu' / 'mem' mode the per-gate recurrent matrices U_* are initialised with `init` (not
  `inner_init`) and penalised by W_regularizer (not U_regularizer); the per-gate values are
  drawn in Keras' creation order (gate by gate: W, U, b), so a seeded numpy generator gives
  Keras' initial weights;
- 'cpu' projects the inputs of all time steps before the loop (one product); 'mem' and 'gpu'
  project inside the step;
- dropout masks are drawn once per batch, outside the loop, and reused at every step. 'gpu'
  uses one mask for all gates, 'cpu' / 'mem' one mask per gate (then the gates' products are
  computed block by block in training); LSTM and GRU drop inputs in every mode, SimpleRNN only
  with consume_less='cpu' (Keras 1.2.2 made its input mask in 'cpu' mode only, where the step
  does not use it, so dropout_W does nothing in 'mem' / 'gpu').
"""
import numpy as np

from .. import activations
from .. import backend as K
from .. import initializations
from .. import regularizers
from ..backend.graph import Tensor
from ..backend.variables import Storage
from ..engine.topology import InputSpec, Layer, register_layer_class
from .core import config_of, set_initial_weights
from .pooling import positive_int

__all__ = ['Recurrent', 'SimpleRNN', 'GRU', 'LSTM', 'time_distributed_dense', 'GateWeight']

_CONSUME_LESS = ('cpu', 'mem', 'gpu')


class GateWeight(K.Variable):
    """One gate's block of a fused weight variable, as Keras stores it: reading it, writing it
    (set_value, set_weights, load_weights) and its shape are those of the block; in a graph it
    is the slice fused[index], so a gradient reaches the fused variable. It is not a variable
    of its own: updates (K.update) go to the fused variable."""

    def __init__(self, fused, index, name):
        Tensor.__init__(self, fused[index].node, name)
        self.fused, self.index = fused, index
        self.storage = Storage(fused.storage.array[index], name)
        self._keras_shape = self.storage.array.shape
        self._uses_learning_phase = False


def time_distributed_dense(x, w, b=None, dropout=None, input_dim=None, output_dim=None,
                           timesteps=None):
    """x (samples, timesteps, input_dim) . w + b at every time step, as one matrix product.
    With 0 < dropout < 1, in training x is multiplied by one dropout mask per sample, the
    same at every time step. input_dim, output_dim and timesteps are accepted for Keras 1
    compatibility; the shapes come from x and w."""
    if dropout is not None and 0. < dropout < 1.:
        mask = K.dropout(K.ones_like(x[:, 0, :]), dropout)
        x = K.in_train_phase(x * K.expand_dims(mask, 1), x)
    y = K.dot(x, w)
    return y if b is None else y + b


def _block(t, k, n):
    """Gate k's block (width n) of the last axis of a fused 1-D or 2-D tensor."""
    return t[..., k * n:(k + 1) * n]


def _gate_product(x, kernel, masks, n):
    """x . kernel for a fused kernel: one product when every gate sees the same x (no mask,
    or one mask shared by the gates), else one product per gate block of x * masks[k]."""
    if not masks:
        return K.dot(x, kernel)
    if len(masks) == 1:
        return K.dot(x * masks[0], kernel)
    return K.concatenate([K.dot(x * m, _block(kernel, k, n)) for k, m in enumerate(masks)],
                         axis=-1)


def _dropout_masks(x, dim, level, count):
    """`count` dropout masks (samples, dim) for one batch (ones at test time)."""
    ones = K.tile(K.ones_like(K.reshape(x[:, 0, 0], (-1, 1))), (1, dim))
    return [K.in_train_phase(K.dropout(ones, level), ones) for _ in range(count)]


def lstm_bias_init(layer, gate):
    """An LSTM's bias initialiser for a gate: forget_bias_init for the forget gate."""
    return layer.forget_bias_init if gate == 'f' else initializations.get('zero')


def lstm_update(layer, gate, c_tm1):
    """Keras 1.2.2's LSTM update, (h, [h, c]), from gate(j), the pre-activations of the
    gates i, f, c, o (j = 0..3), and the previous cell state."""
    i = layer.inner_activation(gate(0))
    f = layer.inner_activation(gate(1))
    c = f * c_tm1 + i * layer.activation(gate(2))
    o = layer.inner_activation(gate(3))
    h = o * layer.activation(c)
    return h, [h, c]


class Recurrent(Layer):
    """Base of the recurrent layers (Keras 1.2.2): input (samples, timesteps, input_dim),
    output (samples, output_dim), or (samples, timesteps, output_dim) with return_sequences.

    go_backwards reads the sequence from its end (the sequence output is in processing order);
    unroll expands the loop in the graph (the time length must be known); consume_less chooses
    the weight layout and where the inputs are projected (see the module doc). stateful keeps
    the last states of each batch as the initial states of the next: it needs a fixed batch
    size (batch_input_shape / Input(batch_shape=...)), the states are variables updated by the
    layer's updates (run by fit, evaluate and predict), and reset_states() zeroes them.
    Subclasses define build (calling _build_weights), step, and their gate layout."""

    gates = ('h',)          # gate blocks of the fused weights, in their order there
    saved_gates = ('h',)    # the order Keras lists the per-gate weights in
    nb_states = 1

    def __init__(self, weights=None, return_sequences=False, go_backwards=False,
                 stateful=False, unroll=False, consume_less='cpu', input_dim=None,
                 input_length=None, **kwargs):
        if consume_less not in _CONSUME_LESS:
            raise ValueError("%s: consume_less must be one of 'cpu', 'mem', 'gpu'; got %r"
                             % (self.__class__.__name__, consume_less))
        self.return_sequences = return_sequences
        self.initial_weights = weights
        self.go_backwards = go_backwards
        self.stateful = stateful
        self.unroll = unroll
        self.consume_less = consume_less
        self.supports_masking = True
        self.input_spec = [InputSpec(ndim=3)]
        self.input_dim = input_dim
        self.input_length = input_length
        self._keras_weights = []
        if self.input_dim:
            kwargs['input_shape'] = (self.input_length, self.input_dim)
        super(Recurrent, self).__init__(**kwargs)

    # ---------------------------------------------------------------- weights

    @property
    def weights(self):
        """The weights as Keras 1.2.2 lists and saves them (per-gate views in 'cpu' / 'mem'
        mode); trainable_weights holds the fused variables."""
        return list(self._keras_weights) + self._non_trainable_weights

    def _per_gate(self):
        return self.consume_less != 'gpu' and len(self.gates) > 1

    def _gate_bias_init(self, gate):
        return initializations.get('zero')

    def _per_gate_U(self):
        """(initialization, regularizer) of a per-gate U_*: Keras 1.2.2's LSTM and GRU use
        init and W_regularizer there (its quirk)."""
        return self.init, self.W_regularizer

    def _build_weights(self, W_shape, U_shape, axis=-1):
        """Create the fused W, U, b (self.W, self.U, self.b): k gates of one gate's W_shape,
        U_shape and (output_dim,) side by side along `axis`. In per-gate mode ('cpu' / 'mem')
        each gate's blocks are initialised and penalised as Keras 1.2.2's per-gate weights
        and exposed as GateWeights (self.W_i, self.U_i, ... and self.weights)."""
        n, k = self.output_dim, len(self.gates)
        widen = lambda shape: tuple(d * k if j == axis % len(shape) else d      # noqa: E731
                                    for j, d in enumerate(shape))
        if not self._per_gate():
            self.W = self.add_weight(widen(W_shape), self.init, name='W',
                                     regularizer=self.W_regularizer)
            self.U = self.add_weight(widen(U_shape), self.inner_init, name='U',
                                     regularizer=self.U_regularizer)
            self.b = self.add_weight((k * n,), self._fused_bias_init, name='b',
                                     regularizer=self.b_regularizer)
            self._keras_weights = [self.W, self.U, self.b]
            return
        U_init, U_regularizer = self._per_gate_U()
        kinds = (('W', W_shape, axis, self.W_regularizer), ('U', U_shape, axis, U_regularizer),
                 ('b', (n,), -1, self.b_regularizer))
        values = {'W': [], 'U': [], 'b': []}
        for gate in self.gates:     # Keras' creation order: its random draws come in this order
            values['W'].append(K.get_value(self.init(W_shape)))
            values['U'].append(K.get_value(U_init(U_shape)))
            values['b'].append(K.get_value(self._gate_bias_init(gate)((n,))))
        fused, blocks = {}, {}
        for kind, shape, ax, regularizer in kinds:
            var = K.variable(np.concatenate(values[kind], axis=ax),
                             name='%s_%s' % (self.name, kind))
            self._trainable_weights.append(var)
            ax = ax % len(shape)
            blocks[kind] = [(slice(None),) * ax + (slice(j * shape[ax], (j + 1) * shape[ax]),)
                            for j in range(k)]
            regularizer = regularizers.get(regularizer)
            if regularizer is not None:
                for index in blocks[kind]:
                    self.add_loss(regularizer(var[index]))
            fused[kind] = var
        self.W, self.U, self.b = fused['W'], fused['U'], fused['b']
        self._keras_weights = []
        for gate in self.saved_gates:
            j = self.gates.index(gate)
            for kind in ('W', 'U', 'b'):
                view = GateWeight(fused[kind], blocks[kind][j],
                                  '%s_%s_%s' % (self.name, kind, gate))
                setattr(self, '%s_%s' % (kind, gate), view)
                self._keras_weights.append(view)

    def _fused_bias_init(self, shape, name=None):
        n = self.output_dim
        return K.variable(np.concatenate([K.get_value(self._gate_bias_init(g)((n,)))
                                          for g in self.gates]), name=name)

    def _weight_layout(self, input_shape):
        """(W_shape, U_shape, gate axis) of one gate for this input shape."""
        self.input_dim = input_shape[2]
        if self.input_dim is None:
            raise ValueError('%s %s: the input dimension (last axis) must be known; got input '
                             'shape %s' % (self.__class__.__name__, self.name, input_shape))
        n = self.output_dim
        return (self.input_dim, n), (n, n), -1

    def build(self, input_shape):
        self.input_spec = [InputSpec(shape=input_shape)]
        layout = self._weight_layout(input_shape)
        if self.stateful:
            self.reset_states()
        else:
            self.states = [None] * self.nb_states
        self._build_weights(*layout)
        set_initial_weights(self)
        self.built = True

    # ---------------------------------------------------------------- states

    def reset_states(self):
        """Zero the states of a stateful layer (creating them, on its first build)."""
        if not self.stateful:
            raise AssertionError('Layer must be stateful (layer %s).' % self.name)
        input_shape = tuple(self.input_spec[0].shape)
        if not input_shape[0]:
            raise ValueError(
                'If a RNN is stateful, it needs to know its batch size (layer %s, input shape '
                '%s). Give the batch size of your input tensors: in a Sequential model, pass a '
                '`batch_input_shape` argument to the first layer; in the functional API, pass '
                'a `batch_shape` argument to the Input layer.' % (self.name, input_shape))
        zeros = np.zeros(self._state_shape(input_shape))
        if getattr(self, 'states', None) and self.states[0] is not None:
            for state in self.states:
                K.set_value(state, zeros)
        else:
            count = len(getattr(self, 'states', None) or [None] * self.nb_states)
            self.states = [K.variable(zeros) for _ in range(count)]

    def _state_shape(self, input_shape):
        return (input_shape[0], self.output_dim)

    def get_initial_states(self, x):
        """All-zero states (samples, output_dim), one per entry of self.states (which build
        sets, as Keras 1.2.2's subclasses do)."""
        zeros = K.zeros_like(K.reshape(x[:, 0, 0], (-1, 1)))
        count = len(self.states) if getattr(self, 'states', None) else self.nb_states
        return [K.tile(zeros, (1, self.output_dim)) for _ in range(count)]

    # ---------------------------------------------------------------- the loop

    def get_output_shape_for(self, input_shape):
        if self.return_sequences:
            return (input_shape[0], input_shape[1], self.output_dim)
        return (input_shape[0], self.output_dim)

    def compute_mask(self, x, mask=None):
        return mask if self.return_sequences else None

    def get_constants(self, x):
        """The tensors every step reads (appended to the states): the dropout masks."""
        return []

    def preprocess_input(self, x):
        return x

    def step(self, x, states):
        """One time step: (output, new states) from the step's input and states + constants."""
        raise TypeError('%s: Recurrent is an abstract base; use SimpleRNN, GRU or LSTM, or '
                        'a subclass that defines step()' % self.name)

    def call(self, x, mask=None):
        input_shape = K.int_shape(x)
        if self.unroll and input_shape[1] is None:
            raise ValueError(
                'Cannot unroll a RNN if the time dimension is undefined (layer %s, input shape '
                '%s). In a Sequential model, give the time dimension with an `input_shape` or '
                '`batch_input_shape` argument to the first layer (an Embedding also takes '
                '`input_length`); in the functional API, with the `shape` or `batch_shape` of '
                'the Input layer.' % (self.name, input_shape))
        initial_states = self.states if self.stateful else self.get_initial_states(x)
        constants = self.get_constants(x)
        last_output, outputs, states = K.rnn(self.step, self.preprocess_input(x),
                                             initial_states, go_backwards=self.go_backwards,
                                             mask=mask, constants=constants,
                                             unroll=self.unroll, input_length=input_shape[1])
        if self.stateful:
            self.add_update([K.update(s, new) for s, new in zip(self.states, states)], x)
        return outputs if self.return_sequences else last_output

    def get_config(self):
        config = {'return_sequences': self.return_sequences, 'go_backwards': self.go_backwards,
                  'stateful': self.stateful, 'unroll': self.unroll,
                  'consume_less': self.consume_less}
        if self.stateful and self.input_spec[0].shape:
            config['batch_input_shape'] = tuple(self.input_spec[0].shape)
        else:
            config['input_dim'] = self.input_dim
            config['input_length'] = self.input_length
        base = super(Recurrent, self).get_config()
        base.update(config)
        return base

    def _init_cell(self, output_dim, init, inner_init, activation, W_regularizer,
                   U_regularizer, b_regularizer, dropout_W, dropout_U):
        output_dim = positive_int(self.__class__.__name__, 'output_dim', output_dim)
        for what, p in (('dropout_W', dropout_W), ('dropout_U', dropout_U)):
            if not 0. <= p < 1.:
                raise ValueError('%s: %s must be in [0, 1); got %r'
                                 % (self.__class__.__name__, what, p))
        self.output_dim = output_dim
        self.init = initializations.get(init)
        self.inner_init = initializations.get(inner_init)
        self.activation = activations.get(activation)
        self.W_regularizer = regularizers.get(W_regularizer)
        self.U_regularizer = regularizers.get(U_regularizer)
        self.b_regularizer = regularizers.get(b_regularizer)
        self.dropout_W, self.dropout_U = dropout_W, dropout_U
        if self.dropout_W or self.dropout_U:
            self.uses_learning_phase = True


class _GatedRecurrent(Recurrent):
    """The arguments SimpleRNN, GRU and LSTM share, their dropout masks and configs."""

    def _mask_counts(self):
        """(masks on the recurrent input, masks on the step input): one per gate in 'cpu' /
        'mem' mode, one shared in 'gpu' mode; none on the step input in 'cpu' mode, where
        the inputs are projected (and dropped) before the loop."""
        per_mode = 1 if self.consume_less == 'gpu' else len(self.gates)
        u = per_mode if 0. < self.dropout_U < 1. else 0
        w = per_mode if 0. < self.dropout_W < 1. and self.consume_less != 'cpu' else 0
        return u, w

    def get_constants(self, x):
        u, w = self._mask_counts()
        return (_dropout_masks(x, self.output_dim, self.dropout_U, u) +
                _dropout_masks(x, K.int_shape(x)[-1], self.dropout_W, w))

    def _step_masks(self, states):
        """(recurrent masks, input masks) from a step's states + constants."""
        u, w = self._mask_counts()
        constants = states[self.nb_states:]
        return constants[:u], constants[u:u + w]

    def preprocess_input(self, x):
        """'cpu' mode: x . W + b for all time steps at once. With input dropout, in training
        every gate block sees x under its own mask (Keras projected gate by gate)."""
        if self.consume_less != 'cpu':
            return x
        if not 0. < self.dropout_W < 1. or len(self.gates) == 1:
            return time_distributed_dense(x, self.W, self.b, self.dropout_W)
        n = self.output_dim
        blocks = [time_distributed_dense(x, _block(self.W, k, n), _block(self.b, k, n),
                                         self.dropout_W) for k in range(len(self.gates))]
        return K.in_train_phase(K.concatenate(blocks, axis=2),
                                time_distributed_dense(x, self.W, self.b))

    def _input_projection(self, x, masks):
        """The step input projected on the gates ('mem' / 'gpu'), or as preprocessed ('cpu')."""
        if self.consume_less == 'cpu':
            return x
        return _gate_product(x, self.W, masks, self.output_dim) + self.b

    def get_config(self):
        config = {'output_dim': self.output_dim, 'init': self.init.__name__,
                  'inner_init': self.inner_init.__name__}
        config.update(self._extra_config())
        config.update({'W_regularizer': config_of(self.W_regularizer),
                       'U_regularizer': config_of(self.U_regularizer),
                       'b_regularizer': config_of(self.b_regularizer),
                       'dropout_W': self.dropout_W, 'dropout_U': self.dropout_U})
        base = super(_GatedRecurrent, self).get_config()
        base.update(config)
        return base

    def _extra_config(self):
        return {'activation': self.activation.__name__}


@register_layer_class
class SimpleRNN(_GatedRecurrent):
    """output_t = activation(x_t . W + b + output_{t-1} . U). Weights W (input_dim,
    output_dim), U (output_dim, output_dim), b (output_dim,) in every consume_less mode."""

    def __init__(self, output_dim, init='glorot_uniform', inner_init='orthogonal',
                 activation='tanh', W_regularizer=None, U_regularizer=None,
                 b_regularizer=None, dropout_W=0., dropout_U=0., **kwargs):
        self._init_cell(output_dim, init, inner_init, activation, W_regularizer,
                        U_regularizer, b_regularizer, dropout_W, dropout_U)
        super(SimpleRNN, self).__init__(**kwargs)

    def _mask_counts(self):
        return (1 if 0. < self.dropout_U < 1. else 0), 0

    def step(self, x, states):
        prev_output = states[0]
        mask_U, _ = self._step_masks(states)
        h = self._input_projection(x, None)
        output = self.activation(h + _gate_product(prev_output, self.U, mask_U,
                                                   self.output_dim))
        return output, [output]


@register_layer_class
class GRU(_GatedRecurrent):
    """Gated Recurrent Unit (Cho et al. 2014), Keras 1.2.2's form:
    z = inner_activation(x W_z + h U_z + b_z), r = inner_activation(x W_r + h U_r + b_r),
    hh = activation(x W_h + (r * h) U_h + b_h), h' = z * h + (1 - z) * hh.
    Gates z, r, h: per-gate weights W_z, U_z, b_z, W_r, ... in 'cpu' / 'mem' mode, fused W, U,
    b (gates z, r, h) in 'gpu' mode. Per step: one product for z and r, one for hh."""
    gates = ('z', 'r', 'h')
    saved_gates = ('z', 'r', 'h')

    def __init__(self, output_dim, init='glorot_uniform', inner_init='orthogonal',
                 activation='tanh', inner_activation='hard_sigmoid', W_regularizer=None,
                 U_regularizer=None, b_regularizer=None, dropout_W=0., dropout_U=0., **kwargs):
        self._init_cell(output_dim, init, inner_init, activation, W_regularizer,
                        U_regularizer, b_regularizer, dropout_W, dropout_U)
        self.inner_activation = activations.get(inner_activation)
        super(GRU, self).__init__(**kwargs)

    def step(self, x, states):
        h_tm1 = states[0]
        mask_U, mask_W = self._step_masks(states)
        n = self.output_dim
        x_proj = self._input_projection(x, mask_W)
        inner_zr = _gate_product(h_tm1, self.U[:, :2 * n], mask_U[:2], n)
        zr = self.inner_activation(x_proj[:, :2 * n] + inner_zr)
        z, r = zr[:, :n], zr[:, n:]
        mask_h = mask_U[-1:]      # 'gpu': the shared mask; 'cpu' / 'mem': gate h's own
        inner_h = _gate_product(r * h_tm1, self.U[:, 2 * n:], mask_h, n)
        hh = self.activation(x_proj[:, 2 * n:] + inner_h)
        h = z * h_tm1 + (1. - z) * hh
        return h, [h]

    def _extra_config(self):
        return {'activation': self.activation.__name__,
                'inner_activation': self.inner_activation.__name__}


@register_layer_class
class LSTM(_GatedRecurrent):
    """Long short-term memory (Hochreiter & Schmidhuber 1997), Keras 1.2.2's form:
    i, f, o = inner_activation(x W_g + h U_g + b_g), c' = f * c + i * activation(x W_c + h U_c
    + b_c), h' = o * activation(c'). States [h, c]. The forget bias starts at
    forget_bias_init ('one'). Weights: per gate in 'cpu' / 'mem' mode, listed i, c, f, o
    (W_i, U_i, b_i, W_c, ...); fused W, U, b with gates i, f, c, o in 'gpu' mode."""
    gates = ('i', 'f', 'c', 'o')
    saved_gates = ('i', 'c', 'f', 'o')
    nb_states = 2

    def __init__(self, output_dim, init='glorot_uniform', inner_init='orthogonal',
                 forget_bias_init='one', activation='tanh', inner_activation='hard_sigmoid',
                 W_regularizer=None, U_regularizer=None, b_regularizer=None, dropout_W=0.,
                 dropout_U=0., **kwargs):
        self._init_cell(output_dim, init, inner_init, activation, W_regularizer,
                        U_regularizer, b_regularizer, dropout_W, dropout_U)
        self.forget_bias_init = initializations.get(forget_bias_init)
        self.inner_activation = activations.get(inner_activation)
        super(LSTM, self).__init__(**kwargs)

    def _gate_bias_init(self, gate):
        return lstm_bias_init(self, gate)

    def step(self, x, states):
        h_tm1, c_tm1 = states[0], states[1]
        mask_U, mask_W = self._step_masks(states)
        n = self.output_dim
        z = self._input_projection(x, mask_W) + _gate_product(h_tm1, self.U, mask_U, n)
        return lstm_update(self, lambda j: z[:, j * n:(j + 1) * n], c_tm1)

    def _extra_config(self):
        return {'forget_bias_init': self.forget_bias_init.__name__,
                'activation': self.activation.__name__,
                'inner_activation': self.inner_activation.__name__}
