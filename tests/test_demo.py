"""The README's demo: mnist_mlp trained with the Keras 1 API on scikit-learn's digits (no MNIST
files in the test's KERAS_HOME), evaluated, its weights saved and reloaded, then used to predict."""
import importlib.util
import os

EXAMPLES = os.path.join(os.path.dirname(__file__), '..', 'examples')


def _load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_trains_saves_reloads_and_predicts(monkeypatch, capsys):
    monkeypatch.delenv('SYMKERAS_DATA', raising=False)
    accuracy, same = _load('demo').main(epochs=3, verbose=2)
    out = capsys.readouterr().out
    assert "scikit-learn's digits (28x28): 1437 train samples, 360 test samples" in out
    assert 'Total params: 669,706' in out            # exactly mnist_mlp's network
    assert 'Epoch 3/3' in out and 'val_acc' in out
    assert accuracy > 0.9 and same
