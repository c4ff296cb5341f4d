"""The recurrent examples run as scripts on tiny settings: examples/addition_rnn.py (Keras
1.2.2's seq2seq addition), examples/imdb_lstm.py on a small IMDB pickle and on its synthetic
reviews, and examples/stateful_lstm.py (their full runs are in BENCHMARKS.md)."""
import os
import pickle
import runpy
import sys

import numpy as np

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'examples')


def run_example(monkeypatch, capsys, name, *argv):
    monkeypatch.setattr(sys, 'argv', [name] + list(argv))
    runpy.run_path(os.path.join(EXAMPLES, name), run_name='__main__')
    # progress bars rewrite their line with carriage returns
    return capsys.readouterr().out.replace('\r', '\n')


def test_addition_rnn_example(monkeypatch, capsys):
    out = run_example(monkeypatch, capsys, 'addition_rnn.py', '--digits', '2', '--samples',
                      '300', '--epochs', '2')
    assert 'Total addition questions: 300' in out
    assert '(270, 5, 12)\n(270, 3, 12)' in out
    assert 'Iteration 2' in out and 'Iteration 3' not in out
    assert out.count('val_acc') >= 2
    questions = [line for line in out.splitlines() if line.startswith('Q ')]
    answers = [line for line in out.splitlines() if line.startswith('T ')]
    assert len(questions) == len(answers) == 20
    for q, t in zip(questions, answers):
        a, b = q[2:].split('+')
        assert int(a) + int(b) == int(t[2:])


def test_imdb_lstm_example_on_synthetic_reviews(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv('SYMKERAS_DATA', str(tmp_path))          # no IMDB file there
    out = run_example(monkeypatch, capsys, 'imdb_lstm.py', '--epochs', '1', '--samples', '64')
    assert 'using synthetic reviews of the same shapes' in out
    assert 'X_train shape: (64, 80)' in out and 'X_test shape: (64, 80)' in out
    assert 'Epoch 1/1' in out
    accuracy = float(out.strip().splitlines()[-1].split()[-1])
    assert 0. <= accuracy <= 1.


def test_imdb_lstm_example_reads_the_imdb_pickle(monkeypatch, capsys, tmp_path):
    rng = np.random.RandomState(0)

    def part(n):
        return ([rng.randint(1, 30000, rng.randint(5, 120)).tolist() for _ in range(n)],
                rng.randint(0, 2, n).tolist())
    with open(str(tmp_path / 'imdb_full.pkl'), 'wb') as f:
        pickle.dump((part(40), part(24)), f)
    monkeypatch.setenv('SYMKERAS_DATA', str(tmp_path))
    out = run_example(monkeypatch, capsys, 'imdb_lstm.py', '--epochs', '1')
    assert 'synthetic' not in out
    assert '40 train sequences\n24 test sequences' in out
    assert 'X_train shape: (40, 80)' in out and 'Test accuracy:' in out


def test_stateful_lstm_example(monkeypatch, capsys):
    monkeypatch.setenv('MPLBACKEND', 'Agg')
    out = run_example(monkeypatch, capsys, 'stateful_lstm.py', '--epochs', '2', '--samples',
                      '100')
    assert 'Input shape: (100, 1, 1)' in out
    assert 'Epoch 0 / 2' in out and 'Epoch 1 / 2' in out
    assert out.count('100/100') >= 2 and 'Predicting' in out
