"""The base of Sequential and Graph: a Model whose layers the container manages itself
(a stack, named nodes) while an inner functional Model, `self.model`, made by
`_built_model()`, computes and trains them. Used as a layer, the container answers for that
inner model; its weights are those of `_weight_layers()`, in the container's own order
(Sequential: flattened_layers; Graph: its nodes in insertion order, as Keras 0.3.3)."""
from .. import backend as K
from .training import Model


class WrappedModel(Model):
    """Subclasses define _built_model() and _weight_layers()."""

    def _init_wrapper(self, name):
        """The state of a layer that is not yet connected, and no inner model yet."""
        self.model = None
        self.name = name
        self._trainable = True
        self.inbound_nodes = []
        self.outbound_nodes = []
        self._per_input_losses = {}
        self._per_input_updates = {}
        self._output_cache = {}
        self._output_shape_cache = {}
        self.supports_masking = False
        self.built = False
        self.stop_training = False

    def _set_weights_error(self, got, expected):
        return ValueError('You called `set_weights(weights)` on model "%s" with a weight list '
                          'of length %d, but the model was expecting %d weights.'
                          % (self.name, got, expected))

    # ---------------------------------------------------------------- as a layer

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in self.model.layers (index 0 is an InputLayer, as in
        Keras 1.2.2)."""
        return self._built_model().get_layer(name, index)

    def call(self, x, mask=None):
        return self._built_model().call(x, mask)

    def compute_mask(self, x, mask=None):
        return self._built_model().compute_mask(x, mask)

    def get_output_shape_for(self, input_shape):
        return self._built_model().get_output_shape_for(input_shape)

    def run_internal_graph(self, inputs, masks=None):
        return self._built_model().run_internal_graph(inputs, masks)

    @property
    def uses_learning_phase(self):
        return self._built_model().uses_learning_phase

    @property
    def updates(self):
        return self._built_model().updates

    @property
    def state_updates(self):
        return self._built_model().state_updates

    @property
    def losses(self):
        return self._built_model().losses

    @property
    def constraints(self):
        return self._built_model().constraints

    def get_updates_for(self, inputs):
        return self._built_model().get_updates_for(inputs)

    def get_losses_for(self, inputs):
        return self._built_model().get_losses_for(inputs)

    # ---------------------------------------------------------------- weights

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = value
        if self.model is not None:
            self.model.trainable = value

    @property
    def trainable_weights(self):
        if not self._trainable:
            return []
        return [w for layer in self._weight_layers() for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self):
        weights = [w for layer in self._weight_layers() for w in layer.non_trainable_weights]
        if self._trainable:
            return weights
        return [w for layer in self._weight_layers() for w in layer.trainable_weights] + weights

    @property
    def stateful(self):
        return any(getattr(layer, 'stateful', False) for layer in self._weight_layers())

    def get_weights(self):
        """All weights as numpy arrays, layer by layer in the container's order."""
        return K.batch_get_value([w for layer in self._weight_layers() for w in layer.weights])

    def set_weights(self, weights):
        """Set all weights from a list in get_weights' order."""
        layers = self._weight_layers()
        expected = sum(len(layer.weights) for layer in layers)
        if len(weights) != expected:
            raise self._set_weights_error(len(weights), expected)
        weights = list(weights)
        for layer in layers:
            n = len(layer.weights)
            layer.set_weights(weights[:n])
            weights = weights[n:]
