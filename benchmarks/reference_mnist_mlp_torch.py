"""Keras 1.2.2's mnist_mlp re-implemented directly in PyTorch (CPU, float32), with Keras 1's
exact numerics: glorot_uniform weights and zero biases, inverted dropout 0.2, the crossentropy
Keras 1 computed (softmax renormalised, clipped to [1e-7, 1 - 1e-7], then -sum(y log p)),
Keras 1's RMSprop (lr 1e-3, rho 0.9, eps 1e-8: a = rho a + (1 - rho) g^2; p -= lr g /
(sqrt(a) + eps)), batch 128, reshuffled every epoch, 20 epochs. A yardstick for what the
published 98.40% means: the test accuracy after 20 epochs over seeds.

With --philox-masks the dropout masks come from symkeras' own K.dropout (Philox), everything
else staying PyTorch, to separate the random number source from the rest.

    SYMKERAS_DATA=../shared/data/mnist /tmp/peers-venv/bin/python \\
        benchmarks/reference_mnist_mlp_torch.py [--philox-masks] 1 2 3
"""
import sys

import numpy as np
import torch

from symkeras import backend as K
from symkeras.datasets import mnist


def glorot(n_in, n_out, rng):
    s = np.sqrt(6. / (n_in + n_out))
    return torch.tensor(rng.uniform(-s, s, (n_in, n_out)).astype('float32'))


def philox_masks(rng):
    """A function of the batch size giving two dropout masks (already scaled by 1/0.8) from
    symkeras' random streams, seeded as Keras seeds them."""
    ones = K.placeholder((None, 512))
    f = K.function([ones], [K.dropout(ones, 0.2, seed=rng.randint(1, 10 ** 7)),
                            K.dropout(ones, 0.2, seed=rng.randint(1, 10 ** 7))])
    return lambda n: [torch.tensor(m) for m in f([np.ones((n, 512), 'float32')])]


def torch_masks(n):
    return [(torch.rand(n, 512) < 0.8).float() / 0.8 for _ in range(2)]


def train(seed, data, use_philox, epochs=20):
    (x, y), (xt, yt) = data
    rng = np.random.RandomState(seed)
    torch.manual_seed(seed)
    params = [glorot(784, 512, rng), glorot(512, 512, rng), glorot(512, 10, rng),
              torch.zeros(512), torch.zeros(512), torch.zeros(10)]
    for p in params:
        p.requires_grad_(True)
    acc = [torch.zeros_like(p) for p in params]
    masks = philox_masks(rng) if use_philox else torch_masks

    def forward(xb, drop):
        h = xb
        for k, m in zip(range(2), drop or [None, None]):
            h = torch.relu(h @ params[k] + params[3 + k])
            h = h if m is None else h * m
        return torch.softmax(h @ params[2] + params[5], -1)

    for _ in range(epochs):
        order = rng.permutation(len(x))
        for s in range(0, len(x), 128):
            j = torch.tensor(order[s:s + 128])
            out = forward(x[j], masks(len(j)))
            out = (out / out.sum(-1, keepdim=True)).clamp(1e-7, 1 - 1e-7)
            loss = -(y[j] * out.log()).sum(-1).mean()
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                for p, g, a in zip(params, grads, acc):
                    a.mul_(0.9).add_(0.1 * g * g)
                    p.sub_(1e-3 * g / (a.sqrt() + 1e-8))
    with torch.no_grad():
        return float((forward(xt, None).argmax(-1).numpy() == yt).mean())


def main(argv):
    use_philox = '--philox-masks' in argv
    seeds = [int(a) for a in argv if not a.startswith('--')] or [1337]
    torch.set_num_threads(1)
    (x, y), (xt, yt) = mnist.load_data()
    x = torch.tensor(x.reshape(60000, 784).astype('float32') / 255)
    xt = torch.tensor(xt.reshape(10000, 784).astype('float32') / 255)
    y = torch.nn.functional.one_hot(torch.tensor(y.astype('int64')), 10).float()
    for seed in seeds:
        print('seed %d: after 20 epochs %.4f (%s dropout masks)'
              % (seed, train(seed, ((x, y), (xt, yt)), use_philox),
                 'symkeras Philox' if use_philox else 'PyTorch'), flush=True)


if __name__ == '__main__':
    main(sys.argv[1:])
