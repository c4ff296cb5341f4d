"""Keras 1.2.2's mnist_cnn re-implemented directly in PyTorch (CPU, float32), with Keras 1's
numerics: glorot_uniform kernels with Keras 1's conv fans ('th': fan_in = channels_in x 3 x 3,
fan_out = filters x 3 x 3) and zero biases, true convolution (the kernel flipped, as Theano),
relu, 2x2 max-pooling, inverted dropout 0.25 and 0.5, Dense 128 and 10, the crossentropy Keras 1
computed (softmax renormalised and clipped to [1e-7, 1 - 1e-7]), Keras 1's Adadelta (lr 1,
rho 0.95, eps 1e-8), batch 128, reshuffled every epoch, 12 epochs. A yardstick for what the
published 99.25% means: the test accuracy after 12 epochs over seeds.

    SYMKERAS_DATA=../shared/data/mnist /tmp/peers-venv/bin/python \\
        benchmarks/reference_mnist_cnn_torch.py 1 2 3
"""
import sys

import numpy as np
import torch
import torch.nn.functional as F

from symkeras.datasets import mnist


def glorot(shape, fan_in, fan_out, rng):
    s = np.sqrt(6. / (fan_in + fan_out))
    return torch.tensor(rng.uniform(-s, s, shape).astype('float32'))


def train(seed, data, epochs=12):
    (x, y), (xt, yt) = data
    rng = np.random.RandomState(seed)
    torch.manual_seed(seed)
    params = [glorot((32, 1, 3, 3), 9, 288, rng), torch.zeros(32),
              glorot((32, 32, 3, 3), 288, 288, rng), torch.zeros(32),
              glorot((4608, 128), 4608, 128, rng), torch.zeros(128),
              glorot((128, 10), 128, 10, rng), torch.zeros(10)]
    for p in params:
        p.requires_grad_(True)
    acc = [torch.zeros_like(p) for p in params]
    delta_acc = [torch.zeros_like(p) for p in params]

    def forward(xb, train):
        w1, b1, w2, b2, w3, b3, w4, b4 = params
        h = F.relu(F.conv2d(xb, torch.flip(w1, [2, 3]), b1))
        h = F.max_pool2d(F.relu(F.conv2d(h, torch.flip(w2, [2, 3]), b2)), 2)
        h = F.dropout(h, 0.25, train).reshape(len(xb), -1)
        h = F.dropout(F.relu(h @ w3 + b3), 0.5, train)
        return torch.softmax(h @ w4 + b4, -1)

    for _ in range(epochs):
        order = rng.permutation(len(x))
        for s in range(0, len(x), 128):
            j = torch.tensor(order[s:s + 128])
            out = forward(x[j], True)
            out = (out / out.sum(-1, keepdim=True)).clamp(1e-7, 1 - 1e-7)
            loss = -(y[j] * out.log()).sum(-1).mean()
            grads = torch.autograd.grad(loss, params)
            with torch.no_grad():
                for p, g, a, d in zip(params, grads, acc, delta_acc):
                    a.mul_(0.95).add_(0.05 * g * g)
                    step = g * (d + 1e-8).sqrt() / (a + 1e-8).sqrt()
                    p.sub_(step)
                    d.mul_(0.95).add_(0.05 * step * step)
    with torch.no_grad():
        pred = torch.cat([forward(xt[i:i + 1000], False) for i in range(0, len(xt), 1000)])
        return float((pred.argmax(-1).numpy() == yt).mean())


def main(argv):
    seeds = [int(a) for a in argv] or [1337]
    (x, y), (xt, yt) = mnist.load_data()
    x = torch.tensor(x.reshape(60000, 1, 28, 28).astype('float32') / 255)
    xt = torch.tensor(xt.reshape(10000, 1, 28, 28).astype('float32') / 255)
    y = F.one_hot(torch.tensor(y.astype('int64')), 10).float()
    for seed in seeds:
        print('seed %d: after 12 epochs %.4f' % (seed, train(seed, ((x, y), (xt, yt)))), flush=True)


if __name__ == '__main__':
    main(sys.argv[1:])
