"""Control: the learning-phase choice (in_train_phase / in_test_phase), stop_gradient,
print_tensor, and the update-pair helpers of the Keras 1 API."""

from .. import variables
from ..graph import Op, ShapeError, Tensor, is_float, make
from .broadcast import zeros_like
from .elementwise import branches, broadcast_shape

__all__ = ['in_train_phase', 'in_test_phase', 'stop_gradient', 'print_tensor', 'update',
           'update_add', 'update_sub', 'moving_average_update']


# ----------------------------------------------------------------------------- learning phase

class InTrainPhase(Op):
    """Theano's ifelse on the learning phase: x when it is 1, alt when it is 0. Programs are
    specialised on the learning phase's value, so the branch is chosen then (forward) and the
    other branch is never computed."""
    static_inputs = (0,)

    def infer(self, ins):
        _, x, alt = ins
        if x.dtype != alt.dtype:
            raise ShapeError('x is %s but alt is %s' % (x.dtype, alt.dtype))
        if len(x.shape) != len(alt.shape):
            raise ShapeError('x has shape %s but alt has shape %s; the branches must have the '
                             'same number of dimensions' % (x.shape, alt.shape))
        try:
            broadcast_shape(x.shape, alt.shape)
        except ShapeError:
            raise ShapeError('x has shape %s but alt has shape %s' % (x.shape, alt.shape)) from None
        return x.dtype, tuple(a if a == b else None for a, b in zip(x.shape, alt.shape))

    def ref(self, phase, x, alt):
        return x if phase else alt

    def forward(self, ins):
        phase = ins[0].value
        return None if phase is None else (1 if phase else 2)

    def grad(self, ins, out, g):
        phase, x, alt = ins
        if not is_float(x.dtype):
            return [None, None, None]
        # The gradient goes to the branch chosen at specialisation; the other one gets zeros.
        return [None, make(InTrainPhase(), phase, g, zeros_like(x)),
                make(InTrainPhase(), phase, zeros_like(alt), g)]


def _fixed_phase():
    """0 or 1 if K.set_learning_phase fixed the learning phase, else None."""
    phase = variables.learning_phase()
    return None if isinstance(phase, Tensor) else phase


def _if_training(train, test):
    """The InTrainPhase tensor of two branches (callables are called first), in one dtype."""
    out = make(InTrainPhase(), variables.learning_phase(), *branches(train, test))
    out._uses_learning_phase = True
    return out


def _resolve(branch):
    return branch() if callable(branch) else branch


def in_train_phase(x, alt):
    """x in the training phase, alt in the test phase (either may be a callable)."""
    phase = _fixed_phase()
    if phase is not None:
        return _resolve(x if phase else alt)
    return _if_training(x, alt)


def in_test_phase(x, alt):
    """x in the test phase, alt in the training phase (either may be a callable)."""
    phase = _fixed_phase()
    if phase is not None:
        return _resolve(alt if phase else x)
    return _if_training(alt, x)


# ----------------------------------------------------------------------------- identities

class StopGradient(Op):
    """x, through which no gradient flows (Theano's disconnected_grad)."""

    def infer(self, ins):
        return ins[0].dtype, ins[0].shape

    def ref(self, x):
        return x

    def forward(self, ins):
        return 0

    def grad(self, ins, out, g):
        return [None]


def stop_gradient(x):
    return make(StopGradient(), x)


class Print(Op):
    """x, printed as `message __str__ = value` (Theano's Print) each time it is computed.
    Impure, so it is never folded or merged with another print of the same tensor."""
    pure = False

    def __init__(self, message):
        self.message = message

    def infer(self, ins):
        return ins[0].dtype, ins[0].shape

    def ref(self, x):
        return x

    def grad(self, ins, out, g):
        return [g]

    def show(self, value):
        print(self.message, '__str__', '=', value)

    def lower(self, ins, out, L):
        L.emit('copy', [ins[0].buf, out.buf], [out.nbytes])
        L.callback(self.show, out)


def print_tensor(x, message=''):
    """x unchanged; prints `message __str__ = <value>` whenever it is evaluated."""
    return make(Print(str(message)), x)


# ----------------------------------------------------------------------------- updates

def update(x, new_x):
    return (x, new_x)


def update_add(x, increment):
    return (x, x + increment)


def update_sub(x, decrement):
    return (x, x - decrement)


def moving_average_update(variable, value, momentum):
    return (variable, variable * momentum + value * (1.0 - momentum))
