"""K.function: compile a graph once; run the whole step in one C++ call per batch."""
import collections
import contextlib
import gc

import numpy as np

from .graph import (Placeholder, ShapeError, Tensor, VariableLeaf, as_node, compatible_shapes,
                    describe, fmt_shape, is_float, toposort)
from . import lower, rewrite

OPTIONS = ('debug', 'name', 'optimize', 'profile')
CACHE_SIZE = 32   # programs kept per Function (one per input shapes seen), least recently made dropped


def function(inputs, outputs, updates=(), **options):
    """Compile `outputs` (and `updates`, a list of (variable, new_value)) as a function of the
    placeholders `inputs`. Options: name (str), debug (print each specialised program),
    profile (time each instruction; see Function.profile_report), optimize (default True:
    run the graph rewrites of backend/rewrite; False compiles the graph as built)."""
    for k in options:
        if k not in OPTIONS:
            raise ValueError('Invalid argument "%s" passed to K.function: symkeras accepts %s'
                             % (k, ', '.join(OPTIONS)))
    return Function(inputs, outputs, updates, **options)


class _InputSpec:
    __slots__ = ('node', 'label', 'dtype', 'np_dtype', 'shape', 'by_value')

    def __init__(self, pos, t):
        node = t.node
        if not isinstance(node.op, Placeholder):
            raise TypeError('K.function: input %d is a %s, not a placeholder; inputs must be '
                            'tensors made by K.placeholder' % (pos, node.op.name))
        self.node = node
        self.label = 'input %d (%r)' % (pos, node.op.name_) if node.op.name_ else 'input %d' % pos
        self.dtype = node.dtype
        self.np_dtype = np.dtype(node.dtype)
        self.shape = node.shape
        self.by_value = node.op.by_value

    def convert(self, x):
        """x as a C-contiguous array of this input's dtype, or a clear error."""
        arr = np.asarray(x)
        if arr.dtype.kind not in 'biuf':
            raise TypeError('K.function: %s expects %s data; got an array of dtype %s'
                            % (self.label, self.dtype, arr.dtype))
        if arr.dtype.kind == 'f' and self.np_dtype.kind in 'iub' and arr.size:
            if not np.all(np.isfinite(arr)) or not np.array_equal(arr, np.trunc(arr)):
                raise TypeError('K.function: %s expects %s data; got %s values that are not '
                                'whole numbers' % (self.label, self.dtype, arr.dtype))
        return np.asarray(arr, dtype=self.np_dtype, order='C')   # ascontiguousarray makes 0-d 1-d

    def check_shape(self, shape):
        if not compatible_shapes(self.shape, shape):
            raise ValueError('K.function: %s expects shape %s; got an array of shape %s'
                             % (self.label, fmt_shape(self.shape), fmt_shape(shape)))


class Function:
    def __init__(self, inputs, outputs, updates=(), name=None, debug=False, profile=False,
                 optimize=True):
        if not isinstance(inputs, (list, tuple)):
            raise TypeError('K.function: inputs must be a list of placeholders; got %r' % (inputs,))
        self.name = name
        self.debug = debug
        self.profile = profile
        self._single = not isinstance(outputs, (list, tuple))
        outputs = [outputs] if self._single else list(outputs)
        self._specs = [_InputSpec(i, t) for i, t in enumerate(inputs)]
        _check_distinct(self._specs)
        self._outputs = [as_node(o) for o in outputs]
        self._updates = _dedupe_updates(updates)
        if optimize:
            with _collector_paused():
                self._rewrite()
        roots = self._outputs + [v for _, v in self._updates] + [w for w, _ in self._updates]
        self._order = toposort(roots)
        self._check_inputs()
        self._runtime = [s for s in self._specs if not s.by_value]
        self._cache = collections.OrderedDict()   # input shapes -> (program, nodes), LRU
        self._step = 0
        self._profiles = []    # every program made, when profiling

    def _rewrite(self):
        """Outputs and update values after the graph rewrites (one pass over all of them, so
        what they share stays shared)."""
        n = len(self._outputs)
        before = self._outputs + [v for _, v in self._updates]
        roots = rewrite.optimize(before)
        if self.debug:
            print('K.function %s: graph of %d nodes, %d after the rewrites'
                  % (self.name or '', len(toposort(before)), len(toposort(roots))))
        self._outputs = roots[:n]
        self._updates = [(w, v) for (w, _), v in zip(self._updates, roots[n:])]

    def _check_inputs(self):
        given = {s.node for s in self._specs}
        for node in self._order:
            if isinstance(node.op, Placeholder) and node not in given:
                what = repr(node.op.name_) if node.op.name_ else 'an unnamed placeholder'
                raise ValueError('K.function: the outputs depend on %s, which is not among the '
                                 'inputs%s' % (what, describe(node.prov)))

    def __call__(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise TypeError('K.function: call with a list of arrays, one per input; got %s'
                            % type(inputs).__name__)
        if len(inputs) != len(self._specs):
            raise ValueError('K.function: expected %d inputs (%s); got %d'
                             % (len(self._specs), ', '.join(s.label for s in self._specs), len(inputs)))
        arrays, key = [], []
        for x, spec in zip(inputs, self._specs):
            if not (type(x) is np.ndarray and x.dtype == spec.np_dtype and x.flags.c_contiguous):
                x = spec.convert(x)
            if spec.by_value:
                key.append(x.item())
            else:
                arrays.append(x)
                key.append(x.shape)
        key = tuple(key)
        entry = self._cache.get(key)
        if entry is None:
            with _collector_paused():
                entry = self._specialise(key)
        program, nodes = entry
        try:
            outs = program.run(arrays, self._step)
        except lower.KernelError as e:
            message, instr = e.args
            node = nodes[instr]
            raise RuntimeError(message + (describe(node.prov) if node is not None else '')) from None
        finally:
            self._step += 1
        return outs[0] if self._single else outs

    def _specialise(self, key):
        metas = {}
        for spec, k in zip(self._specs, key):
            if spec.by_value:
                metas[spec.node] = lower.Meta((), spec.dtype, np.asarray(k, dtype=spec.dtype), spec.node)
            else:
                spec.check_shape(k)
                metas[spec.node] = lower.Meta(k, spec.dtype, None, spec.node)
        metas = lower.specialise(self._order, metas)
        program, nodes = lower.build_program(self._order, metas, [s.node for s in self._runtime],
                                             self._outputs, self._updates)
        program.profile = self.profile
        entry = (program, nodes)
        self._cache[key] = entry
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        if self.profile:
            self._profiles.append((key, program, nodes))
        if self.debug:
            print(self.describe_program(key, program, nodes))
        return entry

    def describe_program(self, key, program, nodes):
        names = lower.KERNEL_NAMES
        lines = ['K.function %s, inputs %s: %d instructions, arena %d bytes'
                 % (self.name or '', key, len(program), program.arena_bytes)]
        for i, (k, node) in enumerate(zip(program.kernels, nodes)):
            where = describe(node.prov) if node is not None else ' [outputs and updates]'
            op = node.op.name if node is not None else ''
            detail = ' {%s}' % node.op.detail if node is not None and node.op.detail else ''
            kernel = names[k] if k >= 0 else 'loop' if k == -2 else 'callback'
            lines.append('%4d  %-14s %-18s%s%s' % (i, kernel, op, where, detail))
        return '\n'.join(lines)

    def profile_report(self):
        """Seconds spent per instruction, summed over calls, slowest first (profile=True)."""
        rows = []
        for key, program, nodes in self._profiles:
            for i, (sec, node) in enumerate(zip(program.instr_seconds, nodes)):
                op = node.op.name if node is not None else 'commit'
                rows.append((sec, i, op, describe(node.prov) if node is not None else ''))
        rows.sort(reverse=True)
        return '\n'.join('%10.6f s  #%-4d %-16s%s' % r for r in rows)


def _check_distinct(specs):
    seen = {}
    for s in specs:
        if s.node in seen:
            raise ValueError('K.function: %s and %s are the same placeholder; each input must be '
                             'given once' % (seen[s.node].label, s.label))
        seen[s.node] = s


@contextlib.contextmanager
def _collector_paused():
    """Compiling allocates many small objects and frees none of them in cycles, so Python's
    cyclic collector would only rescan them: pausing it saves a third of the compile time of
    large graphs. It is restarted afterwards if it was running."""
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()


def _dedupe_updates(updates):
    """[(variable node, value node)], first update of a variable wins (as in Keras 1)."""
    out, seen = [], set()
    for pair in updates or ():
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise TypeError('K.function: each update must be a (variable, new_value) pair; got %r' % (pair,))
        var, value = pair
        if not isinstance(var, Tensor) or not isinstance(var.node.op, VariableLeaf):
            raise TypeError('K.function: an update target must be a variable made by K.variable; got %r'
                            % (var,))
        vnode = var.node
        if vnode in seen:
            continue
        seen.add(vnode)
        val = as_node(value, vnode.dtype if not isinstance(value, Tensor) else None)
        if val.dtype != vnode.dtype:
            if is_float(val.dtype) != is_float(vnode.dtype):
                raise TypeError('K.function: update of %s: the variable is %s but its new value is %s'
                                % (lower.variable_label(vnode), vnode.dtype, val.dtype))
            from .ops.elementwise import cast
            val = cast(Tensor(val), vnode.dtype).node
        if not compatible_shapes(val.shape, vnode.shape):
            raise ShapeError('K.function: update of %s: the variable has shape %s but its new value '
                             'has shape %s%s' % (lower.variable_label(vnode), fmt_shape(vnode.shape),
                                                fmt_shape(val.shape), describe(val.prov)))
        out.append((vnode, val))
    return out


