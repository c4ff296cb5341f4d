"""Keras 1 `keras.utils.generic_utils`: name lookup for the helper modules (activations,
initializations, regularizers, constraints, optimizers, objectives), the registry of user
objects, (de)serialisation of Python functions for Lambda layers, and the progress bar."""
import base64
import marshal
import math
import sys
import time
import types

import numpy as np

_GLOBAL_CUSTOM_OBJECTS = {}


def get_custom_objects():
    """The live dict of user objects; names in it are found before the built-in ones."""
    return _GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope(object):
    """Context manager: inside the `with`, the given dicts of name -> object are custom
    objects; on exit the registry is restored to what it was on entry."""

    def __init__(self, *args):
        for i, objects in enumerate(args):
            if not isinstance(objects, dict):
                raise TypeError('CustomObjectScope: argument %d must be a dict of name -> '
                                'object; got %r' % (i, objects))
        self.custom_objects = args
        self.backup = None

    def __enter__(self):
        self.backup = dict(_GLOBAL_CUSTOM_OBJECTS)
        for objects in self.custom_objects:
            _GLOBAL_CUSTOM_OBJECTS.update(objects)
        return self

    def __exit__(self, *exc_info):
        _GLOBAL_CUSTOM_OBJECTS.clear()
        _GLOBAL_CUSTOM_OBJECTS.update(self.backup)
        return False


def custom_object_scope(*args):
    """`with custom_object_scope({'MyReg': MyReg}): ...` (a CustomObjectScope)."""
    return CustomObjectScope(*args)


def _lookup(name, module_params):
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    return module_params.get(name)


def get_from_module(identifier, module_params, module_name, instantiate=False, kwargs=None):
    """Resolve `identifier` as Keras 1 does:
    - a string is looked up in the custom objects, then in `module_params` (a dict of name ->
      object); with `instantiate`, the object found is called with `kwargs`;
    - a dict is a saved config: Keras 1's {'name': ..., **arguments} (what regularizers and
      constraints' get_config return) or {'class_name': ..., 'config': {...}}; the object
      named is built from it (with its from_config if it has one);
    - anything else (a function, an instance) is returned as it is."""
    if isinstance(identifier, str):
        res = _lookup(identifier, module_params)
        if res is None:
            raise ValueError('Invalid %s: %s' % (module_name, identifier))
        if instantiate:
            return res(**(kwargs or {}))
        return res
    if isinstance(identifier, dict):
        return _from_config(identifier, module_params, module_name)
    return identifier


def _from_config(config, module_params, module_name):
    if 'class_name' in config and 'config' in config:
        name, args = config['class_name'], config['config']
    elif 'name' in config:
        # Keras 1.2.2 pops 'name' from the caller's dict; a copy leaves the config reusable.
        args = dict(config)
        name = args.pop('name')
    else:
        raise ValueError("Invalid %s: %r (a config dict needs a 'name' key, or 'class_name' "
                         "and 'config')" % (module_name, config))
    res = _lookup(name, module_params) if isinstance(name, str) else None
    if res is None:
        raise ValueError('Invalid %s: %r' % (module_name, config))
    if hasattr(res, 'from_config'):
        return res.from_config(args)
    return res(**args)


def get_callable(identifier, module_params, module_name, instantiate=False, kwargs=None,
                 what='a name or a callable'):
    """get_from_module for things that must be callable (activations, initializations,
    regularizers, constraints): anything else is a ValueError naming it and `what` was expected."""
    res = get_from_module(identifier, module_params, module_name, instantiate=instantiate,
                          kwargs=kwargs)
    if not callable(res):
        raise ValueError('Invalid %s: %r (expected %s)' % (module_name, identifier, what))
    return res


def check_number(owner, name, value, integer=False, minimum=None):
    """`value` checked to be a real number and returned as a float (an int with `integer`).
    Python and numpy ints and floats (and 0-d arrays of them) pass; a bool, a string, None or
    an array is a TypeError. NaN, a fraction when `integer`, or a value below `minimum` is a
    ValueError. Both errors name `owner`, the argument `name` and the value."""
    if type(value) in (int, float):        # the common case, without a numpy round trip
        number = value
    else:
        arr = None if isinstance(value, (bool, np.bool_, str, bytes)) else np.asarray(value)
        if arr is None or arr.ndim != 0 or arr.dtype.kind not in 'iuf':
            raise TypeError(_number_message(owner, name, value, integer, minimum))
        number = arr.item()
    fractional = isinstance(number, float) and (math.isnan(number) or
                                                (integer and not number.is_integer()))
    if fractional or (minimum is not None and number < minimum):
        raise ValueError(_number_message(owner, name, value, integer, minimum))
    return int(number) if integer else float(number)


def _number_message(owner, name, value, integer, minimum):
    wanted = ('a whole number' if integer else 'a number') + (
        '' if minimum is None else ' >= %s' % minimum)
    return '%s: %s must be %s; got %r' % (owner, name, wanted, value)


def make_tuple(*args):
    return args


def func_dump(func):
    """(code, defaults, closure) of a Python function: code is its marshalled bytecode as
    base64 text (safe in JSON and YAML), closure the values of its free variables. Marshalled
    code can only be loaded by the Python version that wrote it."""
    code = base64.b64encode(marshal.dumps(func.__code__)).decode('ascii')
    closure = tuple(c.cell_contents for c in func.__closure__) if func.__closure__ else None
    return code, func.__defaults__, closure


def func_load(code, defaults=None, closure=None, globs=None):
    """The function dumped by func_dump (also accepts the dump as one tuple or list, and the
    raw_unicode_escape text Keras 1 wrote). Its globals are `globs` (default: this module's)."""
    if isinstance(code, (tuple, list)):
        code, defaults, closure = code
    if isinstance(defaults, list):         # a JSON round trip turns tuples into lists
        defaults = tuple(defaults)
    if not isinstance(code, str):
        raise TypeError('func_load: code must be the text made by func_dump; got %r' % (code,))
    try:
        raw = base64.b64decode(code, validate=True)
    except ValueError:                     # not base64: Keras 1's text (binascii.Error too)
        raw = code.encode('raw_unicode_escape')
    try:
        code_obj = marshal.loads(raw)
    except (ValueError, EOFError, TypeError) as e:
        raise ValueError('func_load: the code is not marshalled Python %d.%d bytecode (%s); '
                         'marshalled code only loads in the Python version that wrote it'
                         % (sys.version_info[0], sys.version_info[1], e)) from None
    if not isinstance(code_obj, types.CodeType):
        raise ValueError('func_load: the code holds a %s, not a code object'
                         % type(code_obj).__name__)
    closure = tuple(closure or ())
    if len(closure) != len(code_obj.co_freevars):
        raise ValueError('func_load: function %r uses %d closure variables %s; got %d values'
                         % (code_obj.co_name, len(code_obj.co_freevars), code_obj.co_freevars,
                            len(closure)))
    cells = tuple(types.CellType(v) for v in closure) if closure else None
    return types.FunctionType(code_obj, globals() if globs is None else globs,
                              name=code_obj.co_name, argdefs=defaults, closure=cells)


class Progbar(object):
    """A progress bar over `target` steps (samples in Keras' training loops).

    verbose=1 redraws one line:  '  32/1000 [>...] - ETA: 12s - loss: 0.6931', at most every
    `interval` seconds (and always for the last step), ending with the total time and a
    newline; verbose=2 prints one line at the end: '3s - loss: 0.6931'. Values given as
    (name, value) are averaged over the steps, each weighted by the number of steps it covers
    (the batch size)."""

    def __init__(self, target, width=30, verbose=1, interval=0.05):
        self.target = check_number('Progbar', 'target', target, integer=True, minimum=1)
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.sum_values = {}
        self.unique_values = []
        self.start = time.time()
        self.last_update = 0
        self.total_width = 0
        self.seen_so_far = 0

    def update(self, current, values=None, force=False):
        """Move to step `current`; `values` is a list of (name, value for the steps since the
        last update); `force` redraws even within `interval` of the last redraw."""
        steps = current - self.seen_so_far
        for name, value in values or []:
            if name not in self.sum_values:
                self.sum_values[name] = [value * steps, steps]
                self.unique_values.append(name)
            else:
                self.sum_values[name][0] += value * steps
                self.sum_values[name][1] += steps
        self.seen_so_far = current

        now = time.time()
        if self.verbose == 1:
            if not force and now - self.last_update < self.interval and current < self.target:
                return
            sys.stdout.write(self._line(current, now))
            sys.stdout.flush()
        elif self.verbose == 2 and current >= self.target:
            info = '%ds' % (now - self.start)
            for name in self.unique_values:
                # Keras 1 tests avg > 1e-3 here (not abs): negative means print as %.4e.
                avg = self._average(name)
                info += ' - %s: ' % name + ('%.4f' % avg if avg > 1e-3 else '%.4e' % avg)
            sys.stdout.write(info + '\n')
            sys.stdout.flush()
        self.last_update = now

    def add(self, n, values=None):
        """Advance by `n` steps."""
        self.update(self.seen_so_far + n, values)

    def _average(self, name):
        total, count = self.sum_values[name]
        return float(np.mean(total / max(1, count)))

    def _line(self, current, now):
        """Backspaces and '\\r' over the previous line, the bar, the times and the averages,
        padded with spaces over a longer previous line (Keras 1's exact output)."""
        digits = len(str(self.target))
        bar = '%*d/%*d [' % (digits, current, digits, self.target)
        done = int(self.width * float(current) / self.target)
        if done > 0:
            bar += '=' * (done - 1) + ('>' if current < self.target else '=')
        bar += '.' * (self.width - done) + ']'

        time_per_unit = (now - self.start) / current if current else 0
        if current < self.target:
            info = ' - ETA: %ds' % (time_per_unit * (self.target - current))
        else:
            info = ' - %ds' % (now - self.start)
        for name in self.unique_values:
            avg = self._average(name)
            info += ' - %s: ' % name + ('%.4f' % avg if abs(avg) > 1e-3 else '%.4e' % avg)

        prev_width = self.total_width
        self.total_width = len(bar) + len(info)
        if prev_width > self.total_width:
            info += ' ' * (prev_width - self.total_width)
        end = '\n' if current >= self.target else ''
        return '\b' * prev_width + '\r' + bar + info + end
