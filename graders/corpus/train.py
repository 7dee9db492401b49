"""Student-style bugs of train.py (the capstone): a whole training loop written with layer
objects and an Adam object, each entry with one genuine mistake (see
``descent.catalogue.student``). Each trains for real, so there are only two.
"""

import math
import time

import torch

from descent.catalogue import student


class Linear:
    def __init__(self, fan_in, fan_out, generator, dtype, zero=False):
        bound = math.sqrt(6.0 / fan_in)
        if zero:
            self.W = torch.zeros(fan_out, fan_in, dtype=dtype)
        else:
            self.W = (torch.rand(fan_out, fan_in, generator=generator, dtype=dtype) * 2 - 1) * bound
        self.b = torch.zeros(fan_out, dtype=dtype)
        self.state = [{}, {}]

    def forward(self, x):
        self.x = x
        return x @ self.W.T + self.b

    def backward(self, d):
        self.dW, self.db = d.T @ self.x, d.sum(0)
        return d @ self.W

    def step(self, lr):
        for i, (name, grad) in enumerate((("W", self.dW), ("b", self.db))):
            p, s = getattr(self, name), self.state[i]
            t = s.get("t", 0) + 1
            m = 0.9 * s.get("m", torch.zeros_like(p)) + 0.1 * grad
            v = 0.999 * s.get("v", torch.zeros_like(p)) + 0.001 * grad * grad
            self.state[i] = {"t": t, "m": m, "v": v}
            p = p - lr * (m / (1 - 0.9**t)) / (torch.sqrt(v / (1 - 0.999**t)) + 1e-8)
            setattr(self, name, p)


class MLP:
    def __init__(self, sizes, generator, dtype, zero=False):
        self.layers = [Linear(a, b, generator, dtype, zero) for a, b in zip(sizes[:-1], sizes[1:])]

    def forward(self, x):
        self.masks = []
        for i, layer in enumerate(self.layers):
            x = layer.forward(x)
            if i < len(self.layers) - 1:
                self.masks.append(x > 0)
                x = x.clamp(min=0)
        return x

    def backward(self, d):
        for i in reversed(range(len(self.layers))):
            d = self.layers[i].backward(d)
            if i > 0:
                d = d * self.masks[i - 1]

    def loss(self, x, y):
        logits = self.forward(x)
        z = logits - logits.max(dim=1, keepdim=True).values
        logp = z - torch.log(torch.exp(z).sum(dim=1, keepdim=True))
        n = len(y)
        d = torch.exp(logp)
        d[torch.arange(n), y] -= 1
        return -logp[torch.arange(n), y].mean(), d / n

    def params(self):
        return [(layer.W, layer.b) for layer in self.layers]


def _train(x, y, xv, yv, seed, budget, *, zero_init=False, per_batch_history=False):
    start = time.perf_counter()
    g = torch.Generator().manual_seed(seed)
    classes = int(max(int(y.max()), int(yv.max()))) + 1
    model = MLP((x.shape[1], 64, 64, classes), g, x.dtype, zero=zero_init)
    n, batch = x.shape[0], 32
    history = {"train_loss": [], "val_loss": []}
    for _ in range(100):
        order = torch.randperm(n, generator=g)
        losses = []
        for i in range(0, n, batch):
            idx = order[i : i + batch]
            loss, d = model.loss(x[idx], y[idx])
            model.backward(d)
            for layer in model.layers:
                layer.step(1e-2)
            losses.append(loss.item())
        if per_batch_history:
            history["train_loss"].extend(losses)
        else:
            history["train_loss"].append(sum(losses) / len(losses))
        history["val_loss"].append(model.loss(xv, yv)[0].item())
        if time.perf_counter() - start > 0.8 * budget:
            break
    return {"params": model.params(), **history}


train_weights_start_at_zero = student(
    "train_weights_start_at_zero",
    "train.train_classifier",
    "starts every weight at zero, so the hidden units never differ and the network cannot learn",
    generic="zero",
    wrong_on="ordinary",
)


@train_weights_start_at_zero.replaces
def train_classifier(x_train, y_train, x_val, y_val, *, seed=0, time_budget_s=20.0):
    return _train(x_train, y_train, x_val, y_val, seed, time_budget_s, zero_init=True)


train_history_per_batch = student(
    "train_history_per_batch",
    "train.train_classifier",
    "records the loss of every mini-batch in train_loss instead of one mean per epoch",
    generic=("omitted", "reduction"),
    wrong_on="ordinary",
)


@train_history_per_batch.replaces
def train_classifier(x_train, y_train, x_val, y_val, *, seed=0, time_budget_s=20.0):
    return _train(x_train, y_train, x_val, y_val, seed, time_budget_s, per_batch_history=True)


train_standardized_inputs_kept_apart = student(
    "train_standardized_inputs_kept_apart",
    "train.train_classifier",
    "standardizes the inputs with x_train's mean and standard deviation, trains on them, and "
    "returns the weights as they are: the graders' raw inputs meet weights made for others",
    generic="argument",
    wrong_on="ordinary",
)


@train_standardized_inputs_kept_apart.replaces
def train_classifier(x_train, y_train, x_val, y_val, *, seed=0, time_budget_s=20.0):
    centre, spread = x_train.mean(dim=0), x_train.std(dim=0)
    return _train(
        (x_train - centre) / spread, y_train, (x_val - centre) / spread, y_val, seed, time_budget_s
    )
