"""One training step of symkeras against a direct PyTorch re-implementation of Keras 1's
mnist_mlp step (see reference_mnist_mlp_torch.py), in float64: same initial weights, same
batches, no dropout, RMSprop. Prints the largest weight difference every 50 steps; in float64
it stays at rounding level (about 1e-14) when the two compute the same thing.

    SYMKERAS_DATA=../shared/data/mnist /tmp/peers-venv/bin/python benchmarks/compare_step_float64.py [steps]
"""
import sys

import numpy as np
import torch

from symkeras import backend as K
from symkeras.datasets import mnist
from symkeras.layers.core import Activation, Dense
from symkeras.models import Sequential
from symkeras.optimizers import RMSprop


def main(steps=300):
    K.set_floatx('float64')
    np.random.seed(0)
    (x, y), _ = mnist.load_data()
    x = x.reshape(60000, 784).astype('float64') / 255
    y = np.eye(10)[y]
    model = Sequential()
    for layer in (Dense(512, input_shape=(784,)), Activation('relu'), Dense(512),
                  Activation('relu'), Dense(10), Activation('softmax')):
        model.add(layer)
    model.compile(loss='categorical_crossentropy', optimizer=RMSprop())
    params = [torch.tensor(w.copy(), requires_grad=True) for w in model.get_weights()]
    accumulators = [torch.zeros_like(p) for p in params]
    order = np.random.RandomState(5).permutation(60000)
    for step in range(steps + 1):
        j = order[(step * 128) % 59904:][:128]
        model.train_on_batch(x[j], y[j])
        h = torch.tensor(x[j])
        for k in range(2):
            h = torch.relu(h @ params[2 * k] + params[2 * k + 1])
        out = torch.softmax(h @ params[4] + params[5], -1)
        out = (out / out.sum(-1, keepdim=True)).clamp(1e-7, 1 - 1e-7)
        loss = -(torch.tensor(y[j]) * out.log()).sum(-1).mean()
        grads = torch.autograd.grad(loss, params)
        with torch.no_grad():
            for p, g, a in zip(params, grads, accumulators):
                a.mul_(0.9).add_(0.1 * g * g)
                p.sub_(1e-3 * g / (a.sqrt() + 1e-8))
        if step % 50 == 0:
            diff = max(np.abs(w - p.detach().numpy()).max()
                       for w, p in zip(model.get_weights(), params))
            print('step %d: largest weight difference %.2e' % (step, diff))


if __name__ == '__main__':
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
