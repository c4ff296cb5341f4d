"""scikit-learn estimators around Keras models (Keras 1.2.2's keras.wrappers.scikit_learn).

    clf = KerasClassifier(build_fn=make_model, hidden=8, nb_epoch=5, batch_size=16, verbose=0)
    GridSearchCV(clf, {'hidden': [4, 8], 'nb_epoch': [2, 5]}).fit(x, y)

`build_fn` builds and compiles a fresh model; it is one of
1. a function,
2. an instance of a class with a `__call__` method,
3. None: a subclass of KerasClassifier / KerasRegressor defines `__call__`, used as build_fn.

`sk_params` holds both the model parameters (the named arguments of build_fn, which should all
have defaults) and the parameters of `fit`, `predict`, `predict_proba` and `score` (those of
`Sequential.fit`, `predict`, `predict_classes` and `evaluate`, e.g. `nb_epoch`, `batch_size`,
`verbose`). Each call uses, in this order of precedence, the keyword arguments given to the
method, then `sk_params`, then the defaults of the Sequential method. Every `sk_params` entry can
therefore be tuned by scikit-learn's grid search.

scikit-learn itself is not needed to use these classes (nor imported by this module): they
follow its estimator protocol (get_params/set_params, fit/predict/score, tags) by duck typing.
"""
import copy
import inspect

import numpy as np

from ..models import Sequential
from ..utils.np_utils import to_categorical

# The model methods whose arguments may be given in sk_params (Keras 1.2.2's list, plus
# predict_proba, whose arguments are predict's); `x` and `y` are the data, passed by the wrapper.
_MODEL_METHODS = ('fit', 'predict', 'predict_classes', 'predict_proba', 'evaluate')
_DATA_ARGS = ('x', 'y')


class NotFittedError(ValueError, AttributeError):
    """The estimator is used before `fit` (the same bases as scikit-learn's NotFittedError)."""


def _arg_names(fn):
    """The names fn accepts as keyword arguments (without `self`, *args and **kwargs)."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [name for name, p in inspect.signature(fn).parameters.items()
            if p.kind in kinds and name != 'self']


def _loss_name(model):
    loss = model.loss
    return getattr(loss, '__name__', loss)


class BaseWrapper(object):
    """Base class of KerasClassifier and KerasRegressor (not used directly).

    # Arguments
        build_fn: callable returning a compiled Keras model, or None (see the module docstring).
        **sk_params: model parameters (build_fn's arguments) and fit/predict/score parameters.
    """
    _estimator_type = None

    def __init__(self, build_fn=None, **sk_params):
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    # ------------------------------------------------------------------ parameters

    def _build_callable(self):
        """What builds the model: build_fn, or the subclass' __call__ when build_fn is None."""
        if self.build_fn is None:
            if not callable(self):
                raise ValueError('%s: build_fn is None and the class defines no __call__ method; '
                                 'pass a function (or an object with __call__) building a '
                                 'compiled model as build_fn, or define __call__ in a subclass.'
                                 % type(self).__name__)
            return self.__call__
        if not callable(self.build_fn):
            raise ValueError('%s: build_fn must be a function or an object with a __call__ '
                             'method returning a compiled model; got %r'
                             % (type(self).__name__, self.build_fn))
        return self.build_fn

    def check_params(self, params):
        """Raise ValueError naming the first entry of `params` that is neither an argument of
        build_fn nor one of the model's fit/predict/predict_classes/evaluate arguments."""
        legal = set(_arg_names(self._build_callable()))
        for method in _MODEL_METHODS:
            legal.update(n for n in _arg_names(getattr(Sequential, method))
                         if n not in _DATA_ARGS)
        for name in params:
            if name not in legal:
                raise ValueError('%s: %r is not a legal parameter: it is neither an argument of '
                                 'build_fn nor of the model\'s fit/predict/evaluate methods '
                                 '(legal parameters: %s)'
                                 % (type(self).__name__, name, ', '.join(sorted(legal))))

    def get_params(self, **params):
        """The estimator's parameters: build_fn and the sk_params. (scikit-learn passes
        deep=True/False; there are no nested estimators, so it changes nothing.)"""
        # A shallow copy: scikit-learn's clone checks that the constructor stores the very
        # objects it was given (1.2.2 deep-copied, which makes clone refuse e.g. list values).
        res = dict(self.sk_params)
        res['build_fn'] = self.build_fn
        return res

    def set_params(self, **params):
        """Set parameters (checked as in the constructor; build_fn may be replaced too);
        returns self."""
        params = dict(params)
        if 'build_fn' in params:
            self.build_fn = params.pop('build_fn')
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def filter_sk_params(self, fn, override=None):
        """The sk_params entries that are arguments of fn, updated with `override` (a dict)."""
        names = _arg_names(fn)
        res = {name: value for name, value in self.sk_params.items() if name in names}
        res.update(override or {})
        return res

    def _method_kwargs(self, method, kwargs):
        """Arguments for the model's `method`: its sk_params, overridden by the call's kwargs."""
        res = {name: value
               for name, value in self.filter_sk_params(getattr(Sequential, method)).items()
               if name not in _DATA_ARGS}
        res.update(kwargs)
        return res

    def _fitted_model(self, what):
        model = getattr(self, 'model', None)
        if model is None:
            raise NotFittedError('This %s is not fitted yet: call fit before %s.'
                                 % (type(self).__name__, what))
        return model

    # ------------------------------------------------------------------ training

    def _targets(self, y):
        """Targets as the model is trained on them: Keras 1.2.2 one-hot encodes class vectors
        (anything not 2-D) when the loss is categorical_crossentropy."""
        if _loss_name(self.model) == 'categorical_crossentropy' and y.ndim != 2:
            return to_categorical(y)
        return y

    def fit(self, x, y, **kwargs):
        """Build a new model with build_fn (from its sk_params) and fit it to (x, y).

        # Arguments
            x: training samples, shape (n_samples, n_features) (or what the model takes).
            y: targets, shape (n_samples,) or (n_samples, n_outputs).
            **kwargs: arguments of Sequential.fit, overriding sk_params.

        # Returns
            The History of the model's fit.
        """
        build = self._build_callable()
        self.model = build(**self.filter_sk_params(build))
        y = self._targets(np.asarray(y))
        fit_args = copy.deepcopy(self._method_kwargs('fit', {}))
        fit_args.update(kwargs)
        return self.model.fit(x, y, **fit_args)

    def __sklearn_tags__(self):
        """scikit-learn (>= 1.6) estimator tags, built only when scikit-learn asks for them."""
        from sklearn.utils import ClassifierTags, RegressorTags, Tags, TargetTags
        kind = self._estimator_type
        return Tags(estimator_type=kind, target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags() if kind == 'classifier' else None,
                    regressor_tags=RegressorTags() if kind == 'regressor' else None)


class KerasClassifier(BaseWrapper):
    """scikit-learn classifier API for a Keras model.

    After fit, `classes_` holds the class labels (the sorted distinct values of a class vector
    y, or 0 .. n-1 for a one-hot y) and `n_classes_` their number; the model is trained on the
    labels' indices, and predict maps them back.
    """
    _estimator_type = 'classifier'

    def fit(self, x, y, **kwargs):
        """Build and fit a new model on (x, y); y is a class vector of any sortable labels
        (shape (n_samples,) or (n_samples, 1)) or a one-hot matrix (n_samples, n_classes).
        Returns the History."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
            self.classes_ = np.unique(y)
            y = self._label_indices(y)
        else:
            raise ValueError('KerasClassifier.fit: y must have shape (n_samples,), '
                             '(n_samples, 1) or (n_samples, n_classes); got shape %s'
                             % (y.shape,))
        self.n_classes_ = len(self.classes_)
        return super(KerasClassifier, self).fit(x, y, **kwargs)

    def _targets(self, y):
        if _loss_name(self.model) == 'categorical_crossentropy' and y.ndim != 2:
            return to_categorical(y, self.n_classes_)
        return y

    def _label_indices(self, y):
        """Class vector y (shape (n,) or (n, 1)) as a vector of indices into classes_; one-hot
        y is passed through."""
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] > 1:
            return y
        y = y.reshape(-1) if y.ndim == 2 else y
        index = np.clip(np.searchsorted(self.classes_, y), 0, len(self.classes_) - 1)
        unknown = self.classes_[index] != y
        if unknown.any():
            raise ValueError('KerasClassifier.score: label %r of y is not one of the classes '
                             'seen by fit (%s)' % (y[unknown].tolist()[0], self.classes_.tolist()))
        return index

    def predict(self, x, **kwargs):
        """Class labels (from classes_) predicted for x, shape (n_samples,).
        kwargs: arguments of Sequential.predict_classes, overriding sk_params."""
        model = self._fitted_model('predict')
        classes = model.predict_classes(x, **self._method_kwargs('predict_classes', kwargs))
        if classes.ndim == 2 and classes.shape[1] == 1:   # one sigmoid unit: (p > 0.5) column
            classes = classes[:, 0]
        return self.classes_[classes]

    def predict_proba(self, x, **kwargs):
        """Class probabilities for x, shape (n_samples, n_classes); a single sigmoid output p
        becomes the two columns [1 - p, p] (scikit-learn's binary layout).
        kwargs: arguments of Sequential.predict_proba, overriding sk_params."""
        model = self._fitted_model('predict_proba')
        probs = model.predict_proba(x, **self._method_kwargs('predict_proba', kwargs))
        if probs.shape[1] == 1:
            probs = np.hstack([1 - probs, probs])
        return probs

    def score(self, x, y, **kwargs):
        """The model's accuracy on (x, y) (y as in fit). kwargs: arguments of
        Sequential.evaluate, overriding sk_params. The model must have been compiled with
        metrics=['accuracy'] (ValueError otherwise)."""
        model = self._fitted_model('score')
        y = self._targets(self._label_indices(y))
        outputs = model.evaluate(x, y, **self._method_kwargs('evaluate', kwargs))
        if not isinstance(outputs, list):
            outputs = [outputs]
        for name, output in zip(model.metrics_names, outputs):
            if name == 'acc':
                return float(output)
        raise ValueError('KerasClassifier.score: the model is not configured to compute '
                         'accuracy (its metrics are %s); pass metrics=["accuracy"] to the '
                         'model.compile() call in build_fn.' % (model.metrics_names,))


class KerasRegressor(BaseWrapper):
    """scikit-learn regressor API for a Keras model."""
    _estimator_type = 'regressor'

    def predict(self, x, **kwargs):
        """Predictions for x; a single output column is flattened to shape (n_samples,).
        kwargs: arguments of Sequential.predict, overriding sk_params."""
        model = self._fitted_model('predict')
        preds = model.predict(x, **self._method_kwargs('predict', kwargs))
        if preds.ndim == 2 and preds.shape[1] == 1:
            preds = preds[:, 0]
        return preds

    def score(self, x, y, **kwargs):
        """The negative of the model's loss on (x, y), so that greater is better as scikit-learn
        expects. kwargs: arguments of Sequential.evaluate, overriding sk_params."""
        model = self._fitted_model('score')
        loss = model.evaluate(x, np.asarray(y), **self._method_kwargs('evaluate', kwargs))
        if isinstance(loss, list):
            loss = loss[0]
        return -float(loss)
