"""Hidden graders for starter/normalization.py: the standard battery plus batch-norm state checks.

Batch norm is checked in both modes against ``F.batch_norm`` (its running statistics, with
momentum 0.1 and 0.5, against the buffers PyTorch updates), on a near-constant feature whose
variance is far below eps, over a multi-step trajectory, and for leaving its inputs untouched.
Layer norm and RMS norm are checked against ``F.layer_norm`` and ``F.rms_norm`` (with eps passed
explicitly: PyTorch's default for ``rms_norm`` is not the kit's 1e-6) on 2-D and 3-D inputs and
on rows of tiny magnitude, where the placement of eps matters.
"""

import pytest
import torch
import torch.nn.functional as F
from battery import F64, Case, PairSpec, battery
from hypothesis import given
from hypothesis import strategies as st

from descent.inputs import Inputs

N, D = 6, 4  # batch norm: N != D, N >= 3
B, T, E = 3, 5, 7  # layer/RMS norm: (B, T, E), all different


# ------------------------------------------------------------------------------- batch norm
def _bn_oracle(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    return F.batch_norm(
        x, running_mean.clone(), running_var.clone(), gamma, beta, training, momentum, eps
    )


def _bn_state(inputs, d=D):
    gamma = inputs.uniform(d, low=0.5, high=2.0) * torch.where(
        inputs.uniform(d) < 0.3, -1.0, 1.0
    ).to(inputs.device, inputs.dtype)
    beta = inputs.randn(d)
    running_mean = inputs.randn(d, scale=0.5)
    running_var = inputs.uniform(d, low=0.5, high=2.0)
    return gamma, beta, running_mean, running_var


def _bn_x(inputs, n=N, d=D):
    # per-feature offsets and scales, so a mean or variance over the wrong axis cannot pass
    return inputs.randn(n, d) * inputs.uniform(d, low=0.5, high=3.0) + inputs.randn(d, scale=2.0)


def _bn_case(inputs, training=True, near_constant=False, **kwargs):
    x = _bn_x(inputs)
    if near_constant:
        # feature 1: variance ~1e-8, far below eps = 1e-5, so eps placement dominates
        x = x.clone()
        x[:, 1] = 3.0 + 1e-4 * inputs.randn(N)
    gamma, beta, rm, rv = _bn_state(inputs)
    if near_constant and not training:
        rv = rv.clone()
        rv[2] = 1e-7
    return (x, gamma, beta, rm, rv, training), kwargs


def _bn_large(inputs):
    """float32 features of size ~10 sitting on offsets ~1e4: E[x^2] - E[x]^2 cancels badly."""
    (x, gamma, beta, rm, rv, training), kwargs = _bn_case(inputs)
    x = (x * 10 + 1e4 * inputs.uniform(D, low=0.5, high=1.0)).float()
    return (x, gamma.float(), beta.float(), rm.float(), rv.float(), training), kwargs


def _ln_oracle(x, gamma, beta, eps=1e-5):
    return F.layer_norm(x, (x.shape[-1],), gamma, beta, eps)


def _rms_oracle(x, gamma, eps=1e-6):
    return F.rms_norm(x, (x.shape[-1],), gamma, eps=eps)


def _rows(inputs, *shape, tiny=False):
    x = inputs.randn(*shape) * 1.5 + inputs.randn(*shape[:-1], 1)
    if tiny:  # some rows of magnitude 1e-3: mean square ~1e-6, comparable to eps
        scale = torch.where(inputs.uniform(*shape[:-1], 1) < 0.5, 1e-3, 1.0)
        x = x * scale.to(x.device, x.dtype)
    return x


SPECS = [
    PairSpec(
        "normalization.batchnorm",
        _bn_oracle,
        cases=[
            Case("train", lambda I: _bn_case(I), points=2),
            Case("train-momentum-0.5-eps-1e-3", lambda I: _bn_case(I, momentum=0.5, eps=1e-3)),
            Case("eval", lambda I: _bn_case(I, training=False), points=2),
            Case(
                "train-near-constant-feature", lambda I: _bn_case(I, near_constant=True), points=2
            ),
            Case(
                "eval-tiny-running-var", lambda I: _bn_case(I, training=False, near_constant=True)
            ),
        ],
        smooth=lambda I: _bn_case(I),
        wrt=(0, 1, 2),
        stable=[Case("offset-1e4-float32", lambda I: _bn_large(I))],
    ),
    PairSpec(
        "normalization.layernorm",
        _ln_oracle,
        cases=[
            Case("3d", lambda I: ((_rows(I, B, T, E), I.randn(E), I.randn(E)), {}), points=2),
            Case("2d", lambda I: ((_rows(I, N, E), I.randn(E), I.randn(E)), {})),
            Case(
                "tiny-rows",
                lambda I: ((_rows(I, B, T, E, tiny=True), I.randn(E), I.randn(E)), {}),
                points=2,
            ),
            Case("eps-1e-2", lambda I: ((_rows(I, N, E), I.randn(E), I.randn(E)), {"eps": 1e-2})),
        ],
        smooth=lambda I: ((_rows(I, B, T, E), I.randn(E), I.randn(E)), {}),
        wrt=(0, 1, 2),
        stable=[
            Case(
                "offset-1e4-float32",
                lambda I: (
                    (
                        _rows(I, N, E).float() * 10 + 1e4,
                        I.randn(E, dtype=torch.float32),
                        I.randn(E, dtype=torch.float32),
                    ),
                    {},
                ),
            )
        ],
    ),
    PairSpec(
        "normalization.rmsnorm",
        _rms_oracle,
        cases=[
            Case("3d", lambda I: ((_rows(I, B, T, E), I.randn(E)), {}), points=2),
            Case("2d", lambda I: ((_rows(I, N, E), I.randn(E)), {})),
            Case(
                "tiny-rows-default-eps",
                lambda I: ((_rows(I, B, T, E, tiny=True), I.randn(E)), {}),
                points=2,
            ),
            Case("eps-1e-2", lambda I: ((_rows(I, N, E), I.randn(E)), {"eps": 1e-2})),
        ],
        smooth=lambda I: ((_rows(I, B, T, E), I.randn(E)), {}),
        wrt=(0, 1),
    ),
]

TestNormalizationBattery = battery(SPECS)


def _torch_running(x, gamma, beta, rm, rv, momentum, eps=1e-5):
    rm, rv = rm.clone(), rv.clone()
    F.batch_norm(x, rm, rv, gamma, beta, True, momentum, eps)
    return rm, rv


@pytest.mark.exercise("normalization.batchnorm")
@pytest.mark.ordinary  # running statistics and eval mode are batch norm's everyday use
class TestBatchNormState:
    @pytest.mark.points(2)
    @pytest.mark.parametrize("momentum", [0.1, 0.5])
    def test_running_statistics(self, momentum, check, inputs):
        x = _bn_x(inputs)
        gamma, beta, rm, rv = _bn_state(inputs)
        with check.unmodified(x, gamma, beta, rm, rv, who="batchnorm_forward"):
            check.matches(
                lambda m: tuple(
                    m.normalization.batchnorm_forward(
                        x, gamma, beta, rm, rv, True, momentum=momentum
                    )[1:3]
                ),
                f"(new_running_mean, new_running_var) with momentum={momentum}",
                expected=_torch_running(x, gamma, beta, rm, rv, momentum),
                **F64,
                hint="running = (1 - momentum) * running + momentum * batch statistic, with "
                "the unbiased batch variance (times N / (N - 1))",
            )

    def test_default_momentum_is_0_1(self, check, inputs):
        x = _bn_x(inputs)
        gamma, beta, rm, rv = _bn_state(inputs)
        check.matches(
            lambda m: tuple(m.normalization.batchnorm_forward(x, gamma, beta, rm, rv, True)[1:3]),
            "(new_running_mean, new_running_var) with the default momentum",
            expected=_torch_running(x, gamma, beta, rm, rv, 0.1),
            **F64,
        )

    @pytest.mark.points(2)
    def test_eval_leaves_running_statistics_alone(self, check, inputs):
        x = _bn_x(inputs)
        gamma, beta, rm, rv = _bn_state(inputs)
        with check.unmodified(x, gamma, beta, rm, rv, who="batchnorm_forward (eval)"):
            check.matches(
                lambda m: tuple(
                    m.normalization.batchnorm_forward(x, gamma, beta, rm, rv, False, momentum=0.5)[
                        1:3
                    ]
                ),
                "(new_running_mean, new_running_var) in eval mode",
                expected=(rm, rv),
                **F64,
                hint="in eval mode the running statistics are used, never updated",
            )

    @pytest.mark.supporting()  # any results of the right shapes pass it
    def test_returns_four_results(self, check, inputs):
        x = _bn_x(inputs)
        gamma, beta, rm, rv = _bn_state(inputs)
        out = check.impl.normalization.batchnorm_forward(x, gamma, beta, rm, rv, True)
        check.that(
            isinstance(out, tuple) and len(out) == 4,
            "batchnorm_forward must return (y, new_running_mean, new_running_var, cache)",
            check="shape and type",
        )
        check.like(tuple(out[:3]), (x, rm, rv), "batchnorm_forward (y, running mean, running var)")

    @pytest.mark.points(2)
    def test_trajectory_then_eval(self, check, inputs):
        """Five training batches chained through the running statistics, then one eval batch."""
        gamma, beta, rm0, rv0 = _bn_state(inputs, d=5)
        batches = [_bn_x(inputs, n=n, d=5) for n in (4, 7, 3, 9, 5)]
        test_x = _bn_x(inputs, n=8, d=5)

        def run(m):
            rm, rv = rm0, rv0
            for x in batches:
                _, rm, rv, _ = m.normalization.batchnorm_forward(
                    x, gamma, beta, rm, rv, True, momentum=0.3
                )
            y = m.normalization.batchnorm_forward(test_x, gamma, beta, rm, rv, False)[0]
            return rm, rv, y

        rm, rv = rm0.clone(), rv0.clone()
        for x in batches:
            F.batch_norm(x, rm, rv, gamma, beta, True, 0.3, 1e-5)
        y = F.batch_norm(test_x, rm, rv, gamma, beta, False, 0.3, 1e-5)
        check.matches(
            run,
            "(running mean, running var, eval output) after 5 training batches",
            expected=(rm, rv, y),
            check="scenario",
            **F64,
        )

    @given(
        n=st.integers(2, 9),
        d=st.integers(1, 5),
        scale=st.sampled_from([0.5, 10.0, 300.0]),
        seed=st.integers(0, 2**31 - 1),
    )
    def test_train_output_has_mean_0_and_variance_1(self, n, d, scale, seed, check, device):
        inputs = Inputs(seed, device)
        x = _bn_x(inputs, n, d) * scale
        ones, zeros = x.new_ones(d), x.new_zeros(d)
        y = check.impl.normalization.batchnorm_forward(x, ones, zeros, zeros, ones, True)[0]
        var = x.var(dim=0, unbiased=False)
        check.that(
            bool((y.mean(dim=0).abs() <= 1e-9).all()),
            f"with gamma=1, beta=0 the output of each feature must have mean 0 (N={n}, D={d})",
            hint="subtract the batch mean of each feature (dim 0)",
        )
        expected = var / (var + 1e-5)  # exactly 1 up to eps
        check.that(
            bool(((y.var(dim=0, unbiased=False) - expected).abs() <= 1e-9).all()),
            f"with gamma=1, beta=0 the biased variance of each output feature must be "
            f"var / (var + eps), i.e. 1 up to eps (N={n}, D={d})",
            hint="normalize with the biased batch variance (divide by N), eps inside "
            "the square root",
        )
