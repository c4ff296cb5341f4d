"""Keras 0.3.3's `Graph` container (keras.models.Graph / keras.legacy.models.Graph): a DAG of
named inputs, nodes and outputs, trained on dicts of arrays keyed by those names.

It is built on the functional engine: every add_* call applies layers to Keras tensors, and the
Graph keeps a functional model of its inputs and outputs (`self.model`, a Model made when first
needed), so compile() gives the same one-call train, test and predict functions as any Model.

0.3.3 semantics kept: data, losses, loss weights, sample weights and class weights are dicts
keyed by input / output names; the total loss is the sum over outputs of
loss_weights.get(name, 1) * weighted loss (plus regularisation); train/test report the total
loss alone, and [loss, acc] with show_accuracy / accuracy=True (a single output only; binary
accuracy for a last dimension of 1, else categorical); predict returns a dict by output name;
weights are saved in 0.3.3's `graph/param_<n>` layout and configs in 0.3.3's Graph format.
This module builds the graph and makes it a layer; engine/graph_training.py trains it and
engine/graph_config.py reads and writes its files.

Names: each node's layer is renamed to the node's name (as 0.3.3 did), each input is an
InputLayer of that name; the Merge of a node's `inputs` is named merge_inputs_for_<node>, that
of a shared node's results merge_outputs_of_<node>, that of an output's `inputs`
merge_output_<output>. nodes[name] is the node's layer; a shared node without merge_mode maps
its name and each of its `outputs` names to the shared layer.

merge_mode 'join' (0.3.3: an OrderedDict of the tensors, for layers that take several inputs)
has no tensor of its own in Keras 1: the node's layer is called on the list of the joined
tensors, in the order given (a layer with several inputs, or a Graph with several inputs, in
its input_order). A join can feed a node's single `input`; it cannot be merged again or be an
output.
"""
from collections import OrderedDict

from .. import backend as K
from . import graph_config
from .graph_training import GraphModel, GraphTraining
from .topology import Input, Layer, Merge, Node, register_layer_class
from .wrapper import WrappedModel

MERGE_MODES = ('sum', 'mul', 'concat', 'ave', 'join', 'cos', 'dot')


class Graph(GraphTraining, WrappedModel):
    """Keras 0.3.3's Graph: Graph(), then add_input / add_node / add_shared_node /
    add_output, compile(optimizer, loss={output: loss}), fit({name: array}), predict(...)
    -> {output: array}. `name` (optional, default graph_<n>) names it as a layer of another
    model."""

    def __init__(self, name=None):
        self._init_wrapper(name or 'graph_%d' % K.get_uid('graph'))
        self.inputs = OrderedDict()      # input name -> InputLayer
        self.outputs = OrderedDict()     # output name -> the layer giving it
        self.nodes = OrderedDict()       # node name -> layer
        self.input_order = []
        self.output_order = []
        self.namespace = set()           # input and node names
        self.input_config = []
        self.node_config = []
        self.output_config = []
        self._tensors = {}               # input/node name -> Keras tensor (a list for a join)
        self._output_tensors = {}
        self._shared = {}                # shared node name -> (layer, merge_mode, head names)
        self._layer_names = set()        # names of the layers of the functional model

    # ---------------------------------------------------------------- building

    def _fail(self, method, message, error=ValueError):
        return error('Graph "%s".%s: %s' % (self.name, method, message))

    def _check_mutable(self, method):
        if self.outbound_nodes or len(self.inbound_nodes) > 1:
            raise self._fail(method, 'the graph is already used as a layer of another model; '
                             'it cannot be changed any more', RuntimeError)

    def _check_new_name(self, name, method, argument='name'):
        if not isinstance(name, str) or not name:
            raise self._fail(method, '%s must be a non-empty string; got %r' % (argument, name),
                             TypeError)
        if name in self.namespace:
            raise self._fail(method, 'duplicate node identifier %s=%r (the graph already has '
                             'an input or node of that name; inputs: %s, nodes: %s)'
                             % (argument, name, self.input_order, list(self.nodes)))

    def _check_new_layer(self, layer, method):
        if not isinstance(layer, Layer):
            raise self._fail(method, 'layer must be a Layer instance; got %r' % (layer,),
                             TypeError)
        for node, node_layer in self.nodes.items():
            if node_layer is layer:
                raise self._fail(method, 'layer %r is already node %r of the graph; use '
                                 'add_shared_node to apply one layer to several inputs'
                                 % (layer.name, node))

    def _check_layer_names(self, names, method):
        """Names for new layers of the functional model, which must be unique in it."""
        taken = [n for n in names if n in self._layer_names]
        if taken or len(set(names)) != len(names):
            raise self._fail(method, 'layer name(s) %s already used in the graph (the layers '
                             'are named after inputs, nodes and merges: %s)'
                             % (taken or names, sorted(self._layer_names)))

    def _check_merge_mode(self, merge_mode, method, allow_none=False):
        if merge_mode is None and allow_none:
            return
        if merge_mode not in MERGE_MODES:
            raise self._fail(method, 'invalid merge_mode %r; expected one of %s%s'
                             % (merge_mode, ', '.join(MERGE_MODES),
                                ' or None' if allow_none else ''))

    def _check_connection(self, input, inputs, method):
        if not isinstance(inputs, (list, tuple)):
            raise self._fail(method, 'inputs must be a list of names; got %r' % (inputs,),
                             TypeError)
        if input and inputs:
            raise self._fail(method, 'give either input=%r or inputs=%r, not both'
                             % (input, list(inputs)))
        if not input and not inputs:
            raise self._fail(method, 'give the name of the incoming input or node as `input`, '
                             'or several as `inputs`')

    def _lookup(self, name, method, argument):
        """The tensor (or list of tensors, for a join) of an input or node."""
        if name in self._tensors:
            return self._tensors[name]
        if name in self._shared:
            raise self._fail(method, '%s: shared node %r has no output of its own (it was '
                             'added with merge_mode=None); use its outputs %s'
                             % (argument, name, self._shared[name][2]))
        raise self._fail(method, 'unknown node/input identifier %s=%r; the graph has inputs %s '
                         'and nodes %s' % (argument, name, self.input_order, list(self.nodes)))

    def _single(self, name, method, argument):
        tensor = self._lookup(name, method, argument)
        if isinstance(tensor, list):
            raise self._fail(method, '%s: node %r is a join of %d tensors (merge_mode "join" or '
                             'a layer with several outputs), which only a node\'s single '
                             '`input` can take' % (argument, name, len(tensor)))
        return tensor

    def _merge(self, tensors, merge_mode, concat_axis, dot_axes, layer_name, method, names):
        """The merge of several tensors (for 'join', the list itself)."""
        if len(tensors) < 2:
            raise self._fail(method, 'merging (merge_mode=%r) needs at least 2 inputs; got %s'
                             % (merge_mode, names))
        if merge_mode == 'join':
            return list(tensors)
        try:
            return Merge(mode=merge_mode, concat_axis=concat_axis,
                         dot_axes=_dot_axes(dot_axes, self, method), name=layer_name)(
                             list(tensors))
        except (ValueError, TypeError) as e:
            raise self._fail(method, 'cannot merge %s: %s' % (names, e), type(e)) from None

    def _changed(self):
        """After the graph changes: forget the functional model (and the compilation), and
        make node 0 (the graph's own inputs to its outputs) current, as a Model has one."""
        self.model = None
        self._output_cache = {}
        self._output_shape_cache = {}
        self.inbound_nodes = []
        self.built = bool(self.input_order and self.output_order)
        if self.built:
            inputs = [self._tensors[n] for n in self.input_order]
            outputs = [self._output_tensors[n] for n in self.output_order]
            Node(self, inbound_layers=[], node_indices=[], tensor_indices=[],
                 input_tensors=inputs, output_tensors=outputs,
                 input_masks=[None] * len(inputs), output_masks=[None] * len(outputs),
                 input_shapes=[x._keras_shape for x in inputs],
                 output_shapes=[y._keras_shape for y in outputs])

    def add_input(self, name, input_shape=None, batch_input_shape=None, dtype='float'):
        """Add an input: input_shape (without the batch axis) or batch_input_shape; dtype
        'float' (floatx) or 'int' (int32, for 2-D inputs such as Embedding indices)."""
        method = 'add_input'
        self._check_mutable(method)
        self._check_new_name(name, method)
        self._check_layer_names([name], method)
        if batch_input_shape is not None:
            batch_shape = tuple(batch_input_shape)
        elif input_shape is not None:
            batch_shape = (None,) + tuple(input_shape)
        else:
            raise self._fail(method, 'input %r needs an input_shape or a batch_input_shape'
                             % (name,))
        if dtype == 'float':
            tensor_dtype = K.floatx()
        elif dtype == 'int':
            if len(batch_shape) != 2:
                raise self._fail(method, 'dtype "int" can only be used for 2-D inputs '
                                 '(samples, indices), as for an Embedding; input %r has batch '
                                 'shape %s' % (name, batch_shape))
            tensor_dtype = 'int32'
        else:
            raise self._fail(method, 'dtype must be "float" or "int"; got %r for input %r'
                             % (dtype, name))
        tensor = Input(batch_shape=batch_shape, dtype=tensor_dtype, name=name)
        config = {'name': name, 'dtype': dtype}
        if batch_input_shape is not None:
            config['batch_input_shape'] = batch_shape
        else:
            config['input_shape'] = tuple(input_shape)
        self.inputs[name] = tensor._keras_history[0]
        self._tensors[name] = tensor
        self.input_order.append(name)
        self.namespace.add(name)
        self._layer_names.add(name)
        self.input_config.append(config)
        self._changed()

    def add_node(self, layer, name, input=None, inputs=[], merge_mode='concat', concat_axis=-1,
                 dot_axes=-1, create_output=False):
        """Add `layer` as node `name` (the layer is renamed `name`), applied to the input or
        node `input`, or to the merge of the nodes `inputs` (merge_mode: sum, mul, concat, ave,
        join, cos, dot). create_output=True also adds an output of the same name."""
        method = 'add_node'
        self._check_mutable(method)
        self._check_new_layer(layer, method)
        self._check_new_name(name, method)
        self._check_merge_mode(merge_mode, method)
        self._check_connection(input, inputs, method)
        merge_name = 'merge_inputs_for_' + name
        new_names = [name] + ([merge_name] if inputs and merge_mode != 'join' else [])
        self._check_layer_names(new_names, method)
        if input:
            x = self._lookup(input, method, 'input')
        else:
            x = self._merge([self._single(n, method, 'inputs') for n in inputs], merge_mode,
                            concat_axis, dot_axes, merge_name, method, list(inputs))
        layer.name = name
        y = layer(x)
        if create_output and isinstance(y, list):
            raise self._fail(method, 'create_output: node %r gives %d tensors, and an output '
                             'must be one tensor' % (name, len(y)))
        self._layer_names.update(new_names)
        self._tensors[name] = y
        self.nodes[name] = layer
        self.namespace.add(name)
        self.node_config.append({'name': name, 'input': input, 'inputs': list(inputs),
                                 'merge_mode': merge_mode, 'concat_axis': concat_axis,
                                 'dot_axes': dot_axes, 'create_output': create_output})
        self._changed()
        if create_output:
            self.add_output(name, input=name)

    def _shared_inputs(self, inputs, method):
        """The tensors a shared node applies to: a shared node without merge_mode among
        `inputs` stands for all of its outputs (as in 0.3.3)."""
        tensors = []
        for n in inputs:
            if n in self._shared and n not in self._tensors:
                tensors.extend(self._tensors[head] for head in self._shared[n][2])
            else:
                tensors.append(self._single(n, method, 'inputs'))
        return tensors

    def add_shared_node(self, layer, name, inputs=[], merge_mode=None, concat_axis=-1,
                        dot_axes=-1, outputs=[], create_output=False):
        """Apply one layer (renamed `name`) to each of `inputs`. With merge_mode, the results
        are merged into node `name`; with merge_mode=None, result i is node outputs[i].
        create_output=True adds graph outputs for those nodes."""
        method = 'add_shared_node'
        self._check_mutable(method)
        self._check_new_layer(layer, method)
        self._check_new_name(name, method)
        if not isinstance(inputs, (list, tuple)) or not isinstance(outputs, (list, tuple)):
            raise self._fail(method, 'inputs and outputs must be lists of names; got %r and %r'
                             % (inputs, outputs), TypeError)
        for head in outputs:
            self._check_new_name(head, method, 'outputs')
        self._check_merge_mode(merge_mode, method, allow_none=True)
        tensors = self._shared_inputs(inputs, method)
        merge_name = 'merge_outputs_of_' + name
        if merge_mode:
            if outputs:
                raise self._fail(method, 'outputs=%r are only used with merge_mode=None; with '
                                 'merge_mode=%r the merged result is node %r'
                                 % (list(outputs), merge_mode, name))
            if create_output and merge_mode == 'join':
                raise self._fail(method, 'create_output: a "join" of tensors cannot be a graph '
                                 'output')
            if len(tensors) < 2:
                raise self._fail(method, 'merging (merge_mode=%r) needs at least 2 inputs; got '
                                 '%s' % (merge_mode, list(inputs)))
            new_names = [name] + ([merge_name] if merge_mode != 'join' else [])
        else:
            if not tensors or len(outputs) != len(tensors):
                raise self._fail(method, 'with merge_mode=None, give one name in `outputs` per '
                                 'input: inputs=%s (%d tensors), outputs=%s'
                                 % (list(inputs), len(tensors), list(outputs)))
            if len(set(outputs)) != len(outputs) or name in outputs:
                raise self._fail(method, 'the names in outputs=%s must be distinct and differ '
                                 'from name=%r' % (list(outputs), name))
            new_names = [name]
        self._check_layer_names(new_names, method)
        layer.name = name
        results = [layer(t) for t in tensors]
        if any(isinstance(r, list) for r in results):
            raise self._fail(method, 'layer %r gives several tensors per call; a shared node '
                             'needs one' % (name,))
        if merge_mode:
            self._tensors[name] = self._merge(results, merge_mode, concat_axis, dot_axes,
                                              merge_name, method, list(inputs))
        self._layer_names.update(new_names)
        self.nodes[name] = layer
        self.namespace.add(name)
        self._shared[name] = (layer, merge_mode, list(outputs))
        self.node_config.append({'name': name, 'inputs': list(inputs), 'merge_mode': merge_mode,
                                 'concat_axis': concat_axis, 'dot_axes': dot_axes,
                                 'create_output': create_output if merge_mode else False})
        for head, result in zip(outputs, results):
            self._tensors[head] = result
            self.nodes[head] = layer
            self.namespace.add(head)
            self.node_config.append({'name': head, 'inputs': [name],
                                     'create_output': create_output})
        self._changed()
        if create_output:
            for out in ([name] if merge_mode else outputs):
                self.add_output(out, input=out)

    def add_output(self, name, input=None, inputs=[], merge_mode='concat', concat_axis=-1,
                   dot_axes=-1):
        """Add output `name`: the input or node `input`, or the merge of the nodes `inputs`.
        Output names may repeat node names (create_output does that)."""
        method = 'add_output'
        self._check_mutable(method)
        if not isinstance(name, str) or not name:
            raise self._fail(method, 'name must be a non-empty string; got %r' % (name,),
                             TypeError)
        if name in self.outputs:
            raise self._fail(method, 'duplicate output identifier %r (outputs: %s)'
                             % (name, self.output_order))
        self._check_merge_mode(merge_mode, method)
        self._check_connection(input, inputs, method)
        merge_name = 'merge_output_' + name
        if input:
            tensor = self._single(input, method, 'input')
        else:
            if merge_mode == 'join':
                raise self._fail(method, 'merge_mode "join" gives a list of tensors, and an '
                                 'output must be one tensor (inputs=%s)' % (list(inputs),))
            self._check_layer_names([merge_name], method)
            tensor = self._merge([self._single(n, method, 'inputs') for n in inputs],
                                 merge_mode, concat_axis, dot_axes, merge_name, method,
                                 list(inputs))
            self._layer_names.add(merge_name)
        self.outputs[name] = tensor._keras_history[0]
        self._output_tensors[name] = tensor
        self.output_order.append(name)
        self.output_config.append({'name': name, 'input': input, 'inputs': list(inputs),
                                   'merge_mode': merge_mode, 'concat_axis': concat_axis,
                                   'dot_axes': dot_axes})
        self._changed()

    # ---------------------------------------------------------------- the functional model

    def _built_model(self):
        if self.model is None:
            if not self.input_order or not self.output_order:
                raise RuntimeError('Graph "%s" needs at least one input and one output before '
                                   'it can be used (inputs: %s, outputs: %s)'
                                   % (self.name, self.input_order, self.output_order))
            self.model = GraphModel([self._tensors[n] for n in self.input_order],
                                    [self._output_tensors[n] for n in self.output_order],
                                    name=self.name)
            self.model.callback_model = self
            self.model.trainable = self._trainable
        return self.model

    def build(self, input_shape=None):
        self._built_model()

    @property
    def nb_input(self):
        return len(self.input_order)

    @property
    def nb_output(self):
        return len(self.output_order)

    @property
    def input_shape(self):
        """The batch shape of the input (a tuple), or a dict by input name."""
        shapes = OrderedDict((n, self._tensors[n]._keras_shape) for n in self.input_order)
        return shapes[self.input_order[0]] if len(shapes) == 1 else dict(shapes)

    @property
    def output_shape(self):
        """The batch shape of the output (a tuple), or a dict by output name."""
        shapes = OrderedDict((n, self._output_tensors[n]._keras_shape)
                             for n in self.output_order)
        return shapes[self.output_order[0]] if len(shapes) == 1 else dict(shapes)

    @property
    def layers(self):
        """The layers of the functional model (inputs, nodes and merges, in depth order)."""
        return self._built_model().layers

    # ---------------------------------------------------------------- weights

    def _weight_layers(self):
        """Each node's layer once, in node order (0.3.3's weight order)."""
        layers = []
        for layer in self.nodes.values():
            if not any(layer is seen for seen in layers):
                layers.append(layer)
        return layers

    @property
    def weights(self):
        """All weights, node by node (each layer's own order), as get_weights."""
        return [w for layer in self._weight_layers() for w in layer.weights]

    def _set_weights_error(self, got, expected):
        return self._fail('set_weights', 'got a list of %d weight arrays; the graph has %d '
                          '(nodes %s)' % (got, expected, list(self.nodes)))

    def count_params(self):
        return sum(K.count_params(w) for w in self.weights)

    def summary(self, line_length=100, positions=[.33, .55, .67, 1.]):
        """Print the table of the graph's layers (inputs, nodes, merges), as Model.summary."""
        self._built_model().summary(line_length=line_length, positions=positions)

    # ---------------------------------------------------------------- files and configs

    def save_weights(self, filepath, overwrite=False):
        """Save the weights in 0.3.3's layout (group graph, param_0 .. param_<n-1> in
        get_weights order); asks before overwriting unless overwrite=True."""
        graph_config.save_weights(self, filepath, overwrite)

    def load_weights(self, filepath):
        """Load weights saved by save_weights (or Keras 0.3.3's Graph.save_weights)."""
        graph_config.load_weights(self, filepath)

    def get_config(self, verbose=0):
        """0.3.3's Graph config: input_config, node_config, output_config, input_order,
        output_order, nodes {name: 0.3.3 layer config}, and, once compiled, optimizer, loss,
        loss_weights and sample_weight_modes."""
        return graph_config.get_config(self, verbose)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Rebuild a Graph from get_config's (or Keras 0.3.3's) config; compiled when the
        config has an optimizer. custom_objects maps class / loss names to objects."""
        return graph_config.from_config(cls, config, custom_objects)

    def to_json(self, **kwargs):
        """get_config() as JSON (kwargs go to json.dumps)."""
        return graph_config.to_json(self, **kwargs)

    def to_yaml(self, **kwargs):
        """get_config() as YAML (kwargs go to yaml.dump)."""
        return graph_config.to_yaml(self, **kwargs)


def _dot_axes(dot_axes, graph, method):
    """0.3.3's dot_axes as the Merge layer's: an int, a pair of ints, or a pair of one-axis
    lists (numpy tensordot style, as 0.3.3 configs may hold)."""
    if isinstance(dot_axes, (list, tuple)) and len(dot_axes) == 2:
        axes = []
        for a in dot_axes:
            if isinstance(a, (list, tuple)):
                if len(a) != 1:
                    raise graph._fail(method, 'dot_axes=%r: contracting several axes per input '
                                      'is not supported; give one axis per input'
                                      % (dot_axes,))
                a = a[0]
            axes.append(a)
        return axes
    return dot_axes


register_layer_class(Graph)
