"""Optimizers (Keras 1.2.2 `keras.optimizers`).

An optimizer turns a loss and a list of parameters into updates, a list of
(variable, new value) pairs that K.function applies after each step. Hyper-parameters that
Keras 1.2.2 keeps in backend variables (lr, decay, momentum, rho of RMSprop, beta_1, beta_2)
are variables here too, so `K.set_value(opt.lr, x)` changes an already compiled step; the
others (epsilon, rho of Adadelta, schedule_decay, nesterov) are plain Python values, as there.

`weights` lists the optimizer's state in the order Keras 1.2.2 saves it as `optimizer_weights`
in model files; it exists once get_updates has run (slots are created there, one per parameter,
with the parameter's shape).
"""
import numpy as np

from . import backend as K
from .utils.generic_utils import check_number, get_custom_objects, get_from_module


def clip_norm(g, c, n):
    """g rescaled by c / n where the global norm n is at least c (Keras 1.2.2's rule)."""
    if c > 0:
        g = K.switch(n >= c, g * c / n, g)
    return g


def kl_divergence(p, p_hat):
    """The Keras 0.3 helper: elementwise p_hat - p + p log(p / p_hat)."""
    return p_hat - p + p * K.log(p / p_hat)


class Optimizer(object):
    """Base class. Keyword arguments: clipnorm (rescale all gradients together when their
    global L2 norm exceeds it) and clipvalue (clip each gradient element to
    [-clipvalue, clipvalue]); either is off when absent or <= 0."""

    def __init__(self, **kwargs):
        allowed_kwargs = ('clipnorm', 'clipvalue')
        for k in kwargs:
            if k not in allowed_kwargs:
                raise TypeError('Unexpected keyword argument passed to optimizer: %s '
                                '(optimizers accept %s)' % (k, ', '.join(allowed_kwargs)))
        _check_numbers(type(self).__name__, **kwargs)
        # Set only when given, as in Keras 1.2.2: get_config then echoes exactly what was passed.
        self.__dict__.update(kwargs)
        self.updates = []
        self.weights = []

    def get_updates(self, params, constraints, loss):
        """The list of (variable, new value) updates of one training step."""
        raise TypeError('%s.get_updates: Optimizer is the base class; use one of its '
                        'subclasses (SGD, Adam, ...)' % type(self).__name__)

    def get_gradients(self, loss, params):
        grads = K.gradients(loss, params)
        if getattr(self, 'clipnorm', 0) > 0:
            norm = K.sqrt(sum([K.sum(K.square(g)) for g in grads]))
            grads = [clip_norm(g, self.clipnorm, norm) for g in grads]
        if getattr(self, 'clipvalue', 0) > 0:
            grads = [K.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def set_weights(self, weights):
        """Set the optimizer's state (a list of arrays in `weights` order, as get_weights
        returns and model files store)."""
        if len(weights) != len(self.weights):
            raise ValueError('%s.set_weights: the optimizer has %d weights%s; %d were provided'
                             % (type(self).__name__, len(self.weights),
                                '' if self.weights else ' (its slots are created by get_updates, '
                                'when the training function is built)', len(weights)))
        pairs = []
        for i, (p, w) in enumerate(zip(self.weights, weights)):
            w = np.asarray(w)
            shape = tuple(K.get_variable_shape(p))
            if w.shape != shape:
                raise ValueError('%s.set_weights: optimizer weight %d has shape %s, not '
                                 'compatible with the provided weight shape %s'
                                 % (type(self).__name__, i, shape, w.shape))
            pairs.append((p, w))
        K.batch_set_value(pairs)

    def get_weights(self):
        return K.batch_get_value(self.weights)

    def get_config(self):
        config = {}
        for name in ('clipnorm', 'clipvalue'):
            if hasattr(self, name):
                config[name] = float(getattr(self, name))
        return config

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # ---- helpers shared by the subclasses

    def _hyper_config(self, variables=(), floats=(), **extra):
        """get_config: the base entries, `variables` read as Python floats, `floats` as floats."""
        config = Optimizer.get_config(self)
        config.update((n, float(K.get_value(getattr(self, n)))) for n in variables)
        config.update((n, float(getattr(self, n))) for n in floats)
        config.update(extra)
        return config

    def _begin_updates(self, params, constraints, loss, always_count):
        """The first steps of every get_updates: the constraint map, the (clipped) gradients,
        and self.updates started with the iteration count, always (SGD, Adam, Adamax, Nadam) or
        only under decay (RMSprop, Adagrad, Adadelta), as Keras 1.2.2 counted."""
        counted = always_count or self.initial_decay > 0
        self.updates = [K.update_add(self.iterations, 1)] if counted else []
        return _constraint_map(params, constraints), self.get_gradients(loss, params)

    def _decayed_lr(self):
        """lr / (1 + decay * iterations) when built with decay > 0 (Keras 1.2.2 tests the value
        given at construction: setting decay later on an optimizer built without it does
        nothing), else lr itself."""
        if self.initial_decay > 0:
            return self.lr * (1. / (1. + self.decay * self.iterations))
        return self.lr


def _check_numbers(owner, **values):
    """Hyper-parameters must be real numbers (K.variable would take '0.1' and a list)."""
    for name, value in sorted(values.items()):
        check_number(owner, name, value)


def _slots(params):
    """One zero variable per parameter, with its shape (and dtype); each knows its parameter
    (slot_of), so that model files can store slots in Keras' order (engine/model_file.py)."""
    slots = []
    for p in params:
        slot = K.zeros(K.get_variable_shape(p), dtype=K.dtype(p))
        slot.slot_of = p
        slots.append(slot)
    return slots


def _constraint_map(params, constraints):
    """Keras 1's {param: constraint} dict; a Keras 0.3 list parallel to params and None are
    accepted too."""
    if constraints is None:
        return {}
    if isinstance(constraints, dict):
        return constraints
    constraints = list(constraints)
    if len(constraints) != len(params):
        raise ValueError('get_updates: constraints is a list of %d entries for %d params; give '
                         'one per param, or a dict {param: constraint}'
                         % (len(constraints), len(params)))
    return {p: c for p, c in zip(params, constraints) if c is not None}


def _constrained(p, new_p, constraints):
    """The update of p: the new value, through p's constraint if it has one."""
    c = constraints.get(p)
    return K.update(p, c(new_p) if c is not None else new_p)


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, time-based learning rate decay and Nesterov
    momentum. weights: [iterations] + moments (iterations counts only when decay > 0)."""

    def __init__(self, lr=0.01, momentum=0., decay=0., nesterov=False, **kwargs):
        super(SGD, self).__init__(**kwargs)
        _check_numbers(type(self).__name__, lr=lr, momentum=momentum, decay=decay)
        self.iterations = K.variable(0.)
        self.lr = K.variable(lr)
        self.momentum = K.variable(momentum)
        self.decay = K.variable(decay)
        self.initial_decay = decay
        self.nesterov = nesterov

    def get_updates(self, params, constraints, loss):
        constraints, grads = self._begin_updates(params, constraints, loss, always_count=False)
        lr = self._decayed_lr()
        moments = _slots(params)
        self.weights = [self.iterations] + moments
        for p, g, m in zip(params, grads, moments):
            v = self.momentum * m - lr * g      # velocity
            self.updates.append(K.update(m, v))
            new_p = p + self.momentum * v - lr * g if self.nesterov else p + v
            self.updates.append(_constrained(p, new_p, constraints))
        return self.updates

    def get_config(self):
        return self._hyper_config(('lr', 'momentum', 'decay'), nesterov=bool(self.nesterov))


class RMSprop(Optimizer):
    """RMSprop: a = rho a + (1 - rho) g^2; p -= lr g / (sqrt(a) + epsilon).
    weights: accumulators."""

    def __init__(self, lr=0.001, rho=0.9, epsilon=1e-8, decay=0., **kwargs):
        super(RMSprop, self).__init__(**kwargs)
        _check_numbers(type(self).__name__, lr=lr, rho=rho, epsilon=epsilon, decay=decay)
        self.lr = K.variable(lr)
        self.rho = K.variable(rho)
        self.epsilon = epsilon
        self.decay = K.variable(decay)
        self.initial_decay = decay
        self.iterations = K.variable(0.)

    def get_updates(self, params, constraints, loss):
        constraints, grads = self._begin_updates(params, constraints, loss, always_count=False)
        accumulators = _slots(params)
        self.weights = accumulators
        lr = self._decayed_lr()
        for p, g, a in zip(params, grads, accumulators):
            new_a = self.rho * a + (1. - self.rho) * K.square(g)
            self.updates.append(K.update(a, new_a))
            new_p = p - lr * g / (K.sqrt(new_a) + self.epsilon)
            self.updates.append(_constrained(p, new_p, constraints))
        return self.updates

    def get_config(self):
        return self._hyper_config(('lr', 'rho', 'decay'), ('epsilon',))


class Adagrad(Optimizer):
    """Adagrad: a += g^2; p -= lr g / (sqrt(a) + epsilon). weights: accumulators."""

    def __init__(self, lr=0.01, epsilon=1e-8, decay=0., **kwargs):
        super(Adagrad, self).__init__(**kwargs)
        _check_numbers(type(self).__name__, lr=lr, epsilon=epsilon, decay=decay)
        self.lr = K.variable(lr)
        self.epsilon = epsilon
        self.decay = K.variable(decay)
        self.initial_decay = decay
        self.iterations = K.variable(0.)

    def get_updates(self, params, constraints, loss):
        constraints, grads = self._begin_updates(params, constraints, loss, always_count=False)
        accumulators = _slots(params)
        self.weights = accumulators
        lr = self._decayed_lr()
        for p, g, a in zip(params, grads, accumulators):
            new_a = a + K.square(g)
            self.updates.append(K.update(a, new_a))
            new_p = p - lr * g / (K.sqrt(new_a) + self.epsilon)
            self.updates.append(_constrained(p, new_p, constraints))
        return self.updates

    def get_config(self):
        return self._hyper_config(('lr', 'decay'), ('epsilon',))


class Adadelta(Optimizer):
    """Adadelta: a = rho a + (1 - rho) g^2; delta = g sqrt(d + eps) / sqrt(a + eps) with the old
    d; p -= lr delta; d = rho d + (1 - rho) delta^2.
    weights: accumulators + delta_accumulators."""

    def __init__(self, lr=1.0, rho=0.95, epsilon=1e-8, decay=0., **kwargs):
        super(Adadelta, self).__init__(**kwargs)
        _check_numbers(type(self).__name__, lr=lr, rho=rho, epsilon=epsilon, decay=decay)
        self.lr = K.variable(lr)
        self.rho = rho
        self.epsilon = epsilon
        self.decay = K.variable(decay)
        self.initial_decay = decay
        self.iterations = K.variable(0.)

    def get_updates(self, params, constraints, loss):
        constraints, grads = self._begin_updates(params, constraints, loss, always_count=False)
        accumulators = _slots(params)
        delta_accumulators = _slots(params)
        self.weights = accumulators + delta_accumulators
        lr = self._decayed_lr()
        for p, g, a, d_a in zip(params, grads, accumulators, delta_accumulators):
            new_a = self.rho * a + (1. - self.rho) * K.square(g)
            self.updates.append(K.update(a, new_a))
            delta = g * K.sqrt(d_a + self.epsilon) / K.sqrt(new_a + self.epsilon)
            self.updates.append(_constrained(p, p - lr * delta, constraints))
            self.updates.append(K.update(d_a, self.rho * d_a + (1. - self.rho) * K.square(delta)))
        return self.updates

    def get_config(self):
        return self._hyper_config(('lr', 'decay'), ('rho', 'epsilon'))


class _MomentOptimizer(Optimizer):
    """What Adam and Adamax share: lr, beta_1, beta_2 and decay as variables, epsilon, an
    iteration count, time-based decay, and their config."""

    def __init__(self, lr, beta_1, beta_2, epsilon, decay, **kwargs):
        super(_MomentOptimizer, self).__init__(**kwargs)
        _check_numbers(type(self).__name__, lr=lr, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                       decay=decay)
        self.iterations = K.variable(0.)
        self.lr = K.variable(lr)
        self.beta_1 = K.variable(beta_1)
        self.beta_2 = K.variable(beta_2)
        self.epsilon = epsilon
        self.decay = K.variable(decay)
        self.initial_decay = decay

    def get_config(self):
        return self._hyper_config(('lr', 'beta_1', 'beta_2', 'decay'), ('epsilon',))


class Adam(_MomentOptimizer):
    """Adam: t = iterations + 1; lr_t = lr sqrt(1 - beta_2^t) / (1 - beta_1^t); m, v moving
    averages of g and g^2; p -= lr_t m / (sqrt(v) + epsilon). weights: [iterations] + ms + vs."""

    def __init__(self, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, decay=0., **kwargs):
        super(Adam, self).__init__(lr, beta_1, beta_2, epsilon, decay, **kwargs)

    def get_updates(self, params, constraints, loss):
        constraints, grads = self._begin_updates(params, constraints, loss, always_count=True)
        lr = self._decayed_lr()
        t = self.iterations + 1
        lr_t = lr * (K.sqrt(1. - K.pow(self.beta_2, t)) / (1. - K.pow(self.beta_1, t)))
        ms = _slots(params)
        vs = _slots(params)
        self.weights = [self.iterations] + ms + vs
        for p, g, m, v in zip(params, grads, ms, vs):
            m_t = (self.beta_1 * m) + (1. - self.beta_1) * g
            v_t = (self.beta_2 * v) + (1. - self.beta_2) * K.square(g)
            self.updates.append(K.update(m, m_t))
            self.updates.append(K.update(v, v_t))
            new_p = p - lr_t * m_t / (K.sqrt(v_t) + self.epsilon)
            self.updates.append(_constrained(p, new_p, constraints))
        return self.updates


class Adamax(_MomentOptimizer):
    """Adamax (Adam with the infinity norm): u = max(beta_2 u, |g|);
    p -= lr / (1 - beta_1^t) m / (u + epsilon). weights: [iterations] + ms + us."""

    def __init__(self, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=1e-8, decay=0., **kwargs):
        super(Adamax, self).__init__(lr, beta_1, beta_2, epsilon, decay, **kwargs)

    def get_updates(self, params, constraints, loss):
        constraints, grads = self._begin_updates(params, constraints, loss, always_count=True)
        lr = self._decayed_lr()
        t = self.iterations + 1
        lr_t = lr / (1. - K.pow(self.beta_1, t))
        ms = _slots(params)
        us = _slots(params)
        self.weights = [self.iterations] + ms + us
        for p, g, m, u in zip(params, grads, ms, us):
            m_t = (self.beta_1 * m) + (1. - self.beta_1) * g
            u_t = K.maximum(self.beta_2 * u, K.abs(g))
            self.updates.append(K.update(m, m_t))
            self.updates.append(K.update(u, u_t))
            new_p = p - lr_t * m_t / (u_t + self.epsilon)
            self.updates.append(_constrained(p, new_p, constraints))
        return self.updates


class Nadam(Optimizer):
    """Nesterov Adam with the warming momentum schedule
    mu_t = beta_1 (1 - 0.5 * 0.96^(t * schedule_decay)); the running product of the mu_t is
    the variable m_schedule (not part of `weights`, as in Keras 1.2.2).
    weights: [iterations] + ms + vs."""

    def __init__(self, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=1e-8, schedule_decay=0.004,
                 **kwargs):
        super(Nadam, self).__init__(**kwargs)
        _check_numbers(type(self).__name__, lr=lr, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
                       schedule_decay=schedule_decay)
        self.iterations = K.variable(0.)
        self.m_schedule = K.variable(1.)
        self.lr = K.variable(lr)
        self.beta_1 = K.variable(beta_1)
        self.beta_2 = K.variable(beta_2)
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay

    def get_updates(self, params, constraints, loss):
        constraints, grads = self._begin_updates(params, constraints, loss, always_count=True)
        t = self.iterations + 1
        momentum_cache_t = self.beta_1 * (1. - 0.5 * K.pow(0.96, t * self.schedule_decay))
        momentum_cache_t_1 = self.beta_1 * (1. - 0.5 * K.pow(0.96, (t + 1) * self.schedule_decay))
        m_schedule_new = self.m_schedule * momentum_cache_t
        m_schedule_next = self.m_schedule * momentum_cache_t * momentum_cache_t_1
        self.updates.append(K.update(self.m_schedule, m_schedule_new))
        ms = _slots(params)
        vs = _slots(params)
        self.weights = [self.iterations] + ms + vs
        for p, g, m, v in zip(params, grads, ms, vs):
            g_prime = g / (1. - m_schedule_new)
            m_t = self.beta_1 * m + (1. - self.beta_1) * g
            m_t_prime = m_t / (1. - m_schedule_next)
            v_t = self.beta_2 * v + (1. - self.beta_2) * K.square(g)
            v_t_prime = v_t / (1. - K.pow(self.beta_2, t))
            m_t_bar = (1. - momentum_cache_t) * g_prime + momentum_cache_t_1 * m_t_prime
            self.updates.append(K.update(m, m_t))
            self.updates.append(K.update(v, v_t))
            new_p = p - self.lr * m_t_bar / (K.sqrt(v_t_prime) + self.epsilon)
            self.updates.append(_constrained(p, new_p, constraints))
        return self.updates

    def get_config(self):
        return self._hyper_config(('lr', 'beta_1', 'beta_2'), ('epsilon', 'schedule_decay'))


# Aliases (the string names of compile(optimizer='...')).
sgd = SGD
rmsprop = RMSprop
adagrad = Adagrad
adadelta = Adadelta
adam = Adam
adamax = Adamax
nadam = Nadam

_CLASSES = (SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam)
# Names get() accepts: the class names and their lowercase aliases (case-sensitive, as Keras').
_BY_NAME = dict([(c.__name__, c) for c in _CLASSES] + [(c.__name__.lower(), c) for c in _CLASSES])


def optimizer_from_config(config, custom_objects=None):
    """An optimizer from {'class_name': ..., 'config': {...}} (Keras 1 model files).
    custom_objects (then the registry of generic_utils.get_custom_objects) map class names to
    user optimizer classes; built-in names match in any case."""
    if not isinstance(config, dict) or 'class_name' not in config:
        raise ValueError("optimizer_from_config: expected a dict {'class_name': ..., "
                         "'config': {...}}; got %r" % (config,))
    class_name = config['class_name']
    if custom_objects and class_name in custom_objects:
        cls = custom_objects[class_name]
    elif class_name in get_custom_objects():
        cls = get_custom_objects()[class_name]
    else:
        cls = _BY_NAME.get(str(class_name).lower())
        if cls is None:
            raise ValueError('optimizer_from_config: optimizer class not found: %r (known: %s)'
                             % (class_name, ', '.join(c.__name__ for c in _CLASSES)))
    return cls.from_config(config.get('config', {}))


def get(identifier, kwargs=None):
    """An optimizer from a name ('sgd', 'Adam', ...; built with `kwargs`), an optimizer instance
    (returned as is), a Keras 1 config dict {'class_name', 'config'} or a Keras 0.3 config dict
    {'name': ..., <hyper-parameters>}."""
    if isinstance(identifier, dict) and 'class_name' in identifier:
        return optimizer_from_config(identifier)
    if not isinstance(identifier, (str, dict)) and not hasattr(identifier, 'get_updates'):
        raise TypeError('Invalid optimizer: %r; give a name such as "sgd", an optimizer '
                        'instance or a config dict' % (identifier,))
    return get_from_module(identifier, _BY_NAME, 'optimizer', instantiate=True, kwargs=kwargs)
