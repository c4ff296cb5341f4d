import json
import marshal
import re
import types

import numpy as np
import pytest

from symkeras.utils import generic_utils
from symkeras.utils.generic_utils import (CustomObjectScope, Progbar, custom_object_scope,
                                          func_dump, func_load, get_custom_objects,
                                          get_from_module, make_tuple)


# ---------------------------------------------------------------------------- get_from_module

class Thing(object):
    def __init__(self, a=1, b=2):
        self.a, self.b = a, b


class Configured(object):
    def __init__(self, **kw):
        self.kw = kw

    @classmethod
    def from_config(cls, config):
        obj = cls(**config)
        obj.from_config_used = True
        return obj


def double(x):
    return 2 * x


MODULE = {'Thing': Thing, 'Configured': Configured, 'double': double}


def test_string_is_looked_up():
    assert get_from_module('double', MODULE, 'function') is double
    assert get_from_module('Thing', MODULE, 'thing') is Thing


def test_unknown_string_is_a_value_error():
    with pytest.raises(ValueError, match='^Invalid optimizer: nope$'):
        get_from_module('nope', MODULE, 'optimizer')


def test_instantiate_with_and_without_kwargs():
    t = get_from_module('Thing', MODULE, 'thing', instantiate=True)
    assert isinstance(t, Thing) and (t.a, t.b) == (1, 2)
    t = get_from_module('Thing', MODULE, 'thing', instantiate=True, kwargs={'b': 5})
    assert (t.a, t.b) == (1, 5)
    t = get_from_module('Thing', MODULE, 'thing', instantiate=True, kwargs={})
    assert (t.a, t.b) == (1, 2)


def test_kwargs_are_ignored_without_instantiate():
    assert get_from_module('Thing', MODULE, 'thing', kwargs={'a': 3}) is Thing


def test_objects_and_callables_are_returned_as_they_are():
    t = Thing()
    assert get_from_module(t, MODULE, 'thing') is t
    assert get_from_module(t, MODULE, 'thing', instantiate=True) is t
    f = lambda x: x   # noqa: E731
    assert get_from_module(f, MODULE, 'function') is f
    assert get_from_module(None, MODULE, 'function') is None


def test_keras1_name_config_is_instantiated_and_not_mutated():
    config = {'name': 'Thing', 'a': 7}
    t = get_from_module(config, MODULE, 'thing')
    assert isinstance(t, Thing) and (t.a, t.b) == (7, 2)
    assert config == {'name': 'Thing', 'a': 7}
    # a dict is instantiated whatever `instantiate` says (Keras 1)
    assert isinstance(get_from_module(config, MODULE, 'thing', instantiate=False), Thing)


def test_class_name_config_uses_from_config_when_present():
    t = get_from_module({'class_name': 'Thing', 'config': {'b': 9}}, MODULE, 'thing')
    assert isinstance(t, Thing) and (t.a, t.b) == (1, 9)
    c = get_from_module({'class_name': 'Configured', 'config': {'lr': 0.1}}, MODULE, 'thing')
    assert c.from_config_used and c.kw == {'lr': 0.1}


def test_bad_configs_are_value_errors():
    with pytest.raises(ValueError, match="Invalid constraint: .*'nope'"):
        get_from_module({'name': 'nope'}, MODULE, 'constraint')
    with pytest.raises(ValueError, match="Invalid thing: .*'Nope'"):
        get_from_module({'class_name': 'Nope', 'config': {}}, MODULE, 'thing')
    with pytest.raises(ValueError, match="needs a 'name' key, or 'class_name' and 'config'"):
        get_from_module({'l1': 0.1}, MODULE, 'regularizer')
    with pytest.raises(ValueError, match='Invalid thing'):
        get_from_module({'name': 3}, MODULE, 'thing')


# ---------------------------------------------------------------------------- custom objects

def test_get_custom_objects_is_the_live_registry():
    objs = get_custom_objects()
    assert get_custom_objects() is objs
    objs['triple'] = lambda x: 3 * x
    try:
        assert get_from_module('triple', MODULE, 'function')(2) == 6
    finally:
        del objs['triple']
    with pytest.raises(ValueError, match='Invalid function: triple'):
        get_from_module('triple', MODULE, 'function')


def test_custom_objects_come_before_module_objects():
    def other(x):
        return x
    with custom_object_scope({'double': other}):
        assert get_from_module('double', MODULE, 'function') is other
    assert get_from_module('double', MODULE, 'function') is double


def test_custom_object_scope_merges_dicts_and_restores_on_exit():
    get_custom_objects()['kept'] = 1
    try:
        with custom_object_scope({'a': Thing}, {'b': Thing, 'kept': 2}) as scope:
            assert isinstance(scope, CustomObjectScope)
            assert get_custom_objects()['a'] is Thing and get_custom_objects()['kept'] == 2
            assert isinstance(get_from_module({'name': 'b', 'a': 4}, {}, 'thing'), Thing)
            get_custom_objects()['added_inside'] = 3
            with CustomObjectScope({'c': 3}):
                assert get_custom_objects()['a'] is Thing and get_custom_objects()['c'] == 3
            assert 'c' not in get_custom_objects()
        assert get_custom_objects() == {'kept': 1}
    finally:
        get_custom_objects().clear()


def test_custom_object_scope_restores_after_an_exception():
    with pytest.raises(KeyError):
        with custom_object_scope({'x': 1}):
            raise KeyError('boom')
    assert 'x' not in get_custom_objects()


def test_custom_object_scope_rejects_non_dicts():
    with pytest.raises(TypeError, match="argument 1 must be a dict .* got \\['x'\\]"):
        CustomObjectScope({}, ['x'])


def test_make_tuple():
    assert make_tuple(1, 'a', None) == (1, 'a', None)
    assert make_tuple() == ()


# ---------------------------------------------------------------------------- func_dump / load

def test_func_dump_load_round_trip_with_defaults():
    def affine(x, a=2, b=3):
        return a * x + b
    code, defaults, closure = func_dump(affine)
    assert isinstance(code, str) and defaults == (2, 3) and closure is None
    g = func_load(code, defaults)
    assert g.__name__ == 'affine' and g(5) == 13 and g(5, b=0) == 10


def test_func_dump_load_round_trip_with_closure_and_json():
    k, offset = 4, 1.5

    def scaled(x):
        return k * x + offset
    dump = func_dump(scaled)
    assert dump[2] == (4, 1.5)
    restored = json.loads(json.dumps(dump))        # what a saved model config holds
    g = func_load(restored)                          # the dump as one list
    assert g(2) == 9.5
    g = func_load(*dump)
    assert g(1) == 5.5


def test_func_load_defaults_list_and_globs():
    dump = func_dump(lambda x, n=[1]: np_sum(x) + len(n))
    g = func_load(dump[0], [[1, 2]], globs={'np_sum': np.sum})
    assert g.__defaults__ == ([1, 2],) and g(np.ones(3)) == 5
    with pytest.raises(NameError, match='np_sum'):
        func_load(dump[0], dump[1])(np.ones(3))


def test_func_load_reads_keras1_raw_unicode_escape_text():
    def plus_one(x):
        return x + 1
    raw = marshal.dumps(plus_one.__code__)
    keras1_text = raw.decode('raw_unicode_escape')
    assert func_load(keras1_text)(1) == 2


def test_func_load_bad_code():
    with pytest.raises(ValueError, match='not marshalled Python .* bytecode'):
        func_load('AAAA')
    with pytest.raises(ValueError, match='holds a int, not a code object'):
        func_load(func_dump_of(12345))
    with pytest.raises(TypeError, match='code must be the text made by func_dump; got 3'):
        func_load(3)


def func_dump_of(value):
    import base64
    return base64.b64encode(marshal.dumps(value)).decode('ascii')


def test_func_load_wrong_closure_length():
    k = 2

    def uses_k(x):
        return k * x
    code, defaults, _ = func_dump(uses_k)
    with pytest.raises(ValueError, match=r"'uses_k' uses 1 closure variables \('k',\); got 0"):
        func_load(code, defaults, None)
    with pytest.raises(ValueError, match='uses 1 closure variables .* got 2'):
        func_load(code, defaults, (1, 2))


# ---------------------------------------------------------------------------- Progbar

class Clock(object):
    def __init__(self, t=100.0):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(generic_utils, 'time', types.SimpleNamespace(time=c))
    return c


def redraw(prev_line, line):
    return '\b' * len(prev_line) + '\r' + line


def test_progbar_verbose1_exact_output(clock, capsys):
    bar = Progbar(1000)
    clock.t = 101.0
    bar.update(32, [('loss', 0.6931)])
    l1 = '  32/1000 [..............................] - ETA: 30s - loss: 0.6931'
    assert capsys.readouterr().out == redraw('', l1)

    clock.t = 101.01                       # within the 0.05 s interval: nothing drawn
    bar.update(64, [('loss', 0.5)])
    assert capsys.readouterr().out == ''

    clock.t = 102.0
    bar.update(500, [('loss', 0.4)])
    # mean over samples: (0.6931 * 32 + 0.5 * 32 + 0.4 * 436) / 500 = 0.42516
    l2 = ' 500/1000 [' + '=' * 14 + '>' + '.' * 15 + '] - ETA: 2s - loss: 0.4252'
    # one character shorter than l1: a space erases the rest of l1
    assert capsys.readouterr().out == redraw(l1, l2 + ' ')

    clock.t = 104.5
    bar.update(1000, [('loss', 0.1)])
    l3 = '1000/1000 [' + '=' * 30 + '] - 4s - loss: 0.2626'
    # backspaces over l2 without its padding (Keras 1 counts it so), l3 padded with spaces
    # to l2's length, then a newline
    assert capsys.readouterr().out == redraw(l2, l3 + '     \n')


def test_progbar_last_step_drawn_even_within_interval(clock, capsys):
    bar = Progbar(10, interval=5.0)
    clock.t = 101.0
    bar.update(5)
    l1 = ' 5/10 [' + '=' * 14 + '>' + '.' * 15 + '] - ETA: 1s'
    assert capsys.readouterr().out == redraw('', l1)
    clock.t = 102.0
    bar.update(8)
    assert capsys.readouterr().out == ''
    bar.update(8, force=True)
    l2 = ' 8/10 [' + '=' * 23 + '>' + '.' * 6 + '] - ETA: 0s'
    assert capsys.readouterr().out == redraw(l1, l2)
    bar.update(10)
    l3 = '10/10 [' + '=' * 30 + '] - 2s'
    assert capsys.readouterr().out == redraw(l2, l3 + '     \n')


def test_progbar_add_weights_values_by_steps(clock, capsys):
    bar = Progbar(40, width=10)
    clock.t = 100.5
    bar.add(32, [('loss', 1.0), ('acc', 0.25)])
    l1 = '32/40 [' + '=' * 7 + '>' + '..' + '] - ETA: 0s - loss: 1.0000 - acc: 0.2500'
    assert capsys.readouterr().out == redraw('', l1)
    assert bar.seen_so_far == 32
    clock.t = 102.0
    bar.add(8, [('acc', np.float32(1.0)), ('loss', np.array(0.0))])
    l2 = '40/40 [' + '=' * 10 + '] - 2s - loss: 0.8000 - acc: 0.4000'
    assert capsys.readouterr().out == redraw(l1, l2 + ' ' * (len(l1) - len(l2)) + '\n')


def test_progbar_small_values_use_exponent(clock, capsys):
    bar = Progbar(2)
    clock.t = 100.0
    bar.update(2, [('lr', 1e-5), ('neg', -0.5), ('tiny_neg', -2e-4), ('zero', 0.0)])
    assert capsys.readouterr().out == (
        '\r2/2 [' + '=' * 30 + '] - 0s - lr: 1.0000e-05 - neg: -0.5000'
        ' - tiny_neg: -2.0000e-04 - zero: 0.0000e+00\n')


def test_progbar_at_zero_and_eta(clock, capsys):
    bar = Progbar(100)
    bar.update(0)
    assert capsys.readouterr().out == '\r  0/100 [' + '.' * 30 + '] - ETA: 0s'


def test_progbar_verbose2_prints_one_line_at_the_end(clock, capsys):
    bar = Progbar(100, verbose=2)
    clock.t = 101.0
    bar.update(50, [('loss', 0.7)])
    assert capsys.readouterr().out == ''
    clock.t = 103.9
    bar.update(100, [('loss', 0.5), ('acc', 0.75)])
    # Keras 1 tests avg > 1e-3 here, so a negative mean prints with an exponent
    assert capsys.readouterr().out == '3s - loss: 0.6000 - acc: 0.7500\n'
    bar = Progbar(4, verbose=2)
    clock.t = 106.9
    bar.update(4, [('loss', -0.5)])
    assert capsys.readouterr().out == '3s - loss: -5.0000e-01\n'


def test_progbar_verbose0_is_silent(clock, capsys):
    bar = Progbar(10, verbose=0)
    bar.update(5, [('loss', 1.0)])
    bar.update(10, [('loss', 2.0)])
    assert capsys.readouterr().out == ''
    assert bar.sum_values['loss'] == [15.0, 10]


@pytest.mark.parametrize('target, error', [
    (0, ValueError), (-3, ValueError), (2.5, ValueError), (True, TypeError),
    ('ten', TypeError), (None, TypeError)])
def test_progbar_bad_target(target, error):
    with pytest.raises(error, match='Progbar: target must be a whole number >= 1; got %s'
                       % repr(target).replace('.', r'\.')):
        Progbar(target)


def test_progbar_accepts_whole_floats_and_numpy_ints(clock, capsys):
    Progbar(np.int64(12)).update(3)
    Progbar(12.0).update(3)
    line = '\r 3/12 [' + '=' * 6 + '>' + '.' * 23 + '] - ETA: 0s'
    assert capsys.readouterr().out == line + line


# ---------------------------------------------------------------------------- check_number

@pytest.mark.parametrize('value, kwargs, expected', [
    (0.5, {}, 0.5), (3, {}, 3.0), (np.float32(0.25), {}, 0.25), (np.int64(2), {}, 2.0),
    (np.array(1.5), {}, 1.5), (float('inf'), {}, float('inf')),
    (3, dict(integer=True), 3), (3.0, dict(integer=True), 3), (np.uint8(7), dict(integer=True), 7),
    (10 ** 30, dict(integer=True), 10 ** 30), (0, dict(minimum=0), 0.0),
    (2, dict(integer=True, minimum=2), 2)])
def test_check_number_returns_a_python_number(value, kwargs, expected):
    got = generic_utils.check_number('Owner', 'arg', value, **kwargs)
    assert got == expected
    assert type(got) is (int if kwargs.get('integer') else float)


@pytest.mark.parametrize('value', [True, np.bool_(False), '1', b'1', None, [1], (1,),
                                   np.array([1.0]), 1j, object()])
def test_check_number_rejects_non_numbers_with_a_type_error(value):
    with pytest.raises(TypeError, match=r'^Owner: arg must be a number; got %s$'
                       % re.escape(repr(value))):
        generic_utils.check_number('Owner', 'arg', value)


@pytest.mark.parametrize('value, kwargs, wanted', [
    (float('nan'), {}, 'a number'), (np.float64('nan'), dict(minimum=0), 'a number >= 0'),
    (2.5, dict(integer=True), 'a whole number'), (float('inf'), dict(integer=True),
                                                  'a whole number'),
    (-1, dict(minimum=0), 'a number >= 0'), (0, dict(integer=True, minimum=1),
                                             'a whole number >= 1'),
    (np.float32(0.5), dict(minimum=1.5), 'a number >= 1.5')])
def test_check_number_rejects_bad_values_with_a_value_error(value, kwargs, wanted):
    with pytest.raises(ValueError, match=r'^Owner: arg must be %s; got %s$'
                       % (wanted, re.escape(repr(value)))):
        generic_utils.check_number('Owner', 'arg', value, **kwargs)
