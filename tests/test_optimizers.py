"""symkeras.optimizers against numpy re-implementations of the Keras 1.2.2 update rules."""
import re

import numpy as np
import pytest

import symkeras.backend as K
from symkeras import optimizers
from symkeras.optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, Nadam, RMSprop
from symkeras.utils.generic_utils import custom_object_scope

CLASSES = [SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam]


# ----------------------------------------------------------------------------- numpy references

class Ref:
    """One Keras 1.2.2 optimizer in numpy: step(params, grads) -> new params (before the
    constraint); weights() in Keras' optimizer.weights order."""

    def __init__(self, shapes, clipnorm=0., clipvalue=0.):
        self.shapes = shapes
        self.clipnorm, self.clipvalue = clipnorm, clipvalue
        self.it = 0.
        self.clip_events = {'norm': False, 'value_in': False, 'value_out': False}

    def zeros(self):
        return [np.zeros(s) for s in self.shapes]

    def clip(self, grads):
        if self.clipnorm > 0:
            norm = np.sqrt(sum(np.sum(g ** 2) for g in grads))
            if norm >= self.clipnorm:
                self.clip_events['norm'] = True
                grads = [g * self.clipnorm / norm for g in grads]
        if self.clipvalue > 0:
            c = self.clipvalue
            self.clip_events['value_out'] |= any(np.any(np.abs(g) > c) for g in grads)
            self.clip_events['value_in'] |= any(np.any(np.abs(g) < c) for g in grads)
            grads = [np.clip(g, -c, c) for g in grads]
        return grads

    def decayed(self, lr, decay):
        return lr * (1. / (1. + decay * self.it)) if decay > 0 else lr


class RefSGD(Ref):
    def __init__(self, shapes, lr=0.01, momentum=0., decay=0., nesterov=False, **clip):
        super().__init__(shapes, **clip)
        self.lr, self.mu, self.decay, self.nesterov = lr, momentum, decay, nesterov
        self.ms = self.zeros()

    def step(self, ps, gs):
        lr = self.decayed(self.lr, self.decay)
        if self.decay > 0:
            self.it += 1
        out = []
        for i, (p, g) in enumerate(zip(ps, gs)):
            v = self.mu * self.ms[i] - lr * g
            self.ms[i] = v
            out.append(p + self.mu * v - lr * g if self.nesterov else p + v)
        return out

    def weights(self):
        return [np.array(self.it)] + self.ms


class RefRMSprop(Ref):
    def __init__(self, shapes, lr=0.001, rho=0.9, epsilon=1e-8, decay=0., **clip):
        super().__init__(shapes, **clip)
        self.lr, self.rho, self.eps, self.decay = lr, rho, epsilon, decay
        self.acc = self.zeros()

    def step(self, ps, gs):
        lr = self.decayed(self.lr, self.decay)
        if self.decay > 0:
            self.it += 1
        out = []
        for i, (p, g) in enumerate(zip(ps, gs)):
            self.acc[i] = self.rho * self.acc[i] + (1 - self.rho) * g ** 2
            out.append(p - lr * g / (np.sqrt(self.acc[i]) + self.eps))
        return out

    def weights(self):
        return self.acc


class RefAdagrad(Ref):
    def __init__(self, shapes, lr=0.01, epsilon=1e-8, decay=0., **clip):
        super().__init__(shapes, **clip)
        self.lr, self.eps, self.decay = lr, epsilon, decay
        self.acc = self.zeros()

    def step(self, ps, gs):
        lr = self.decayed(self.lr, self.decay)
        if self.decay > 0:
            self.it += 1
        out = []
        for i, (p, g) in enumerate(zip(ps, gs)):
            self.acc[i] = self.acc[i] + g ** 2
            out.append(p - lr * g / (np.sqrt(self.acc[i]) + self.eps))
        return out

    def weights(self):
        return self.acc


class RefAdadelta(Ref):
    def __init__(self, shapes, lr=1.0, rho=0.95, epsilon=1e-8, decay=0., **clip):
        super().__init__(shapes, **clip)
        self.lr, self.rho, self.eps, self.decay = lr, rho, epsilon, decay
        self.acc, self.dacc = self.zeros(), self.zeros()

    def step(self, ps, gs):
        lr = self.decayed(self.lr, self.decay)
        if self.decay > 0:
            self.it += 1
        out = []
        for i, (p, g) in enumerate(zip(ps, gs)):
            self.acc[i] = self.rho * self.acc[i] + (1 - self.rho) * g ** 2
            delta = g * np.sqrt(self.dacc[i] + self.eps) / np.sqrt(self.acc[i] + self.eps)
            out.append(p - lr * delta)
            self.dacc[i] = self.rho * self.dacc[i] + (1 - self.rho) * delta ** 2
        return out

    def weights(self):
        return self.acc + self.dacc


class RefAdam(Ref):
    def __init__(self, shapes, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, decay=0.,
                 **clip):
        super().__init__(shapes, **clip)
        self.lr, self.b1, self.b2, self.eps, self.decay = lr, beta_1, beta_2, epsilon, decay
        self.ms, self.vs = self.zeros(), self.zeros()

    def step(self, ps, gs):
        lr = self.decayed(self.lr, self.decay)
        t = self.it + 1
        self.it += 1
        lr_t = lr * np.sqrt(1 - self.b2 ** t) / (1 - self.b1 ** t)
        out = []
        for i, (p, g) in enumerate(zip(ps, gs)):
            self.ms[i] = self.b1 * self.ms[i] + (1 - self.b1) * g
            self.vs[i] = self.b2 * self.vs[i] + (1 - self.b2) * g ** 2
            out.append(p - lr_t * self.ms[i] / (np.sqrt(self.vs[i]) + self.eps))
        return out

    def weights(self):
        return [np.array(self.it)] + self.ms + self.vs


class RefAdamax(RefAdam):
    def __init__(self, shapes, lr=0.002, **kwargs):
        super().__init__(shapes, lr=lr, **kwargs)

    def step(self, ps, gs):
        lr = self.decayed(self.lr, self.decay)
        t = self.it + 1
        self.it += 1
        lr_t = lr / (1 - self.b1 ** t)
        out = []
        for i, (p, g) in enumerate(zip(ps, gs)):
            self.ms[i] = self.b1 * self.ms[i] + (1 - self.b1) * g
            self.vs[i] = np.maximum(self.b2 * self.vs[i], np.abs(g))      # u
            out.append(p - lr_t * self.ms[i] / (self.vs[i] + self.eps))
        return out


class RefNadam(Ref):
    def __init__(self, shapes, lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 schedule_decay=0.004, **clip):
        super().__init__(shapes, **clip)
        self.lr, self.b1, self.b2, self.eps, self.sd = lr, beta_1, beta_2, epsilon, schedule_decay
        self.ms, self.vs = self.zeros(), self.zeros()
        self.m_schedule = 1.

    def step(self, ps, gs):
        t = self.it + 1
        self.it += 1
        mu_t = self.b1 * (1 - 0.5 * 0.96 ** (t * self.sd))
        mu_t1 = self.b1 * (1 - 0.5 * 0.96 ** ((t + 1) * self.sd))
        sched_new = self.m_schedule * mu_t
        sched_next = self.m_schedule * mu_t * mu_t1
        self.m_schedule = sched_new
        out = []
        for i, (p, g) in enumerate(zip(ps, gs)):
            g_prime = g / (1 - sched_new)
            self.ms[i] = self.b1 * self.ms[i] + (1 - self.b1) * g
            m_prime = self.ms[i] / (1 - sched_next)
            self.vs[i] = self.b2 * self.vs[i] + (1 - self.b2) * g ** 2
            v_prime = self.vs[i] / (1 - self.b2 ** t)
            m_bar = (1 - mu_t) * g_prime + mu_t1 * m_prime
            out.append(p - self.lr * m_bar / (np.sqrt(v_prime) + self.eps))
        return out

    def weights(self):
        return [np.array(self.it)] + self.ms + self.vs


REFS = {SGD: RefSGD, RMSprop: RefRMSprop, Adagrad: RefAdagrad, Adadelta: RefAdadelta,
        Adam: RefAdam, Adamax: RefAdamax, Nadam: RefNadam}


# ----------------------------------------------------------------------------- the problem

MAX_NORM = 1.0


def max_norm(w):
    """Keras' MaxNorm(1, axis=0) as a constraint callable on tensors."""
    n = K.sqrt(K.sum(K.square(w), axis=0, keepdims=True))
    return w * (K.clip(n, 0., MAX_NORM) / (1e-7 + n))


def max_norm_np(w):
    n = np.sqrt(np.sum(w ** 2, axis=0, keepdims=True))
    return w * (np.clip(n, 0., MAX_NORM) / (1e-7 + n))


class Problem:
    """Least squares loss = mean((x W + b - y)^2) on a fresh batch each step; W has the
    max-norm constraint, b none."""

    def __init__(self, steps=5, seed=0):
        rng = np.random.RandomState(seed)
        self.w0 = rng.randn(3, 4)
        self.b0 = rng.randn(4) * 0.1
        self.xs = rng.randn(steps, 5, 3)
        self.ys = rng.randn(steps, 5, 4) * 2

    def build(self, opt, constrain=True):
        self.W = K.variable(self.w0)
        self.b = K.variable(self.b0)
        x, y = K.placeholder(ndim=2), K.placeholder(ndim=2)
        loss = K.mean(K.square(K.dot(x, self.W) + self.b - y))
        constraints = {self.W: max_norm} if constrain else {}
        updates = opt.get_updates([self.W, self.b], constraints, loss)
        return K.function([x, y], [loss], updates=updates)

    def grads(self, w, b, step):
        x, y = self.xs[step], self.ys[step]
        r = x.dot(w) + b - y
        scale = 2. / r.size
        return [scale * x.T.dot(r), scale * r.sum(0)]


def run_reference(cls, kwargs, problem, constrain=True):
    """Params and optimizer weights after each step, from the numpy reference."""
    clip = {k: kwargs[k] for k in ('clipnorm', 'clipvalue') if k in kwargs}
    hyper = {k: v for k, v in kwargs.items() if k not in clip}
    ref = REFS[cls]([problem.w0.shape, problem.b0.shape], **dict(hyper, **clip))
    w, b = problem.w0, problem.b0
    history = []
    for step in range(len(problem.xs)):
        grads = ref.clip(problem.grads(w, b, step))
        w, b = ref.step([w, b], grads)
        if constrain:
            w = max_norm_np(w)
        history.append(([w, b], [np.copy(a) for a in ref.weights()]))
    return history, ref


CASES = [
    (SGD, {}),
    (SGD, {'lr': 0.1, 'momentum': 0.9}),
    (SGD, {'lr': 0.1, 'momentum': 0.9, 'nesterov': True}),
    (SGD, {'lr': 0.1, 'momentum': 0.5, 'decay': 0.3}),
    (SGD, {'lr': 0.1, 'clipnorm': 0.3}),
    (SGD, {'lr': 0.1, 'clipvalue': 0.1}),
    (RMSprop, {}),
    (RMSprop, {'lr': 0.01, 'rho': 0.8, 'epsilon': 1e-3, 'decay': 0.3}),
    (RMSprop, {'clipnorm': 0.3, 'clipvalue': 0.05}),
    (Adagrad, {}),
    (Adagrad, {'lr': 0.1, 'epsilon': 1e-2, 'decay': 0.3}),
    (Adagrad, {'clipvalue': 0.1}),
    (Adadelta, {}),
    (Adadelta, {'lr': 0.5, 'rho': 0.8, 'epsilon': 1e-4, 'decay': 0.3}),
    (Adadelta, {'clipnorm': 0.3}),
    (Adam, {}),
    (Adam, {'lr': 0.01, 'beta_1': 0.5, 'beta_2': 0.9, 'epsilon': 1e-3, 'decay': 0.3}),
    (Adam, {'clipnorm': 0.3}),
    (Adamax, {}),
    (Adamax, {'lr': 0.01, 'beta_1': 0.5, 'beta_2': 0.9, 'epsilon': 1e-3, 'decay': 0.3}),
    (Adamax, {'clipvalue': 0.1}),
    (Nadam, {}),
    (Nadam, {'lr': 0.01, 'beta_1': 0.5, 'beta_2': 0.9, 'epsilon': 1e-3, 'schedule_decay': 0.3}),
    (Nadam, {'clipnorm': 0.3}),
]


def case_id(case):
    cls, kwargs = case
    return cls.__name__ + ''.join('-%s=%s' % kv for kv in sorted(kwargs.items()))


@pytest.mark.parametrize('case', CASES, ids=case_id)
def test_steps_match_reference_float64(float64, case):
    cls, kwargs = case
    problem = Problem()
    opt = cls(**kwargs)
    train = problem.build(opt)
    history, ref = run_reference(cls, kwargs, problem)
    for step, (params, weights) in enumerate(history):
        train([problem.xs[step], problem.ys[step]])
        got = K.batch_get_value([problem.W, problem.b])
        for g, r, p0 in zip(got, params, [problem.w0, problem.b0]):
            # the change since the start, so that small learning rates are checked too
            np.testing.assert_allclose(g - p0, r - p0, rtol=1e-9, atol=1e-13,
                                       err_msg='step %d' % step)
        # optimizer.weights in Keras 1.2.2's order (what model files store)
        got_w = opt.get_weights()
        assert [w.shape for w in got_w] == [w.shape for w in weights]
        for g, r in zip(got_w, weights):
            np.testing.assert_allclose(g, r, rtol=1e-9, atol=1e-15, err_msg='step %d' % step)
    # the clipping cases must actually clip (and clipvalue leave some elements alone)
    if kwargs.get('clipnorm'):
        assert ref.clip_events['norm']
    if kwargs.get('clipvalue'):
        assert ref.clip_events['value_out'] and ref.clip_events['value_in']


@pytest.mark.parametrize('cls', CLASSES, ids=lambda c: c.__name__)
def test_steps_match_reference_float32(cls):
    """Default floatx: float32 variables, hyper-parameters rounded to float32."""
    kwargs = {'lr': 0.05}
    problem = Problem()
    opt = cls(**kwargs)
    train = problem.build(opt)
    history, _ = run_reference(cls, kwargs, problem)
    for step in range(len(history)):
        train([problem.xs[step].astype('float32'), problem.ys[step].astype('float32')])
    got = K.batch_get_value([problem.W, problem.b])
    assert got[0].dtype == np.float32
    for g, r in zip(got, history[-1][0]):
        np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-5)


def test_clipnorm_below_threshold_leaves_gradients(float64):
    """A global norm below clipnorm changes nothing (same trajectory as without clipping)."""
    problem = Problem()
    train = problem.build(SGD(lr=0.1, clipnorm=1e6))
    history, _ = run_reference(SGD, {'lr': 0.1}, problem)
    for step in range(len(history)):
        train([problem.xs[step], problem.ys[step]])
    np.testing.assert_allclose(K.get_value(problem.W), history[-1][0][0], rtol=1e-12)


def test_clipnorm_is_global_over_all_gradients(float64):
    """One norm over every gradient: clipping rescales W's and b's gradients by one factor."""
    W, b = K.variable(np.array([[3.0]])), K.variable(np.array([4.0]))
    loss = K.sum(W * 3.) + K.sum(b * 4.)  # grads 3 and 4: global norm 5
    gW, gb = K.function([], SGD(clipnorm=1.).get_gradients(loss, [W, b]))([])
    np.testing.assert_allclose([gW[0, 0], gb[0]], [0.6, 0.8], rtol=1e-12)
    gW, gb = K.function([], SGD(clipvalue=3.5).get_gradients(loss, [W, b]))([])
    np.testing.assert_allclose([gW[0, 0], gb[0]], [3.0, 3.5])
    gW, gb = K.function([], SGD(clipnorm=0., clipvalue=0.).get_gradients(loss, [W, b]))([])
    np.testing.assert_allclose([gW[0, 0], gb[0]], [3.0, 4.0])


def test_clip_norm_helper(float64):
    g = K.variable(np.array([3., 4.]))
    np.testing.assert_allclose(K.eval(optimizers.clip_norm(g, 2.5, 5.)), [1.5, 2.])
    np.testing.assert_allclose(K.eval(optimizers.clip_norm(g, 10., 5.)), [3., 4.])
    assert optimizers.clip_norm(g, 0., 5.) is g


def test_kl_divergence_helper(float64):
    p, q = np.array([0.2, 0.5]), np.array([0.4, 0.25])
    got = K.eval(optimizers.kl_divergence(K.variable(p), K.variable(q)))
    np.testing.assert_allclose(got, q - p + p * np.log(p / q), rtol=1e-12)


@pytest.mark.parametrize('cls', CLASSES, ids=lambda c: c.__name__)
def test_constraint_applies_to_updated_value(float64, cls):
    """Without constraints the trajectory is the unconstrained reference; with the
    constraint, the max-norm holds after every step."""
    problem = Problem()
    train = problem.build(cls(), constrain=False)
    history, _ = run_reference(cls, {}, problem, constrain=False)
    for step in range(len(history)):
        train([problem.xs[step], problem.ys[step]])
    np.testing.assert_allclose(K.get_value(problem.W), history[-1][0][0], rtol=1e-9)
    assert np.max(np.linalg.norm(K.get_value(problem.W), axis=0)) > MAX_NORM

    train = problem.build(cls(), constrain=True)
    for step in range(len(history)):
        train([problem.xs[step], problem.ys[step]])
        assert np.max(np.linalg.norm(K.get_value(problem.W), axis=0)) <= MAX_NORM + 1e-9


def test_constraints_as_list_or_none(float64):
    """Keras 0.3 passed constraints as a list parallel to params; None means none."""
    problem = Problem()
    history, _ = run_reference(SGD, {'lr': 0.5}, problem)
    for constraints, expect in (([max_norm, None], history[0][0][0]), (None, None)):
        W, b = K.variable(problem.w0), K.variable(problem.b0)
        x, y = K.placeholder(ndim=2), K.placeholder(ndim=2)
        loss = K.mean(K.square(K.dot(x, W) + b - y))
        f = K.function([x, y], [], updates=SGD(lr=0.5).get_updates([W, b], constraints, loss))
        f([problem.xs[0], problem.ys[0]])
        if expect is not None:
            np.testing.assert_allclose(K.get_value(W), expect, rtol=1e-9)
        else:
            assert np.max(np.linalg.norm(K.get_value(W), axis=0)) > MAX_NORM
    with pytest.raises(ValueError, match='constraints is a list of 1 entries for 2 params'):
        SGD().get_updates([W, b], [max_norm], loss)


# ----------------------------------------------------------------------------- state

def test_iterations_counting(float64):
    """SGD, RMSprop, Adagrad and Adadelta count iterations only when built with decay > 0;
    Adam, Adamax and Nadam always do; Nadam's m_schedule is the product of the mu_t."""
    problem = Problem(steps=3)
    for cls, kwargs, expect in [(SGD, {}, 0), (SGD, {'decay': 0.1}, 3), (RMSprop, {}, 0),
                                (RMSprop, {'decay': 0.1}, 3), (Adagrad, {}, 0),
                                (Adagrad, {'decay': 0.1}, 3), (Adadelta, {}, 0),
                                (Adadelta, {'decay': 0.1}, 3), (Adam, {}, 3), (Adamax, {}, 3),
                                (Nadam, {}, 3)]:
        opt = cls(**kwargs)
        train = problem.build(opt)
        for step in range(3):
            train([problem.xs[step], problem.ys[step]])
        assert float(K.get_value(opt.iterations)) == expect, (cls.__name__, kwargs)
    mus = [0.9 * (1 - 0.5 * 0.96 ** (t * 0.004)) for t in (1, 2, 3)]
    np.testing.assert_allclose(K.get_value(opt.m_schedule), np.prod(mus), rtol=1e-12)


def test_decay_set_later_has_no_effect_without_initial_decay(float64):
    """Keras 1.2.2 decides at construction: K.set_value(opt.decay, ...) on an optimizer built
    with decay=0 leaves the learning rate undecayed."""
    problem = Problem(steps=3)
    opt = SGD(lr=0.1)
    K.set_value(opt.decay, 0.5)
    train = problem.build(opt, constrain=False)
    history, _ = run_reference(SGD, {'lr': 0.1}, problem, constrain=False)
    for step in range(3):
        train([problem.xs[step], problem.ys[step]])
    np.testing.assert_allclose(K.get_value(problem.W), history[-1][0][0], rtol=1e-12)


@pytest.mark.parametrize('cls', CLASSES, ids=lambda c: c.__name__)
def test_weights_structure(cls):
    """optimizer.weights: Keras 1.2.2's order; slots have their parameter's shape."""
    W, b = K.variable(np.zeros((3, 4))), K.variable(np.zeros(4))
    opt = cls()
    assert opt.weights == [] and opt.updates == []
    loss = K.sum(K.square(W)) + K.sum(b)
    updates = opt.get_updates([W, b], {}, loss)
    assert updates is opt.updates
    assert all(isinstance(u, tuple) and len(u) == 2 for u in updates)
    slots = {SGD: 1, RMSprop: 1, Adagrad: 1, Adadelta: 2, Adam: 2, Adamax: 2, Nadam: 2}[cls]
    head = [] if cls in (RMSprop, Adagrad, Adadelta) else [opt.iterations]
    assert opt.weights[:len(head)] == head
    assert [K.get_variable_shape(w) for w in opt.weights[len(head):]] == [(3, 4), (4,)] * slots
    assert len(opt.weights) == len(head) + 2 * slots
    updated = [u[0] for u in updates]
    for w in [W, b] + opt.weights[len(head):]:
        assert any(w is u for u in updated)


def test_slots_follow_the_parameter_dtype():
    W = K.variable(np.zeros((2, 2)), dtype='float64')
    opt = Adam()
    opt.get_updates([W], {}, K.sum(K.square(W - 1.)))
    assert [K.dtype(w) for w in opt.weights] == ['float32', 'float64', 'float64']


@pytest.mark.parametrize('cls', CLASSES, ids=lambda c: c.__name__)
def test_set_weights_restores_state(float64, cls):
    """get_weights from a trained optimizer, set_weights into a fresh one: continuing gives
    the same trajectory."""
    problem = Problem(steps=6)
    opt = cls(lr=0.05)
    train = problem.build(opt)
    for step in range(3):
        train([problem.xs[step], problem.ys[step]])
    state, params = opt.get_weights(), K.batch_get_value([problem.W, problem.b])
    for step in range(3, 6):
        train([problem.xs[step], problem.ys[step]])
    expect = K.batch_get_value([problem.W, problem.b])

    opt2 = cls(lr=0.05)
    train2 = problem.build(opt2)
    K.batch_set_value(zip([problem.W, problem.b], params))
    if cls is Nadam:    # m_schedule is not part of Keras 1.2.2's weights
        K.set_value(opt2.m_schedule, K.get_value(opt.m_schedule) / np.prod(
            [0.9 * (1 - 0.5 * 0.96 ** (t * 0.004)) for t in (4, 5, 6)]))
    opt2.set_weights(state)
    for a, b in zip(opt2.get_weights(), state):
        np.testing.assert_array_equal(a, b)
    for step in range(3, 6):
        train2([problem.xs[step], problem.ys[step]])
    for g, e in zip(K.batch_get_value([problem.W, problem.b]), expect):
        np.testing.assert_allclose(g, e, rtol=1e-12)


def test_set_weights_errors():
    opt = Adam()
    with pytest.raises(ValueError, match=r'Adam.set_weights: the optimizer has 0 weights '
                                         r'\(its slots are created by get_updates'):
        opt.set_weights([np.zeros(())])
    W, b = K.variable(np.zeros((3, 4))), K.variable(np.zeros(4))
    opt.get_updates([W, b], {}, K.sum(W) + K.sum(b))
    good = opt.get_weights()
    with pytest.raises(ValueError, match=r'optimizer weight 1 has shape \(3, 4\), not '
                                         r'compatible with the provided weight shape \(4, 3\)'):
        opt.set_weights([good[0], np.zeros((4, 3)), good[2], good[3], good[4]])
    with pytest.raises(ValueError, match='the optimizer has 5 weights; 4 were provided'):
        opt.set_weights(good[:4])
    # lists are accepted as values
    opt.set_weights([np.array(7.)] + [w.tolist() for w in good[1:]])
    assert float(K.get_value(opt.iterations)) == 7.


@pytest.mark.parametrize('cls', CLASSES, ids=lambda c: c.__name__)
def test_set_value_lr_in_compiled_function(cls):
    problem = Problem(steps=3)
    opt = cls(lr=0.05)
    train = problem.build(opt, constrain=False)
    data = [problem.xs[0].astype('float32'), problem.ys[0].astype('float32')]
    train(data)
    before = K.get_value(problem.W)
    K.set_value(opt.lr, 0.)
    train(data)
    np.testing.assert_array_equal(K.get_value(problem.W), before)
    K.set_value(opt.lr, 0.05)
    train(data)
    assert np.all(K.get_value(problem.W) != before)


def test_other_hyper_parameter_variables_take_effect(float64):
    """momentum, rho, beta_1, beta_2 are variables too: setting them changes the next step."""
    problem = Problem(steps=2)
    opt = SGD(lr=0.1, momentum=0.9)
    train = problem.build(opt, constrain=False)
    K.set_value(opt.momentum, 0.)
    history, _ = run_reference(SGD, {'lr': 0.1}, problem, constrain=False)
    for step in range(2):
        train([problem.xs[step], problem.ys[step]])
    np.testing.assert_allclose(K.get_value(problem.W), history[-1][0][0], rtol=1e-12)
    for cls, name, value in [(RMSprop, 'rho', 0.5), (Adam, 'beta_1', 0.5),
                             (Adam, 'beta_2', 0.5), (Adamax, 'beta_1', 0.5),
                             (Nadam, 'beta_2', 0.5)]:
        opt = cls()
        train = problem.build(opt, constrain=False)
        K.set_value(getattr(opt, name), value)
        history, _ = run_reference(cls, {name: value}, problem, constrain=False)
        for step in range(2):
            train([problem.xs[step], problem.ys[step]])
        np.testing.assert_allclose(K.get_value(problem.W), history[-1][0][0], rtol=1e-9,
                                   err_msg='%s.%s' % (cls.__name__, name))


# ----------------------------------------------------------------------------- configs

EXPECTED_KEYS = {
    SGD: {'lr', 'momentum', 'decay', 'nesterov'},
    RMSprop: {'lr', 'rho', 'epsilon', 'decay'},
    Adagrad: {'lr', 'epsilon', 'decay'},
    Adadelta: {'lr', 'rho', 'epsilon', 'decay'},
    Adam: {'lr', 'beta_1', 'beta_2', 'epsilon', 'decay'},
    Adamax: {'lr', 'beta_1', 'beta_2', 'epsilon', 'decay'},
    Nadam: {'lr', 'beta_1', 'beta_2', 'epsilon', 'schedule_decay'},
}

DEFAULTS = {
    SGD: dict(lr=0.01, momentum=0., decay=0., nesterov=False),
    RMSprop: dict(lr=0.001, rho=0.9, epsilon=1e-8, decay=0.),
    Adagrad: dict(lr=0.01, epsilon=1e-8, decay=0.),
    Adadelta: dict(lr=1.0, rho=0.95, epsilon=1e-8, decay=0.),
    Adam: dict(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8, decay=0.),
    Adamax: dict(lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=1e-8, decay=0.),
    Nadam: dict(lr=0.002, beta_1=0.9, beta_2=0.999, epsilon=1e-8, schedule_decay=0.004),
}


@pytest.mark.parametrize('cls', CLASSES, ids=lambda c: c.__name__)
def test_defaults_and_config_round_trip(cls):
    config = cls().get_config()
    assert set(config) == EXPECTED_KEYS[cls]
    for k, v in DEFAULTS[cls].items():
        assert type(config[k]) is type(v)
        # variables are float32: their values read back rounded
        np.testing.assert_allclose(config[k], v, rtol=1e-7)

    custom = {k: (not v if isinstance(v, bool) else v * 0.5 + 0.0625)
              for k, v in DEFAULTS[cls].items()}
    opt = cls(clipnorm=2., clipvalue=0.5, **custom)
    config = opt.get_config()
    assert set(config) == EXPECTED_KEYS[cls] | {'clipnorm', 'clipvalue'}
    for k, v in custom.items():
        np.testing.assert_allclose(config[k], v, rtol=1e-7)
    restored = cls.from_config(config)
    assert type(restored) is cls
    assert restored.get_config() == config
    assert restored.clipnorm == 2. and restored.clipvalue == 0.5


def test_unexpected_kwarg():
    for cls in CLASSES:
        with pytest.raises(TypeError, match='Unexpected keyword argument passed to optimizer: '
                                            'momentun'):
            cls(momentun=0.9)


def test_hyper_parameters_must_be_numbers():
    for cls in CLASSES:
        for name in DEFAULTS[cls]:
            if name == 'nesterov':
                continue
            for bad in ('0.1', [0.1], None, True):
                with pytest.raises(TypeError, match=r'%s: %s must be a number; got %s'
                                   % (cls.__name__, name, re.escape(repr(bad)))):
                    cls(**{name: bad})
    with pytest.raises(TypeError, match="Adam: clipnorm must be a number; got 'x'"):
        Adam(clipnorm='x')
    # numpy scalars and ints are numbers
    opt = SGD(lr=np.float32(0.5), momentum=1, decay=np.array(0.25))
    assert opt.get_config()['momentum'] == 1.0 and opt.get_config()['decay'] == 0.25


def test_base_optimizer():
    opt = optimizers.Optimizer(clipnorm=1.)
    assert opt.get_config() == {'clipnorm': 1.}
    assert optimizers.Optimizer().get_config() == {}
    assert opt.get_weights() == []
    with pytest.raises(TypeError, match='Optimizer is the base class'):
        opt.get_updates([], {}, None)


def test_optimizer_from_config():
    opt = optimizers.optimizer_from_config({'class_name': 'Adam', 'config': {'lr': 0.5}})
    assert type(opt) is Adam and float(K.get_value(opt.lr)) == 0.5
    # built-in names match in any case; missing 'config' means defaults
    assert type(optimizers.optimizer_from_config({'class_name': 'RMSPROP'})) is RMSprop

    class MyOpt(SGD):
        pass
    opt = optimizers.optimizer_from_config({'class_name': 'MyOpt', 'config': {'lr': 0.25}},
                                           custom_objects={'MyOpt': MyOpt})
    assert type(opt) is MyOpt and float(K.get_value(opt.lr)) == 0.25
    with custom_object_scope({'MyOpt': MyOpt}):
        assert type(optimizers.optimizer_from_config({'class_name': 'MyOpt',
                                                      'config': {}})) is MyOpt
    with pytest.raises(ValueError, match="optimizer class not found: 'Foo'"):
        optimizers.optimizer_from_config({'class_name': 'Foo', 'config': {}})
    with pytest.raises(ValueError, match="expected a dict {'class_name'"):
        optimizers.optimizer_from_config({'name': 'sgd'})


@pytest.mark.parametrize('cls', CLASSES, ids=lambda c: c.__name__)
def test_get_by_name_and_alias(cls):
    alias = cls.__name__.lower()
    assert getattr(optimizers, alias) is cls
    for name in (cls.__name__, alias):
        opt = optimizers.get(name)
        assert type(opt) is cls
        assert opt.get_config() == cls().get_config()
    opt = optimizers.get(alias, {'lr': 0.5, 'clipnorm': 1.})
    assert float(K.get_value(opt.lr)) == 0.5 and opt.clipnorm == 1.


def test_get_instances_and_configs():
    opt = Adam()
    assert optimizers.get(opt) is opt
    assert optimizers.get(opt, {'lr': 5.}) is opt
    keras1 = {'class_name': 'SGD', 'config': {'lr': 0.5, 'momentum': 0.25, 'nesterov': True}}
    opt = optimizers.get(keras1)
    assert type(opt) is SGD and opt.nesterov and float(K.get_value(opt.momentum)) == 0.25
    keras03 = {'name': 'SGD', 'lr': 0.5, 'momentum': 0.25, 'decay': 0., 'nesterov': False}
    opt = optimizers.get(keras03)
    assert type(opt) is SGD and float(K.get_value(opt.lr)) == 0.5
    assert keras03['name'] == 'SGD'       # the caller's dict is left as it was
    # a config round trip through get
    opt = optimizers.get({'class_name': 'Nadam', 'config': Nadam(lr=0.25).get_config()})
    assert float(K.get_value(opt.lr)) == 0.25


def test_get_bad_identifiers():
    with pytest.raises(ValueError, match='Invalid optimizer: adamw'):
        optimizers.get('adamw')
    with pytest.raises(ValueError, match='Invalid optimizer: Sgd'):
        optimizers.get('Sgd')          # names are case-sensitive, as in Keras
    with pytest.raises(ValueError, match="Invalid optimizer: {'name': 'foo'}"):
        optimizers.get({'name': 'foo'})
    with pytest.raises(ValueError, match="optimizer class not found: 'Foo'"):
        optimizers.get({'class_name': 'Foo', 'config': {}})
    for bad in (None, 3, ['sgd']):
        with pytest.raises(TypeError, match='Invalid optimizer: %s' % re.escape(repr(bad))):
            optimizers.get(bad)
    with pytest.raises(TypeError, match='Unexpected keyword argument passed to optimizer: bad'):
        optimizers.get('sgd', {'bad': 1})


# ----------------------------------------------------------------------------- end to end

E2E = [(SGD, {'lr': 0.5}), (SGD, {'lr': 0.1, 'momentum': 0.9, 'nesterov': True}),
       (RMSprop, {'lr': 0.02}), (Adagrad, {'lr': 0.5}), (Adadelta, {'epsilon': 1e-4}),
       (Adam, {'lr': 0.05}), (Adamax, {'lr': 0.05}), (Nadam, {'lr': 0.05})]


@pytest.mark.parametrize('case', E2E, ids=case_id)
def test_logistic_regression_converges(case):
    cls, kwargs = case
    rng = np.random.RandomState(3)
    X = rng.randn(400, 4).astype('float32')
    w_true = np.array([1.5, -2., 0.5, 1.], dtype='float32')
    score = X.dot(w_true) + 0.3
    keep = np.abs(score) > 0.5          # a margin: the set is linearly separable
    X, Y = X[keep], (score[keep] > 0).astype('float32')[:, None]

    W, b = K.variable(np.zeros((4, 1))), K.variable(np.zeros(1))
    x, y = K.placeholder(ndim=2), K.placeholder(ndim=2)
    p = K.sigmoid(K.dot(x, W) + b)
    loss = K.mean(K.binary_crossentropy(p, y))
    acc = K.mean(K.equal(K.round(p), y))
    opt = cls(**kwargs)
    train = K.function([x, y], [loss, acc], updates=opt.get_updates([W, b], {}, loss))
    first, _ = train([X, Y])
    for _ in range(300):
        last, accuracy = train([X, Y])
    assert float(accuracy) == 1.0, (float(first), float(last))
    assert float(last) < 0.25 * float(first)
