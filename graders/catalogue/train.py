"""Catalogued variants of train.py (the capstone): realistic bugs and an alternative correct loop.

A variant replaces the whole ``train_classifier``. To keep them readable (and independent of the
other topics' reference code) they share one small training loop written with plain tensor
operations, with a knob per mistake. Each variant trains for real, so there are few of them and
each is cheap: rows 93 and 94 of content.md 7(c) and the mistakes the capstone checks exist for.
"""

import math
import time

import numpy as np
import torch

from descent.catalogue import alternative, bug, hollow


def _forward(params, x):
    hs = [x]
    for i, (W, b) in enumerate(params):
        z = hs[-1] @ W.T + b
        hs.append(z.clamp_min(0) if i < len(params) - 1 else z)
    return hs


def _cross_entropy(logits, y):
    shifted = logits - logits.amax(dim=1, keepdim=True)
    logp = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    probs = logp.exp()
    loss = -logp[torch.arange(len(y)), y].mean()
    dlogits = probs.clone()
    dlogits[torch.arange(len(y)), y] -= 1
    return loss, dlogits / len(y)


def _grads(params, hs, dlogits):
    grads, d = [], dlogits
    for i in range(len(params) - 1, -1, -1):
        W, _ = params[i]
        grads.append((d.T @ hs[i], d.sum(dim=0)))
        d = d @ W
        if i > 0:
            d = d * (hs[i] > 0)
    return grads[::-1]


def _loop(
    x,
    y,
    xv,
    yv,
    seed,
    budget,
    *,
    optimizer="adam",
    hidden=(64, 64),
    lr=1e-2,
    epochs=100,
    min_steps=300,
    batch=32,
    sign=1.0,
    global_rng=False,
    schedule_in_epochs=False,
    report_train_as_val=False,
):
    start = time.perf_counter()
    g = None if global_rng else torch.Generator().manual_seed(seed)
    n, d = x.shape
    sizes = (d, *hidden, int(max(y.max(), yv.max())) + 1)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = math.sqrt(6.0 / fan_in)
        W = (torch.rand(fan_out, fan_in, generator=g, dtype=x.dtype) * 2 - 1) * bound
        params.append((W, torch.zeros(fan_out, dtype=x.dtype)))
    moments = [[torch.zeros_like(t) for t in pair] for pair in params]
    squares = [[torch.zeros_like(t) for t in pair] for pair in params]
    per_epoch = -(-n // batch)
    epochs = max(epochs, -(-min_steps // per_epoch))
    total = epochs if schedule_in_epochs else epochs * per_epoch
    step, history = 0, {"train_loss": [], "val_loss": []}
    for _ in range(epochs):
        order = torch.randperm(n, generator=g)
        losses = []
        for first in range(0, n, batch):
            idx = order[first : first + batch]
            hs = _forward(params, x[idx])
            loss, dlogits = _cross_entropy(hs[-1], y[idx])
            grads = _grads(params, hs, dlogits)
            norm = math.sqrt(sum(float((t * t).sum()) for pair in grads for t in pair))
            scale = min(1.0, 5.0 / (norm + 1e-6))
            rate = lr * 0.5 * (1 + math.cos(math.pi * min(step, total) / total))
            step += 1
            new = []
            for i, (pair, gpair) in enumerate(zip(params, grads)):
                updated = []
                for j, (p, gr) in enumerate(zip(pair, gpair)):
                    gr = gr * scale
                    if optimizer == "adam":
                        m = moments[i][j] = 0.9 * moments[i][j] + 0.1 * gr
                        v = squares[i][j] = 0.999 * squares[i][j] + 0.001 * gr * gr
                        upd = (m / (1 - 0.9**step)) / ((v / (1 - 0.999**step)).sqrt() + 1e-8)
                    else:  # SGD with momentum 0.9, PyTorch form
                        upd = moments[i][j] = 0.9 * moments[i][j] + gr if step > 1 else gr
                    updated.append(p - sign * rate * upd)
                new.append(tuple(updated))
            params = new
            losses.append(loss.item())
        history["train_loss"].append(sum(losses) / len(losses))
        xe, ye = (x, y) if report_train_as_val else (xv, yv)
        history["val_loss"].append(_cross_entropy(_forward(params, xe)[-1], ye)[0].item())
        if time.perf_counter() - start > 0.8 * budget:
            break
    return {"params": params, **history}


sign_flipped = bug(
    "train_update_sign_flipped",
    "train.train_classifier",
    "adds the update to the parameters (p + lr * step) instead of subtracting it",
    hint="Gradient descent moves against the gradient: new_p = p - lr * update. "
    "A loss that grows from the first epoch is the symptom.",
    wrong_on="ordinary",
)


@sign_flipped.replaces
def train_classifier(x_train, y_train, x_val, y_val, *, seed=0, time_budget_s=20.0):
    return _loop(x_train, y_train, x_val, y_val, seed, time_budget_s, sign=-1.0)


global_rng = bug(
    "train_not_seeded",
    "train.train_classifier",
    "draws the initial weights and the shuffling from the global random generator, ignoring `seed`",
    hint="Create g = torch.Generator().manual_seed(seed) and pass generator=g to "
    "every random call (initialization, torch.randperm).",
    generic="random",
    wrong_on="ordinary",
)


@global_rng.replaces
def train_classifier(x_train, y_train, x_val, y_val, *, seed=0, time_budget_s=20.0):
    return _loop(x_train, y_train, x_val, y_val, seed, time_budget_s, global_rng=True)


schedule_epochs = bug(
    "train_schedule_length_in_epochs",
    "train.train_classifier",
    "gives the schedule the number of epochs as its length while stepping it "
    "once per batch, so the learning rate reaches 0 early in training",
    hint="The schedule's step counts optimizer steps: its total is epochs * "
    "batches per epoch, not the number of epochs.",
    wrong_on="ordinary",
)


@schedule_epochs.replaces
def train_classifier(x_train, y_train, x_val, y_val, *, seed=0, time_budget_s=20.0):
    return _loop(x_train, y_train, x_val, y_val, seed, time_budget_s, schedule_in_epochs=True)


train_as_val = bug(
    "train_reports_training_loss_as_validation",
    "train.train_classifier",
    "records the loss on the training set in val_loss",
    hint="val_loss[e] is the loss of the current parameters on x_val / y_val.",
    wrong_on="ordinary",
)


@train_as_val.replaces
def train_classifier(x_train, y_train, x_val, y_val, *, seed=0, time_budget_s=20.0):
    return _loop(x_train, y_train, x_val, y_val, seed, time_budget_s, report_train_as_val=True)


sgd_momentum = alternative(
    "train_sgd_momentum",
    "train.train_classifier",
    "a different correct loop: SGD with momentum, other widths, cosine schedule",
)


@sgd_momentum.replaces
def train_classifier(x_train, y_train, x_val, y_val, *, seed=0, time_budget_s=20.0):
    return _loop(
        x_train,
        y_train,
        x_val,
        y_val,
        seed,
        time_budget_s,
        optimizer="sgd",
        hidden=(96, 48),
        lr=0.1,
        epochs=120,
        min_steps=400,
        batch=24,
    )


# -- alternatives in other styles -------------------------------------------------------------------
# Object style, as a capstone built from a course's own classes: Linear, ReLU and a
# SoftmaxCrossEntropy loss (with self.softmax) with forward/backward methods, a Model that chains
# them, and an Adam optimizer object with a step method.
class Linear:
    def __init__(self, fan_in, fan_out, g, dtype, device):
        bound = math.sqrt(6.0 / fan_in)
        W = (torch.rand(fan_out, fan_in, generator=g, dtype=dtype) * 2 - 1) * bound
        self.W, self.b = W.to(device), torch.zeros(fan_out, dtype=dtype, device=device)

    def forward(self, x):
        self.x = x
        return x @ self.W.T + self.b

    def backward(self, d):
        self.dW, self.db = d.T @ self.x, d.sum(dim=0)
        return d @ self.W


class ReLU:
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, d):
        return d * self.mask


class SoftmaxCrossEntropy:
    def __init__(self):
        self.softmax = _stable_softmax

    def forward(self, logits, y):
        self.probs, self.y = self.softmax(logits), y
        shifted = logits - logits.amax(dim=1, keepdim=True)
        logp = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
        return -logp[torch.arange(len(y), device=y.device), y].mean()

    def backward(self):
        d = self.probs.clone()
        d[torch.arange(len(self.y), device=d.device), self.y] -= 1
        return d / len(self.y)


def _stable_softmax(z):
    e = (z - z.amax(dim=1, keepdim=True)).exp()
    return e / e.sum(dim=1, keepdim=True)


class Model:
    def __init__(self, sizes, g, dtype, device):
        self.layers = []
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            self.layers.append(Linear(fan_in, fan_out, g, dtype, device))
            if i < len(sizes) - 2:
                self.layers.append(ReLU())
        self.linears = [layer for layer in self.layers if isinstance(layer, Linear)]

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, d):
        for layer in reversed(self.layers):
            d = layer.backward(d)


class Adam:
    def __init__(self, linears, lr, betas=(0.9, 0.999), eps=1e-8):
        self.linears, self.lr, self.betas, self.eps, self.t = linears, lr, betas, eps, 0
        self.m = {id(layer): (0.0, 0.0) for layer in linears}
        self.v = {id(layer): (0.0, 0.0) for layer in linears}

    def step(self, lr):
        self.t += 1
        b1, b2 = self.betas
        for layer in self.linears:
            grads = (layer.dW, layer.db)
            m = tuple(b1 * mi + (1 - b1) * gi for mi, gi in zip(self.m[id(layer)], grads))
            v = tuple(b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(self.v[id(layer)], grads))
            self.m[id(layer)], self.v[id(layer)] = m, v
            upd = [
                (mi / (1 - b1**self.t)) / ((vi / (1 - b2**self.t)).sqrt() + self.eps)
                for mi, vi in zip(m, v)
            ]
            layer.W, layer.b = layer.W - lr * upd[0], layer.b - lr * upd[1]


objects_capstone = alternative(
    "train_layer_objects",
    "train.train_classifier",
    "the capstone built from Linear, ReLU and SoftmaxCrossEntropy "
    "objects with forward/backward and an Adam object with step",
)


@objects_capstone.replaces
def train_classifier(x_train, y_train, x_val, y_val, *, seed=0, time_budget_s=20.0):
    start = time.perf_counter()
    g = torch.Generator().manual_seed(seed)
    n, d = x_train.shape
    sizes = (d, 64, 64, int(max(y_train.max(), y_val.max())) + 1)
    model = Model(sizes, g, x_train.dtype, x_train.device)
    loss_fn, opt = SoftmaxCrossEntropy(), Adam(model.linears, 1e-2)
    epochs, batch = 100, 32
    total = epochs * -(-n // batch)
    history = {"train_loss": [], "val_loss": []}
    for _ in range(epochs):
        order = torch.randperm(n, generator=g).to(x_train.device)
        losses = []
        for first in range(0, n, batch):
            idx = order[first : first + batch]
            loss = loss_fn.forward(model.forward(x_train[idx]), y_train[idx])
            model.backward(loss_fn.backward())
            opt.step(1e-2 * 0.5 * (1 + math.cos(math.pi * opt.t / total)))
            losses.append(loss.item())
        history["train_loss"].append(sum(losses) / len(losses))
        history["val_loss"].append(loss_fn.forward(model.forward(x_val), y_val).item())
        if time.perf_counter() - start > 0.8 * time_budget_s:
            break
    return {"params": [(layer.W, layer.b) for layer in model.linears], **history}


# NumPy bridged to tensors: the whole loop in NumPy (seeded with np.random.default_rng), the
# parameters converted back to the inputs' dtype and device at the end.
numpy_capstone = alternative(
    "train_numpy",
    "train.train_classifier",
    "trains in NumPy float64 with a seeded default_rng and converts the parameters back",
)


def _np_forward(params, x):
    hs = [x]
    for i, (W, b) in enumerate(params):
        z = hs[-1] @ W.T + b
        hs.append(np.maximum(z, 0) if i < len(params) - 1 else z)
    return hs


def _np_loss(logits, y):
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    d = np.exp(logp)
    d[np.arange(len(y)), y] -= 1
    return float(-logp[np.arange(len(y)), y].mean()), d / len(y)


@numpy_capstone.replaces
def train_classifier(x_train, y_train, x_val, y_val, *, seed=0, time_budget_s=20.0):
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    x, y = x_train.detach().cpu().numpy().astype(np.float64), y_train.cpu().numpy()
    xv, yv = x_val.detach().cpu().numpy().astype(np.float64), y_val.cpu().numpy()
    sizes = (x.shape[1], 64, 64, int(max(y.max(), yv.max())) + 1)
    params = [
        (rng.uniform(-1, 1, (o, i)) * np.sqrt(6.0 / i), np.zeros(o))
        for i, o in zip(sizes[:-1], sizes[1:])
    ]
    m = [[np.zeros_like(t) for t in pair] for pair in params]
    v = [[np.zeros_like(t) for t in pair] for pair in params]
    history, step, n = {"train_loss": [], "val_loss": []}, 0, len(x)
    for _ in range(100):
        order, losses = rng.permutation(n), []
        for first in range(0, n, 32):
            idx = order[first : first + 32]
            hs = _np_forward(params, x[idx])
            loss, d = _np_loss(hs[-1], y[idx])
            step += 1
            new = []
            for i in range(len(params) - 1, -1, -1):
                W, b = params[i]
                grads = (d.T @ hs[i], d.sum(axis=0))
                d = (d @ W) * (hs[i] > 0) if i > 0 else d
                pair = []
                for j, (p, gr) in enumerate(zip(params[i], grads)):
                    m[i][j] = 0.9 * m[i][j] + 0.1 * gr
                    v[i][j] = 0.999 * v[i][j] + 0.001 * gr * gr
                    upd = (m[i][j] / (1 - 0.9**step)) / (
                        np.sqrt(v[i][j] / (1 - 0.999**step)) + 1e-8
                    )
                    pair.append(p - 1e-2 * upd)
                new.append(tuple(pair))
            params = new[::-1]
            losses.append(loss)
        history["train_loss"].append(sum(losses) / len(losses))
        history["val_loss"].append(_np_loss(_np_forward(params, xv)[-1], yv)[0])
        if time.perf_counter() - start > 0.8 * time_budget_s:
            break
    back = [
        tuple(torch.from_numpy(t).to(dtype=x_train.dtype, device=x_train.device) for t in pair)
        for pair in params
    ]
    return {"params": back, **history}


# -- hollow: a loop that trains nothing (must score 0) ---------------------------------------------
def _untrained(scale):
    """Seeded initial parameters (times ``scale``) returned as they are, with honest losses."""

    def train_classifier(x_train, y_train, x_val, y_val, *, seed=0, time_budget_s=20.0):
        g = torch.Generator().manual_seed(seed)
        dims = [x_train.shape[1], 16, 3]
        params = [
            (
                torch.randn(n_out, n_in, generator=g, dtype=x_train.dtype) * scale,
                torch.zeros(n_out, dtype=x_train.dtype),
            )
            for n_in, n_out in zip(dims, dims[1:])
        ]
        train = _cross_entropy(_forward(params, x_train)[-1], y_train)[0].item()
        val = _cross_entropy(_forward(params, x_val)[-1], y_val)[0].item()
        return {"params": params, "train_loss": [train] * 3, "val_loss": [val] * 3}

    return train_classifier


hollow(
    "train.train_classifier.untrained",
    "train.train_classifier",
    "returns its seeded initial parameters without a single update",
).replaces(_untrained(0.5))
hollow(
    "train.train_classifier.zeros",
    "train.train_classifier",
    "returns all-zero parameters of the right shapes",
).replaces(_untrained(0.0))
