"""The exercise registry: which functions belong to which exercise.

An exercise id is ``<module>.<name>`` (``losses.mse``). Its functions are the names a student
implements in ``starter/<module>.py``. The registry is trusted data: the kit never asks a
submission which exercises it contains.

``forbidden`` lists the library operations that an exercise teaches and so may not borrow
(dotted names as reached from ``torch``); every exercise also inherits the module-wide bans
listed in :data:`ALWAYS_FORBIDDEN`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Banned in every student module (docs/reference/conventions.md).
ALWAYS_FORBIDDEN = (
    "torch.nn.functional",
    "torch.nn",
    "torch.optim",
    "torch.nn.init",
    "torch.nn.utils",
)
BACKWARD_FORBIDDEN = ("torch.autograd", "torch.Tensor.backward")
NORMALIZERS = (
    "torch.softmax",
    "torch.log_softmax",
    "torch.logsumexp",
    "torch.sigmoid",
    "torch.Tensor.softmax",
    "torch.Tensor.log_softmax",
    "torch.Tensor.logsumexp",
    "torch.Tensor.sigmoid",
    "torch.special.expit",
    "torch.special.log_softmax",
    "torch.special.softmax",
    "torch.special.logsumexp",
)


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    functions: tuple[str, ...]
    forbidden: tuple[str, ...] = field(default=())
    points: float = 10.0  # what the exercise is worth, split over its tests
    # Runtime policy (descent.calls.timelimit.limit_for): a longer limit for one call than the
    # run's --call-timeout, and a keyword argument that sets how long the call may take.
    call_timeout_s: float = 0.0
    budget_argument: str | None = None

    @property
    def module(self) -> str:
        return self.id.split(".", 1)[0]


def _pair(module: str, name: str, title: str, forbidden=()) -> Exercise:
    return Exercise(
        f"{module}.{name}",
        title,
        (f"{name}_forward", f"{name}_backward"),
        tuple(forbidden) + BACKWARD_FORBIDDEN,
    )


_BASICS = [
    Exercise(
        "basics.gradient_descent_1d", "Gradient descent on one parameter", ("gradient_descent_1d",)
    ),
    Exercise("basics.gd_regime", "Learning-rate regimes on a quadratic", ("gd_regime",)),
]

# Batch, mini-batch and stochastic gradient descent, and the closed form of linear regression.
DATA_LOADING = ("torch.utils.data",)
READY_SOLVERS = (
    "torch.linalg.inv",
    "torch.linalg.inv_ex",
    "torch.inverse",
    "torch.Tensor.inverse",
    "torch.linalg.pinv",
    "torch.pinverse",
    "torch.Tensor.pinverse",
    "torch.linalg.lstsq",
    "torch.linalg.tensorinv",
    # the same borrowing through NumPy and SciPy (a factorization, cholesky or solve, is fine)
    "numpy.linalg.inv",
    "numpy.linalg.pinv",
    "numpy.linalg.lstsq",
    "numpy.linalg.tensorinv",
    "scipy.linalg.inv",
    "scipy.linalg.pinv",
    "scipy.linalg.pinvh",
    "scipy.linalg.lstsq",
)
_REGRESSION = [
    Exercise("regression.minibatches", "Shuffled mini-batches", ("minibatches",), DATA_LOADING),
    Exercise(
        "regression.train_linear_regression",
        "Linear regression by mini-batch gradient descent",
        ("train_linear_regression",),
        DATA_LOADING + BACKWARD_FORBIDDEN,
    ),
    Exercise(
        "regression.linear_regression_closed_form",
        "Linear regression in closed form",
        ("linear_regression_closed_form",),
        READY_SOLVERS,
    ),
]

_LOSSES = [
    _pair("losses", "mse", "Mean squared error"),
    _pair("losses", "mae", "Mean absolute error"),
    _pair("losses", "huber", "Huber loss"),
    _pair("losses", "bce_with_logits", "Binary cross-entropy from logits", NORMALIZERS),
    _pair("losses", "log_softmax", "Log-softmax", NORMALIZERS),
    _pair("losses", "cross_entropy", "Cross-entropy with weights and label smoothing", NORMALIZERS),
    _pair("losses", "focal_loss", "Binary focal loss", NORMALIZERS),
    _pair("losses", "kl_div", "KL divergence (batchmean)", NORMALIZERS),
]

_ACTIVATIONS = [
    _pair("activations", "sigmoid", "Sigmoid", NORMALIZERS),
    _pair("activations", "tanh", "Tanh"),
    _pair("activations", "relu", "ReLU"),
    _pair("activations", "leaky_relu", "Leaky ReLU"),
    _pair("activations", "gelu", "GELU (exact)"),
    _pair("activations", "silu", "SiLU", NORMALIZERS),
    _pair("activations", "softmax", "Softmax", NORMALIZERS),
]

_LAYERS = [
    _pair("layers", "linear", "Linear layer"),
    Exercise(
        "layers.two_layer_net",
        "Two-layer network by hand",
        ("two_layer_net",),
        BACKWARD_FORBIDDEN + NORMALIZERS,
    ),
    Exercise(
        "layers.mlp_loss_and_grads",
        "MLP loss and gradients",
        ("mlp_loss_and_grads",),
        BACKWARD_FORBIDDEN + NORMALIZERS,
    ),
    Exercise(
        "layers.numerical_gradient",
        "Numerical gradient",
        ("numerical_gradient",),
        BACKWARD_FORBIDDEN,
    ),
    Exercise("layers.relative_error", "Relative error", ("relative_error",)),
]

# Deeper networks: residual blocks, gradient checkpointing.
_LAYERS_DEEP = [
    _pair("layers", "residual_block", "Residual block"),
    Exercise(
        "layers.mlp_grads_checkpointed",
        "Gradient checkpointing",
        ("mlp_grads_checkpointed",),
        BACKWARD_FORBIDDEN + NORMALIZERS + ("torch.utils.checkpoint",),
    ),
]

_AUTOGRAD = [
    Exercise("autograd.value", "Scalar reverse-mode autograd", ("Value",), BACKWARD_FORBIDDEN),
]

_INIT = [
    Exercise("init.calculate_gain", "Gain per nonlinearity", ("calculate_gain",)),
    Exercise("init.fans", "Fan-in and fan-out", ("fans",)),
    Exercise("init.xavier", "Xavier (Glorot) initialization", ("xavier_uniform", "xavier_normal")),
    Exercise("init.kaiming", "Kaiming (He) initialization", ("kaiming_normal", "kaiming_uniform")),
]

_NORMALIZATION = [
    _pair("normalization", "batchnorm", "Batch normalization"),
    _pair("normalization", "layernorm", "Layer normalization"),
    _pair("normalization", "rmsnorm", "RMS normalization"),
]

_REGULARIZATION = [
    _pair("regularization", "dropout", "Inverted dropout"),
    Exercise("regularization.l2_penalty", "L2 penalty", ("l2_penalty",), BACKWARD_FORBIDDEN),
    Exercise("regularization.l1_penalty", "L1 penalty", ("l1_penalty",), BACKWARD_FORBIDDEN),
    Exercise("regularization.early_stopping", "Early stopping", ("early_stopping",)),
]

_OPTIM = [
    Exercise(f"optim.{name}", title, (f"{name}_step",), BACKWARD_FORBIDDEN)
    for name, title in [
        ("sgd", "SGD with momentum and Nesterov"),
        ("adagrad", "AdaGrad"),
        ("rmsprop", "RMSProp"),
        ("adam", "Adam"),
        ("adamw", "AdamW"),
    ]
]

_SCHEDULES = [
    Exercise(f"schedules.{name}", title, (name,), ("torch.optim.lr_scheduler",))
    for name, title in [
        ("step_lr", "Step decay"),
        ("exponential_lr", "Exponential decay"),
        ("cosine_lr", "Cosine annealing"),
        ("warmup_cosine_lr", "Warmup then cosine"),
        ("one_cycle_lr", "One-cycle policy"),
        ("reduce_on_plateau_step", "Reduce on plateau"),
    ]
]

_CLIPPING = [
    Exercise("clipping.clip_grad_norm", "Global gradient-norm clipping", ("clip_grad_norm",)),
    Exercise("clipping.clip_grad_value", "Gradient value clipping", ("clip_grad_value",)),
]

_DIAGNOSTICS = [
    Exercise(
        "diagnostics.expected_initial_loss", "Expected initial loss", ("expected_initial_loss",)
    ),
    Exercise(
        "diagnostics.layer_gradient_norms", "Gradient norms per layer", ("layer_gradient_norms",)
    ),
    Exercise("diagnostics.dead_relu_fraction", "Dead ReLU fraction", ("dead_relu_fraction",)),
    Exercise("diagnostics.diagnose_loss_curve", "Reading a loss curve", ("diagnose_loss_curve",)),
]

# Data for training: mixup, augmentation, cross-validation folds.
_DATA = [
    Exercise("data.mixup", "Mixup", ("mixup",)),
    Exercise("data.augment_points", "Augmenting 2-D points", ("augment_points",)),
    Exercise("data.kfold_indices", "K-fold cross-validation splits", ("kfold_indices",)),
]

_TRAIN = [
    Exercise(
        "train.train_classifier",
        "Capstone: train a classifier",
        ("train_classifier",),
        BACKWARD_FORBIDDEN + NORMALIZERS,
        points=30.0,
        call_timeout_s=90.0,
        budget_argument="time_budget_s",
    ),
]

EXERCISES: dict[str, Exercise] = {
    ex.id: ex
    for group in (
        _BASICS,
        _REGRESSION,
        _LOSSES,
        _ACTIVATIONS,
        _LAYERS,
        _LAYERS_DEEP,
        _AUTOGRAD,
        _INIT,
        _NORMALIZATION,
        _REGULARIZATION,
        _OPTIM,
        _SCHEDULES,
        _CLIPPING,
        _DIAGNOSTICS,
        _DATA,
        _TRAIN,
    )
    for ex in group
}

MODULES: tuple[str, ...] = tuple(dict.fromkeys(ex.module for ex in EXERCISES.values()))

# The exercises each exercise may call (one mistake, one charge: a composite's failing check is
# graded again with the kit's stand-ins for these, descent.calls.stand_ins). Derived from the
# reference solutions' calls and the docstrings by descent.authoring.reuses, never by hand.
# BEGIN PARTS (made by `descent docs` from solutions/: descent.authoring.reuses)

PARTS: dict[str, tuple[str, ...]] = {
    "regression.train_linear_regression": ("regression.minibatches",),
    "losses.cross_entropy": ("losses.log_softmax",),
    "activations.silu": ("activations.sigmoid",),
    "layers.two_layer_net": (
        "activations.relu",
        "layers.linear",
        "losses.bce_with_logits",
    ),
    "layers.mlp_loss_and_grads": (
        "activations.gelu",
        "activations.leaky_relu",
        "activations.relu",
        "activations.sigmoid",
        "activations.silu",
        "activations.softmax",
        "activations.tanh",
        "layers.linear",
        "losses.cross_entropy",
    ),
    "layers.residual_block": (
        "activations.relu",
        "layers.linear",
    ),
    "layers.mlp_grads_checkpointed": (
        "activations.gelu",
        "activations.leaky_relu",
        "activations.relu",
        "activations.sigmoid",
        "activations.silu",
        "activations.softmax",
        "activations.tanh",
        "layers.linear",
        "layers.mlp_loss_and_grads",
        "losses.cross_entropy",
    ),
    "init.xavier": ("init.fans",),
    "init.kaiming": (
        "init.calculate_gain",
        "init.fans",
    ),
    "optim.adamw": ("optim.adam",),
    "schedules.warmup_cosine_lr": ("schedules.cosine_lr",),
    "train.train_classifier": (
        "activations.relu",
        "clipping.clip_grad_norm",
        "init.kaiming",
        "init.xavier",
        "layers.linear",
        "layers.mlp_loss_and_grads",
        "losses.cross_entropy",
        "optim.adam",
        "optim.adamw",
        "optim.sgd",
        "schedules.warmup_cosine_lr",
    ),
}

# END PARTS


def exercise_of(module: str, function: str) -> Exercise | None:
    """The exercise that owns ``module.function`` (a method name ``Value.x`` maps to its class)."""
    head = function.split(".", 1)[0]
    for ex in EXERCISES.values():
        if ex.module == module and head in ex.functions:
            return ex
    return None


def exercise_of_function(function: str) -> Exercise | None:
    """The exercise that owns a function (or class) of this name, in any module."""
    return next((ex for ex in EXERCISES.values() if function in ex.functions), None)


def get(exercise_id: str) -> Exercise:
    try:
        return EXERCISES[exercise_id]
    except KeyError:
        raise KeyError(f"unknown exercise {exercise_id!r}; known: {', '.join(EXERCISES)}") from None
