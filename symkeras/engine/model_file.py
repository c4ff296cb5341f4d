"""Whole-model files in Keras 1.2.2's layout (`model.save`, `save_model`, `load_model`):

    /                    attr keras_version   = '1.2.2'
    /                    attr model_config    = JSON {"class_name", "config": get_config()}
    /                    attr training_config = JSON (compiled models only): {"optimizer_config":
                             {"class_name", "config"}, "loss", "metrics", "sample_weight_mode",
                             "loss_weights"}
    /model_weights/      the save_weights layout (engine.saving)
    /optimizer_weights/  attr weight_names = param_0, param_1, ... (Theano's unnamed variables);
                         datasets param_i = optimizer.weights in order: the iteration count,
                         then each slot list over the trainable weights sorted by name

load_model rebuilds the model, loads its weights, compiles it with the saved training
configuration and restores the optimizer's state, so that training continues where it stopped.
Reading never runs code from the file: Python functions saved as bytecode (Lambda, Merge) are
refused unless allow_code=True.
"""
import importlib
import json
import os
import warnings

import numpy as np

from .. import __version__ as keras_version
from .. import backend as K
from .. import metrics as metrics_module
from .. import objectives, optimizers
from ..utils.io_utils import ask_to_proceed_with_overwrite, atomic_write_path
from . import saving


# ----------------------------------------------------------------------------- saving

def _json_default(obj):
    """Keras 1.2.2's get_json_type: objects with get_config as {"class_name", "config"},
    functions and classes by name, numpy values as Python values."""
    if hasattr(obj, 'get_config'):
        return {'class_name': obj.__class__.__name__, 'config': obj.get_config()}
    if callable(obj) and hasattr(obj, '__name__'):
        return obj.__name__
    return saving._json_default(obj)


def _dumps(value):
    return json.dumps(value, default=_json_default).encode('utf8')


def _is_graph(model):
    """A 0.3-style Graph: compiled with per-output dicts (sample_weight_modes) and no
    metrics."""
    from .graph import Graph
    return isinstance(model, Graph)


def _training_config(model):
    graph = _is_graph(model)
    return {'optimizer_config': {'class_name': model.optimizer.__class__.__name__,
                                 'config': model.optimizer.get_config()},
            'loss': model.loss, 'metrics': None if graph else model.metrics,
            'sample_weight_mode': model.sample_weight_modes if graph
            else model.sample_weight_mode,
            'loss_weights': model.loss_weights}


def _file_slots(model):
    """The optimizer's weights in the order and shapes Keras 1.2.2 stores them, as
    [(variable, index)]: the value is variable[index] (index None: all of it). Keras'
    optimizers keep one slot per trainable weight, in the order of the model's trainable
    weights sorted by name, and a recurrent layer's trainable weights there are its per-gate
    blocks (lstm_1_U_c, ...), where symkeras trains the fused matrices they are views of
    (layers/recurrent.py GateWeight). So each group of slots (one per parameter) is listed in
    Keras' order of those blocks."""
    gates = {}                  # id(fused variable) -> its per-gate views
    for layer in _leaf_layers(model):
        for w in layer.weights:
            if hasattr(w, 'fused'):
                gates.setdefault(id(w.fused), []).append(w)
    out, slots = [], list(model.optimizer.weights)
    while slots:
        group = _slot_group(slots)
        if not group:
            out.append((slots.pop(0), None))
            continue
        del slots[:len(group)]
        slot_of = {id(s_.slot_of): s_ for s_ in group}
        keras = []
        for s_ in group:
            views = gates.get(id(s_.slot_of))
            keras += [(v.name, slot_of[id(v.fused)], v.index) for v in views] if views \
                else [(s_.slot_of.name, s_, None)]
        if any(index is not None for _, _, index in keras):   # Keras sorts its weights by name
            keras.sort(key=lambda entry: entry[0] or '')
        out += [(slot, index) for _, slot, index in keras]
    return out


def _slot_group(slots):
    """The leading run of `slots` that holds one slot per parameter (until a parameter comes
    again); [] when the first one is not a parameter's slot (the iteration count)."""
    group, seen = [], set()
    for s_ in slots:
        p = getattr(s_, 'slot_of', None)
        if p is None or id(p) in seen:
            break
        seen.add(id(p))
        group.append(s_)
    return group


def _leaf_layers(model):
    """The layers of a model, nested models' layers included."""
    for layer in getattr(model, 'layers', None) or []:
        if getattr(layer, 'layers', None):
            yield from _leaf_layers(layer)
        else:
            yield layer


def _save_optimizer_weights(model, f):
    """Only an optimizer that already has its slot variables is saved (as in Keras 1.2.2)."""
    if not getattr(model.optimizer, 'weights', None):
        return
    slots = _file_slots(model)
    group = f.create_group('optimizer_weights')
    names = ['param_%d' % i for i in range(len(slots))]
    saving.save_names_attribute(group, 'weight_names', names)
    for name, (var, index), value in zip(names, slots, K.batch_get_value([v for v, _ in slots])):
        group.create_dataset(name, data=value if index is None else value[index])


def save_model(model, filepath, overwrite=True):
    """Save the model's architecture, weights, training configuration and optimizer state
    to one HDF5 file (Keras 1.2.2 layout, see the module docstring). With overwrite=False and
    an existing file, ask on the terminal first. The file is written atomically."""
    import h5py
    filepath = os.fspath(filepath)
    if not overwrite and os.path.isfile(filepath):
        if not ask_to_proceed_with_overwrite(filepath):
            return
    model_config = _dumps({'class_name': model.__class__.__name__,
                           'config': model.get_config()})
    training_config = _dumps(_training_config(model)) if hasattr(model, 'optimizer') else None
    with atomic_write_path(filepath) as tmp:
        with h5py.File(tmp, 'w') as f:
            f.attrs['keras_version'] = str(keras_version).encode('utf8')
            f.attrs['model_config'] = model_config
            saving.save_weights_to_hdf5_group(model, f.create_group('model_weights'))
            if training_config is not None:
                f.attrs['training_config'] = training_config
                _save_optimizer_weights(model, f)


# ----------------------------------------------------------------------------- loading

def _text(value):
    return value.decode('utf8') if isinstance(value, bytes) else str(value)


def _json_attr(f, key, filepath):
    try:
        return json.loads(_text(f.attrs[key]))
    except ValueError as e:
        raise ValueError('load_model: the %s attribute of %s is not valid JSON (%s); the file '
                         'is damaged or was not written by Keras' % (key, filepath, e)) from None


def _resolve(names, custom_objects, kind, getter, keep=()):
    """A loss / metrics entry of training_config (a name, or a list / dict of names) with each
    name replaced by its custom object; the other names must be known to `getter`."""
    if isinstance(names, dict):
        return {k: _resolve(v, custom_objects, kind, getter, keep) for k, v in names.items()}
    if isinstance(names, list):
        return [_resolve(v, custom_objects, kind, getter, keep) for v in names]
    if names is None or names in keep:
        return names
    if names in custom_objects:
        return custom_objects[names]
    try:
        getter(names)
    except (ValueError, TypeError):
        raise ValueError('unknown %s %r: pass it as custom_objects={%r: <function>}'
                         % (kind, names, names)) from None
    return names


def _optimizer(config, custom_objects):
    class_name = config.get('class_name') if isinstance(config, dict) else None
    if class_name in custom_objects:
        return custom_objects[class_name].from_config(config.get('config', {}))
    return optimizers.optimizer_from_config(config)


def _compile(model, training_config, custom_objects):
    optimizer = _optimizer(training_config['optimizer_config'], custom_objects)
    loss = _resolve(training_config['loss'], custom_objects, 'loss', objectives.get)
    if _is_graph(model):
        model.compile(optimizer, loss,
                      sample_weight_modes=training_config.get('sample_weight_mode') or {},
                      loss_weights=training_config.get('loss_weights') or {})
        return
    model.compile(optimizer=optimizer, loss=loss,
                  metrics=_resolve(training_config.get('metrics'), custom_objects, 'metric',
                                   metrics_module.get, keep=('accuracy', 'acc')),
                  loss_weights=training_config.get('loss_weights'),
                  sample_weight_mode=training_config.get('sample_weight_mode'))


def _load_optimizer_weights(model, group):
    """Keras' list of slot values (see _file_slots) into the optimizer's own slots."""
    names = saving.load_names_attribute(group, 'weight_names')
    slots = _file_slots(model)
    if len(names) != len(slots):
        raise ValueError('the file holds %d optimizer weights; this model\'s %s keeps %d'
                         % (len(names), type(model.optimizer).__name__, len(slots)))
    values = {}
    for name, (var, index) in zip(names, slots):
        value = group[name][()]
        if index is not None:
            whole = values.setdefault(id(var), np.zeros(K.get_variable_shape(var), value.dtype))
            if whole[index].shape != value.shape:
                raise ValueError('optimizer weight %s has shape %s; the gate block it belongs '
                                 'to has shape %s' % (name, value.shape, whole[index].shape))
            whole[index] = value
        else:
            values[id(var)] = value
    model.optimizer.set_weights([values[id(v)] for v in model.optimizer.weights])


def _same_kind(error):
    """The class for re-raising `error` with the file named: TypeError stays TypeError, and
    a KeyError (a config entry missing) is a ValueError, whose message reads plainly."""
    return TypeError if isinstance(error, TypeError) else ValueError


def _model(f, filepath, custom_objects, allow_code):
    if 'model_config' not in f.attrs:
        raise ValueError('load_model: %s has no model_config attribute, so it holds no model '
                         '(a file written by save_weights? load it with model.load_weights)'
                         % (filepath,))
    if 'model_weights' not in f:
        raise ValueError('load_model: %s has a model_config but no model_weights group; it '
                         'is damaged or was not written by Keras' % (filepath,))
    config = _json_attr(f, 'model_config', filepath)
    try:
        model = saving.model_from_config(config, custom_objects, allow_code)
    except (ValueError, TypeError, KeyError) as e:
        raise _same_kind(e)('load_model: cannot rebuild the model of %s from its model_config: %s'
                      % (filepath, e)) from None
    try:
        saving.load_weights_from_hdf5_group(model, f['model_weights'])
    except (ValueError, KeyError) as e:
        raise ValueError('load_model: the model_weights of %s do not fit its model_config: %s'
                         % (filepath, e)) from None
    return model


def load_model(filepath, custom_objects=None, allow_code=False):
    """The model saved by save_model / model.save (or by Keras 1.2.2) in filepath: rebuilt,
    with its weights, compiled with its training configuration and optimizer state (a file
    without training configuration gives an uncompiled model, with a warning).
    custom_objects maps names to user layer classes, losses, metrics or optimizer classes.
    allow_code permits loading Python bytecode saved with Lambda / Merge layers (trusted
    files only)."""
    custom_objects = custom_objects or {}
    importlib.import_module('..models', __package__)    # registers every layer and model class
    with saving.open_hdf5(filepath, 'load_model') as f:
        try:
            model = _model(f, filepath, custom_objects, allow_code)
            if 'training_config' not in f.attrs:
                warnings.warn('load_model: no training configuration in %s: the model was '
                              '*not* compiled; compile it before training.' % (filepath,))
                return model
            training_config = _json_attr(f, 'training_config', filepath)
            try:
                _compile(model, training_config, custom_objects)
            except (ValueError, TypeError, KeyError) as e:
                raise _same_kind(e)('load_model: cannot compile the model of %s with its '
                              'training_config: %s' % (filepath, e)) from None
            if 'optimizer_weights' in f:
                try:
                    _load_optimizer_weights(model, f['optimizer_weights'])
                except (ValueError, KeyError) as e:
                    raise ValueError('load_model: the optimizer_weights of %s do not fit the '
                                     'model\'s optimizer: %s' % (filepath, e)) from None
        except OSError as e:
            raise ValueError('load_model: %s is damaged (HDF5 read error: %s)'
                             % (filepath, e)) from None
    return model
