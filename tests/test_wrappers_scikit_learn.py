"""symkeras.wrappers.scikit_learn: KerasClassifier / KerasRegressor (Keras 1.2.2 semantics) through
their public API and scikit-learn's clone / GridSearchCV, with small dense models."""
import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.model_selection import GridSearchCV

from symkeras import objectives
from symkeras.callbacks import History
from symkeras.layers import Dense, Input
from symkeras.models import Model, Sequential
from symkeras.wrappers.scikit_learn import (BaseWrapper, KerasClassifier, KerasRegressor,
                                            NotFittedError)

RNG = np.random.RandomState(7)
X = RNG.rand(12, 5).astype('float32')
LABELS = np.array([3, 7, 9] * 4)           # non-consecutive integer labels
WORDS = np.array(['cat', 'dog', 'emu'] * 4)
Y_REG = X.sum(axis=1)


def classifier_model(hidden=4, nb_class=3, activation='softmax',
                     loss='categorical_crossentropy', metrics=('accuracy',)):
    model = Sequential([Dense(hidden, input_dim=5, activation='relu'),
                        Dense(nb_class, activation=activation)])
    model.compile(optimizer='sgd', loss=loss, metrics=list(metrics))
    return model


def regressor_model(hidden=4, nb_out=1, metrics=()):
    model = Sequential([Dense(hidden, input_dim=5, activation='relu'), Dense(nb_out)])
    model.compile(optimizer='sgd', loss='mse', metrics=list(metrics))
    return model


class Builder(object):
    """A build_fn given as an object with __call__."""

    def __call__(self, hidden=4):
        return classifier_model(hidden)


class SubclassedClassifier(KerasClassifier):
    """build_fn=None: the subclass' __call__ builds the model."""

    def __call__(self, hidden=4, nb_class=3):
        return classifier_model(hidden, nb_class)


def hidden_units(wrapper):
    return wrapper.model.layers[0].get_weights()[0].shape[1]


def small_clf(**sk_params):
    params = dict(nb_epoch=1, batch_size=4, verbose=0)
    params.update(sk_params)
    return KerasClassifier(classifier_model, **params)


# ------------------------------------------------------------------------------- imports

def test_importing_symkeras_and_the_wrappers_does_not_need_sklearn():
    code = ('import sys; sys.modules["sklearn"] = None\n'   # any sklearn import now fails
            'import numpy as np, symkeras, symkeras.models\n'
            'from symkeras.layers import Dense\n'
            'from symkeras.wrappers.scikit_learn import KerasClassifier\n'
            'def build():\n'
            '    m = symkeras.models.Sequential([Dense(2, input_dim=3, activation="softmax")])\n'
            '    m.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])\n'
            '    return m\n'
            'x = np.random.RandomState(0).rand(4, 3)\n'
            'clf = KerasClassifier(build, nb_epoch=1, verbose=0)\n'
            'clf.fit(x, [0, 1, 1, 0])\n'
            'print(sorted(clf.predict(x).tolist()) != [], clf.score(x, [0, 1, 1, 0]) >= 0)\n')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ['True', 'True']


def test_import_symkeras_does_not_import_sklearn():
    code = 'import sys, symkeras; print(any(m.split(".")[0] == "sklearn" for m in sys.modules))'
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == 'False'


# ------------------------------------------------------------------------------- build_fn

def test_build_fn_function_receives_its_sk_params():
    clf = small_clf(hidden=3)
    clf.fit(X, LABELS)
    assert hidden_units(clf) == 3


def test_build_fn_object_with_call():
    clf = KerasClassifier(Builder(), hidden=2, nb_epoch=1, verbose=0)
    clf.fit(X, LABELS)
    assert hidden_units(clf) == 2
    with pytest.raises(ValueError, match="'nb_class' is not a legal parameter"):
        KerasClassifier(Builder(), nb_class=3)


def test_build_fn_none_uses_the_subclass_call():
    clf = SubclassedClassifier(hidden=5, nb_epoch=1, verbose=0)
    clf.fit(X, LABELS)
    assert hidden_units(clf) == 5
    assert clf.get_params()['build_fn'] is None


def test_build_fn_defaults_apply_when_not_in_sk_params():
    clf = small_clf()
    clf.fit(X, LABELS)
    assert hidden_units(clf) == 4


def test_build_fn_none_without_call_is_an_error():
    with pytest.raises(ValueError, match='build_fn is None and the class defines no __call__'):
        KerasRegressor()
    with pytest.raises(ValueError, match='build_fn is None'):
        BaseWrapper(nb_epoch=1)


def test_build_fn_not_callable_is_an_error():
    with pytest.raises(ValueError, match="build_fn must be a function.*got 'dense'"):
        KerasClassifier('dense')


def test_functional_model_from_build_fn():
    def build(hidden=3):
        inp = Input(shape=(5,))
        model = Model(inp, Dense(3, activation='softmax')(Dense(hidden)(inp)))
        model.compile('sgd', 'categorical_crossentropy', metrics=['accuracy'])
        return model
    clf = KerasClassifier(build, nb_epoch=1, verbose=0)
    clf.fit(X, WORDS)
    assert set(clf.predict(X)) <= set(WORDS)
    assert clf.predict_proba(X).shape == (12, 3)


# ------------------------------------------------------------------------------- parameters

def test_check_params_accepts_build_fit_predict_and_evaluate_arguments():
    clf = KerasClassifier(classifier_model, hidden=2, nb_epoch=1, batch_size=3, verbose=0,
                          shuffle=False, validation_split=0.25, callbacks=None,
                          class_weight=None, sample_weight=None, initial_epoch=0,
                          validation_data=None)
    clf.check_params({'loss': 'mse', 'metrics': []})     # build_fn arguments


@pytest.mark.parametrize('name', ['nb_epochs', 'x', 'y', 'foo'])
def test_check_params_names_an_unknown_parameter(name):
    with pytest.raises(ValueError, match="'%s' is not a legal parameter" % name):
        KerasClassifier(classifier_model, **{name: 1})
    clf = small_clf()
    with pytest.raises(ValueError, match="'%s' is not a legal parameter" % name):
        clf.set_params(**{name: 1})
    assert name not in clf.sk_params


def test_check_params_rejects_self():
    with pytest.raises(ValueError, match="'self' is not a legal parameter"):
        small_clf().check_params({'self': 1})


def test_get_params_returns_build_fn_and_sk_params():
    clf = KerasClassifier(classifier_model, hidden=2, nb_epoch=3)
    assert clf.get_params() == {'build_fn': classifier_model, 'hidden': 2, 'nb_epoch': 3}
    assert clf.get_params(deep=False) == clf.get_params(deep=True)
    clf.get_params()['hidden'] = 99            # a copy: the estimator is unchanged
    assert clf.sk_params['hidden'] == 2


def test_set_params_updates_and_returns_self():
    clf = KerasClassifier(classifier_model, hidden=2)
    assert clf.set_params(hidden=3, batch_size=6) is clf
    assert clf.get_params() == {'build_fn': classifier_model, 'hidden': 3, 'batch_size': 6}
    clf.set_params(build_fn=Builder())
    assert isinstance(clf.build_fn, Builder)
    with pytest.raises(ValueError, match="'nb_class' is not a legal parameter"):
        clf.set_params(nb_class=2)                # legal for the old build_fn, not the new one


def test_filter_sk_params():
    clf = KerasClassifier(classifier_model, hidden=2, nb_epoch=3, verbose=0)
    assert clf.filter_sk_params(classifier_model) == {'hidden': 2}
    assert clf.filter_sk_params(Sequential.fit) == {'nb_epoch': 3, 'verbose': 0}
    assert clf.filter_sk_params(Sequential.fit, {'nb_epoch': 1, 'shuffle': False}) == \
        {'nb_epoch': 1, 'verbose': 0, 'shuffle': False}
    assert clf.filter_sk_params(Builder().__call__) == {'hidden': 2}


def test_clone_gives_an_unfitted_equal_estimator():
    callbacks = []
    clf = small_clf(hidden=3, callbacks=callbacks)
    clf.fit(X, LABELS)
    twin = clone(clf)
    assert type(twin) is KerasClassifier
    assert twin.get_params().keys() == clf.get_params().keys()
    assert twin.build_fn is classifier_model and twin.sk_params['hidden'] == 3
    assert twin.sk_params['callbacks'] == [] and twin.sk_params['callbacks'] is not callbacks
    assert not hasattr(twin, 'model') and not hasattr(twin, 'classes_')
    sub = clone(SubclassedClassifier(hidden=2))
    assert type(sub) is SubclassedClassifier and sub.get_params() == \
        {'build_fn': None, 'hidden': 2}


def test_estimator_types_for_sklearn():
    assert is_classifier(small_clf()) and not is_regressor(small_clf())
    assert is_regressor(KerasRegressor(regressor_model))
    assert KerasClassifier._estimator_type == 'classifier'
    assert KerasRegressor._estimator_type == 'regressor'


# ------------------------------------------------------------------------------- fit

def test_fit_returns_the_history_and_uses_fit_sk_params():
    clf = small_clf(nb_epoch=3, validation_split=0.25)
    history = clf.fit(X, LABELS)
    assert isinstance(history, History) and history is clf.model.history
    assert history.epoch == [0, 1, 2]
    assert set(history.history) == {'loss', 'acc', 'val_loss', 'val_acc'}


def test_fit_kwargs_override_sk_params():
    clf = small_clf(nb_epoch=3)
    history = clf.fit(X, LABELS, nb_epoch=2, validation_split=0.5)
    assert history.epoch == [0, 1] and 'val_loss' in history.history
    assert clf.sk_params['nb_epoch'] == 3


def test_fit_progress_follows_verbose(capsys):
    small_clf(verbose=1).fit(X, LABELS)
    assert 'Epoch 1/1' in capsys.readouterr().out
    small_clf(verbose=1).fit(X, LABELS, verbose=0)
    assert capsys.readouterr().out == ''


def test_fit_builds_a_new_model_each_time():
    clf = small_clf(hidden=2)
    clf.fit(X, LABELS)
    first = clf.model
    clf.set_params(hidden=3)
    clf.fit(X, LABELS)
    assert clf.model is not first and hidden_units(clf) == 3


@pytest.mark.parametrize('y, classes', [
    (LABELS, [3, 7, 9]),
    (LABELS.reshape(-1, 1), [3, 7, 9]),
    (list(WORDS), ['cat', 'dog', 'emu']),
    (np.eye(3)[[0, 1, 2] * 4], [0, 1, 2]),
])
def test_classifier_classes_and_predicted_labels(y, classes):
    clf = small_clf(nb_epoch=2)
    clf.fit(X, y)
    assert clf.classes_.tolist() == classes and clf.n_classes_ == 3
    predicted = clf.predict(X)
    assert predicted.shape == (12,)
    assert set(predicted.tolist()) <= set(classes)
    indices = clf.model.predict(X).argmax(axis=-1)
    assert predicted.tolist() == [classes[i] for i in indices]


def test_classifier_one_hot_uses_the_number_of_classes():
    # labels 3, 7, 9 become 3 one-hot columns (not max + 1 = 10): a 3-unit model trains on them
    clf = small_clf(loss=objectives.categorical_crossentropy)   # the loss as a function
    clf.fit(X, LABELS)
    assert clf.model.evaluate(X, np.eye(3)[[0, 1, 2] * 4], verbose=0)[0] > 0


def test_classifier_sparse_categorical_keeps_integer_targets():
    clf = small_clf(loss='sparse_categorical_crossentropy')
    clf.fit(X, WORDS)
    assert clf.predict(X).shape == (12,)
    assert 0 <= clf.score(X, WORDS) <= 1


def test_classifier_fit_rejects_a_3d_y():
    with pytest.raises(ValueError, match=r'y must have shape.*got shape \(12, 3, 1\)'):
        small_clf().fit(X, np.zeros((12, 3, 1)))


def test_methods_before_fit_raise_not_fitted():
    clf = small_clf()
    for call in (lambda: clf.predict(X), lambda: clf.predict_proba(X),
                 lambda: clf.score(X, LABELS), lambda: KerasRegressor(regressor_model).predict(X),
                 lambda: KerasRegressor(regressor_model).score(X, Y_REG)):
        with pytest.raises(NotFittedError, match='not fitted yet: call fit before'):
            call()
    assert issubclass(NotFittedError, ValueError) and issubclass(NotFittedError, AttributeError)


# ------------------------------------------------------------------------------- classifier

def test_predict_proba_softmax_rows():
    clf = small_clf()
    clf.fit(X, WORDS)
    proba = clf.predict_proba(X)
    assert proba.shape == (12, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(proba, clf.model.predict(X))


def test_binary_sigmoid_labels_and_two_column_proba():
    y = np.array([-1, 1, 1, -1] * 3)
    clf = small_clf(nb_class=1, activation='sigmoid', loss='binary_crossentropy')
    clf.fit(X, y)
    assert clf.classes_.tolist() == [-1, 1]
    p = clf.model.predict(X)[:, 0]
    proba = clf.predict_proba(X)
    assert proba.shape == (12, 2)
    np.testing.assert_allclose(proba[:, 1], p)
    np.testing.assert_allclose(proba[:, 0], 1 - p)
    predicted = clf.predict(X)
    assert predicted.shape == (12,)
    assert predicted.tolist() == [1 if q > 0.5 else -1 for q in p]
    assert clf.score(X, y) == np.mean(predicted == y)


def test_predict_and_predict_proba_kwargs(capsys):
    clf = small_clf(verbose=1)
    clf.fit(X, LABELS, verbose=0)
    capsys.readouterr()
    clf.predict(X)                                      # predict_classes' verbose from sk_params
    assert '12/12' in capsys.readouterr().out
    clf.predict(X, verbose=0, batch_size=5)
    clf.predict_proba(X, verbose=0, batch_size=5)
    assert capsys.readouterr().out == ''
    np.testing.assert_array_equal(clf.predict_proba(X, verbose=0, batch_size=1),
                                  clf.predict_proba(X, verbose=0, batch_size=12))


def test_score_is_the_accuracy():
    clf = small_clf(nb_epoch=2)
    clf.fit(X, WORDS)
    accuracy = np.mean(clf.predict(X) == WORDS)
    assert clf.score(X, WORDS) == pytest.approx(accuracy)
    assert isinstance(clf.score(X, WORDS), float)
    subset = clf.score(X[:4], WORDS[:4], batch_size=2)   # fewer classes than seen by fit
    assert subset == pytest.approx(np.mean(clf.predict(X[:4]) == WORDS[:4]))


def test_score_with_one_hot_y():
    y = np.eye(3)[[0, 1, 2] * 4]
    clf = small_clf()
    clf.fit(X, y)
    assert clf.score(X, y) == pytest.approx(np.mean(clf.predict(X) == y.argmax(axis=1)))


def test_score_rejects_labels_not_seen_by_fit():
    clf = small_clf()
    clf.fit(X, WORDS)
    with pytest.raises(ValueError, match="label 'yak' of y is not one of the classes"):
        clf.score(X[:2], ['cat', 'yak'])


def test_score_needs_an_accuracy_metric():
    clf = small_clf(metrics=())
    clf.fit(X, LABELS)
    with pytest.raises(ValueError, match=r'not configured to compute accuracy.*\[\'loss\'\]'
                                         r'.*metrics=\["accuracy"\]'):
        clf.score(X, LABELS)


# ------------------------------------------------------------------------------- regressor

def test_regressor_predict_and_score():
    reg = KerasRegressor(regressor_model, hidden=3, nb_epoch=2, batch_size=4, verbose=0)
    history = reg.fit(X, Y_REG)
    assert history.epoch == [0, 1] and hidden_units(reg) == 3
    predicted = reg.predict(X)
    assert predicted.shape == (12,)
    np.testing.assert_array_equal(predicted, reg.model.predict(X)[:, 0])
    np.testing.assert_array_equal(reg.predict(X, batch_size=1), predicted)
    loss = reg.model.evaluate(X, Y_REG, verbose=0)
    assert reg.score(X, Y_REG) == pytest.approx(-loss)
    assert reg.score(X, Y_REG, batch_size=12) == pytest.approx(-loss, rel=1e-5)
    assert reg.score(X, Y_REG) < 0


def test_regressor_score_with_metrics_is_minus_the_loss():
    reg = KerasRegressor(regressor_model, metrics=['mae'], nb_epoch=1, verbose=0)
    reg.fit(X, Y_REG)
    loss, _ = reg.model.evaluate(X, Y_REG, verbose=0)
    assert reg.score(X, Y_REG) == pytest.approx(-loss)


def test_regressor_several_outputs_keep_their_columns():
    y = np.stack([Y_REG, -Y_REG], axis=1)
    reg = KerasRegressor(regressor_model, nb_out=2, nb_epoch=1, verbose=0)
    reg.fit(X, y)
    assert reg.predict(X).shape == (12, 2)


def test_regressor_categorical_crossentropy_one_hot_as_keras():
    def build():
        return classifier_model(metrics=())
    reg = KerasRegressor(build, nb_epoch=1, verbose=0)
    reg.fit(X, np.array([0, 1, 2] * 4))                 # class vector one-hot encoded by fit
    assert reg.predict(X).shape == (12, 3)


# ------------------------------------------------------------------------------- scikit-learn

def test_grid_search_classifier_over_build_and_fit_parameters():
    clf = KerasClassifier(classifier_model, batch_size=4, verbose=0)
    search = GridSearchCV(clf, {'hidden': [2, 3], 'nb_epoch': [1, 2]}, cv=2)
    search.fit(X, WORDS)
    assert len(search.cv_results_['params']) == 4
    assert search.best_params_['hidden'] in (2, 3) and search.best_params_['nb_epoch'] in (1, 2)
    best = search.best_estimator_
    assert hidden_units(best) == search.best_params_['hidden']
    assert best.model.history.epoch == list(range(search.best_params_['nb_epoch']))
    assert 0 <= search.score(X, WORDS) <= 1
    assert set(search.predict(X)) <= set(WORDS)
    assert 'hidden' not in clf.sk_params                 # the original estimator is untouched


def test_grid_search_regressor_maximises_minus_the_loss():
    reg = KerasRegressor(regressor_model, nb_epoch=1, batch_size=4, verbose=0)
    search = GridSearchCV(reg, {'hidden': [2, 3]}, cv=2)
    search.fit(X, Y_REG)
    scores = search.cv_results_['mean_test_score']
    assert (scores < 0).all()
    assert search.best_score_ == scores.max()
