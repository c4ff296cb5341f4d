"""One gradient of Keras' mnist_cnn model (without dropout, so that both sides compute the same
function) through symkeras' Keras 1 API in float32, against the same model written directly in
PyTorch in float64 (kernels flipped: Theano's true convolution), on the same weights and batch.
Prints the loss of each and, per weight, the largest difference relative to the largest entry.

    /tmp/peers-venv/bin/python benchmarks/compare_cnn_gradients_torch.py
"""
import numpy as np, torch
import symkeras.backend as K
from symkeras.models import Sequential
from symkeras.layers import Dense, Activation, Flatten, Convolution2D, MaxPooling2D
np.random.seed(0)
x = np.random.rand(16,1,28,28).astype('float32'); y = np.eye(10, dtype='float32')[np.random.randint(0,10,16)]
m = Sequential()
m.add(Convolution2D(32,3,3,input_shape=(1,28,28))); m.add(Activation('relu'))
m.add(Convolution2D(32,3,3)); m.add(Activation('relu')); m.add(MaxPooling2D((2,2)))
m.add(Flatten()); m.add(Dense(128)); m.add(Activation('relu')); m.add(Dense(10)); m.add(Activation('softmax'))
ws = m.get_weights()
ws = [w + np.random.uniform(-0.05, 0.05, w.shape).astype("float32") for w in ws]  # nonzero biases
m.set_weights(ws)
m.compile(loss='categorical_crossentropy', optimizer='sgd')
loss = m.model.total_loss
grads = K.gradients(loss, m.model._collected_trainable_weights)
names = [w.name for w in m.model._collected_trainable_weights]
f = K.function(m.model.inputs + m.model.targets + m.model.sample_weights, [loss] + grads)
out = f([x, y, np.ones(16, 'float32')])
# torch reference, float64
t = lambda a: torch.tensor(a, dtype=torch.float64, requires_grad=True)
W1,b1,W2,b2,W3,b3,W4,b4 = [t(w) for w in ws]
X = torch.tensor(x, dtype=torch.float64)
h = torch.relu(torch.nn.functional.conv2d(X, torch.flip(W1, [2,3])) + b1[None,:,None,None])
h = torch.relu(torch.nn.functional.conv2d(h, torch.flip(W2, [2,3])) + b2[None,:,None,None])
h = torch.nn.functional.max_pool2d(h, 2).reshape(16, -1)
h = torch.relu(h @ W3 + b3)
p = torch.softmax(h @ W4 + b4, -1)
L = -(torch.tensor(y, dtype=torch.float64) * torch.log(p)).sum(1).mean()
L.backward()
ref = {'convolution2d_1_W': W1, 'convolution2d_1_b': b1, 'convolution2d_2_W': W2, 'convolution2d_2_b': b2, 'dense_1_W': W3, 'dense_1_b': b3, 'dense_2_W': W4, 'dense_2_b': b4}
print('loss', out[0], L.item())
for n, g in zip(names, out[1:]):
    r = ref[n].grad.numpy()
    print(n, np.abs(g - r).max() / (np.abs(r).max() + 1e-12))
