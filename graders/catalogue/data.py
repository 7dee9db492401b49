"""Catalogued variants of data.py: realistic bugs (each must lose points) and alternative correct
implementations (each must keep full marks). Hollow answers are derived in hollow.py.

Sources: the original mixup code draws one weight for the whole batch; the rest are mistakes of
our own (weights ignoring alpha, partners drawn with replacement, degrees for radians, a variance
for a standard deviation, the remainder of a k-fold split given to the last fold, and so on).
"""

import math

import numpy as np
import torch

from descent.catalogue import alternative, bug


# ---------------------------------------------------------------------------------------- mixup
def _beta(alpha, n, generator, device):
    c = torch.full((n,), float(alpha), dtype=torch.float64, device=device)
    g1 = torch._standard_gamma(c, generator=generator)
    g2 = torch._standard_gamma(c, generator=generator)
    return g1 / (g1 + g2)


def _check_mixup(x, y, alpha):
    if not alpha > 0 or y.dim() != 2 or not y.is_floating_point() or y.shape[0] != x.shape[0]:
        raise ValueError("bad mixup arguments")


def _mix(t, lam, perm):
    w = lam.to(t.dtype).reshape(t.shape[0], *([1] * (t.dim() - 1)))
    return w * t + (1 - w) * t[perm]


_DRAWN_ONCE = {}  # (batch size, alpha, device) -> the weights drawn at the first such call


def _fixed_seed(generator, device):
    """The generator, or a freshly seeded one in its place: the same draws at every call."""
    return torch.Generator(device=device).manual_seed(0) if generator is None else generator


def _mixup(
    x,
    y,
    alpha,
    generator,
    *,
    validate=True,
    one_weight=False,
    uniform=False,
    two_weights=False,
    with_replacement=False,
    global_rng=False,
    keep_float64=False,
    mix_labels=True,
    reversed_partners=False,
    weights_once=False,
    fixed_seed=False,
):
    """mixup with switchable mistakes."""
    if validate:
        _check_mixup(x, y, alpha)
    n = x.shape[0]
    gen = None if global_rng else generator
    if fixed_seed:
        gen = _fixed_seed(gen, x.device)
    if weights_once:  # the permutation first, so a seeded call still repeats exactly
        perm = torch.randperm(n, generator=gen, device=x.device)
        key = (n, float(alpha), str(x.device))
        if key not in _DRAWN_ONCE:
            _DRAWN_ONCE[key] = _beta(alpha, n, gen, x.device)
        return _mix(x, _DRAWN_ONCE[key], perm), _mix(y, _DRAWN_ONCE[key], perm)
    if uniform:
        lam = torch.rand(n, generator=gen, dtype=torch.float64, device=x.device)
    else:
        lam = _beta(alpha, 1 if one_weight else n, gen, x.device).expand(n)
    lam_y = _beta(alpha, n, gen, x.device) if two_weights else lam
    if with_replacement:
        perm = torch.randint(0, n, (n,), generator=gen, device=x.device)
    elif reversed_partners:  # timm's Mixup pairs the batch with its flip
        perm = torch.arange(n - 1, -1, -1, device=x.device)
    else:
        perm = torch.randperm(n, generator=gen, device=x.device)
    if keep_float64:  # the weights' float64 wins the type promotion

        def mix(t, w):
            return (
                w.reshape(n, *([1] * (t.dim() - 1))) * t
                + (1 - w.reshape(n, *([1] * (t.dim() - 1)))) * t[perm]
            )

        return mix(x, lam), mix(y, lam_y)
    return _mix(x, lam, perm), (_mix(y, lam_y, perm) if mix_labels else y.clone())


def _mixup_bug(id, title, hint, generic=(), wrong_on="", **mistake):
    variant = bug(id, "data.mixup", title, hint=hint, generic=generic, wrong_on=wrong_on)

    def mixup(x, y_onehot, alpha, generator=None):
        return _mixup(x, y_onehot, alpha, generator, **mistake)

    variant.replaces(mixup)
    return variant


_mixup_bug(
    "mixup_one_weight_per_batch",
    "draws one Beta weight for the whole batch, as the original mixup code does",
    "draw one weight per example: lam has shape (N,), one Beta(alpha, alpha) draw each.",
    one_weight=True,
    generic="random",
    wrong_on="ordinary",
)
_mixup_bug(
    "mixup_uniform_weights",
    "draws the weights uniformly on [0, 1], ignoring alpha",
    "lam ~ Beta(alpha, alpha): only alpha = 1 is uniform; small alpha keeps most weights "
    "near 0 or 1.",
    uniform=True,
    generic="distribution",
    wrong_on="ordinary",
)
_mixup_bug(
    "mixup_labels_unmixed",
    "mixes the inputs but returns the labels unchanged",
    "a mixed input needs a mixed label: y_mixed = lam * y + (1 - lam) * y[perm] with the "
    "same lam and perm.",
    mix_labels=False,
    generic=("argument", "term"),
    wrong_on="ordinary",
)
_mixup_bug(
    "mixup_separate_label_weights",
    "draws a second, independent weight for the labels",
    "use one lam_i per example for both the input and its label, or the label no longer "
    "describes the input.",
    two_weights=True,
    generic="random",
    wrong_on="ordinary",
)
_mixup_bug(
    "mixup_partners_with_replacement",
    "draws partners with torch.randint, so some examples are used twice and others never",
    "draw the partners as a permutation, torch.randperm(N, generator=generator).",
    with_replacement=True,
    generic="distribution",
    wrong_on="ordinary",
)
_mixup_bug(
    "mixup_global_rng",
    "ignores the generator and draws from the global random state",
    "pass generator=generator to every random call so a seeded run can be repeated.",
    global_rng=True,
    generic="random",
    wrong_on="ordinary",
)
_mixup_bug(
    "mixup_float64_weights",
    "multiplies by float64 weights without casting them, so float32 data comes back float64",
    "cast lam to each tensor's dtype (lam.to(x.dtype)) before mixing.",
    keep_float64=True,
    generic="dtype",
    wrong_on="ordinary",
)
_mixup_bug(
    "mixup_no_argument_check",
    "accepts alpha <= 0, integer labels and mismatched batches without complaint",
    "raise ValueError for alpha <= 0, labels that are not a floating (N, C) tensor, and x "
    "and y_onehot with different batch sizes.",
    validate=False,
    generic="validation",
    wrong_on="edge",
)

_mixup_bug(
    "mixup_partner_reversed_batch",
    "pairs every example with its mirror in the batch (x.flip(0), as timm's Mixup does), "
    "so partners are fixed by position",
    "draw the partners as a random permutation, torch.randperm(N, generator=generator): "
    "a fixed pairing always mixes the same examples, and with a sorted batch the same "
    "classes.",
    reversed_partners=True,
    generic="random",
    wrong_on="ordinary",
)
_mixup_bug(
    "mixup_weights_drawn_once",
    "draws the Beta weights at the first call and reuses them for every later batch of that size",
    "draw new weights at every call: example i of the next batch is another example and "
    "needs its own fresh draw.",
    weights_once=True,
    generic="random",
    wrong_on="ordinary",
)
_mixup_bug(
    "mixup_fixed_seed_without_generator",
    "seeds a generator of its own when none is given, so every call without one mixes the same way",
    "with generator=None pass None on to the random calls: they then use PyTorch's "
    "global random state, which moves on from call to call.",
    fixed_seed=True,
    wrong_on="ordinary",
)

mixup_partner_side = alternative(
    "mixup_weight_on_partner",
    "data.mixup",
    "draws the permutation first and puts lam on the partner (Beta(a, a) is symmetric)",
)


@mixup_partner_side.replaces
def mixup(x, y_onehot, alpha, generator=None):
    _check_mixup(x, y_onehot, alpha)
    n = x.shape[0]
    perm = torch.randperm(n, generator=generator, device=x.device)
    lam = _beta(alpha, n, generator, x.device)
    return _mix(x, 1 - lam, perm), _mix(y_onehot, 1 - lam, perm)


mixup_dirichlet = alternative(
    "mixup_dirichlet",
    "data.mixup",
    "draws (lam, 1 - lam) as a two-component Dirichlet and mixes with index_select and lerp",
)


@mixup_dirichlet.replaces
def mixup(x, y_onehot, alpha, generator=None):
    _check_mixup(x, y_onehot, alpha)
    n = x.shape[0]
    conc = torch.full((n, 2), float(alpha), dtype=torch.float64, device=x.device)
    lam = torch._sample_dirichlet(conc, generator=generator)[:, 0]
    perm = torch.randperm(n, generator=generator, device=x.device)

    def mix(t):
        w = (1 - lam).to(t.dtype).reshape(n, *([1] * (t.dim() - 1)))
        return torch.lerp(t, t.index_select(0, perm), w)

    return mix(x), mix(y_onehot)


# ------------------------------------------------------------------------------ augment_points
_ANGLES_ONCE = {}  # (batch size, dtype, device) -> the uniform draws of the first such call


def _augment(
    x,
    generator,
    max_angle,
    noise_std,
    *,
    validate=True,
    one_angle=False,
    degrees=False,
    one_sided=False,
    variance=False,
    shared_noise=False,
    global_rng=False,
    float64=False,
    noise_first=False,
    clockwise=False,
    angles_once=False,
    fixed_seed=False,
):
    """augment_points with switchable mistakes (and two harmless choices)."""
    if validate and (x.dim() != 2 or x.shape[1] != 2 or max_angle < 0 or noise_std < 0):
        raise ValueError("bad augment_points arguments")
    n = x.shape[0]
    gen = None if global_rng else generator
    if fixed_seed:
        gen = _fixed_seed(gen, x.device)
    dtype = torch.float64 if float64 else x.dtype
    if angles_once:  # the jitter first, so a seeded call still repeats exactly
        early = torch.randn(n, 2, generator=gen, dtype=dtype, device=x.device)
        key = (n, dtype, str(x.device))
        if key not in _ANGLES_ONCE:
            _ANGLES_ONCE[key] = torch.rand(n, generator=gen, dtype=dtype, device=x.device)
        u = _ANGLES_ONCE[key]
    else:
        u = torch.rand(1 if one_angle else n, generator=gen, dtype=dtype, device=x.device).expand(n)
    a = math.radians(max_angle) if degrees else max_angle
    theta = u * a if one_sided else (2 * u - 1) * a
    if clockwise:
        theta = -theta
    std = noise_std**2 if variance else noise_std
    shape = (n, 1) if shared_noise else (n, 2)
    noise = (
        early if angles_once else torch.randn(shape, generator=gen, dtype=dtype, device=x.device)
    )
    noise = (noise * std).expand(n, 2)
    if noise_first:
        x = x + noise
    c, s = torch.cos(theta), torch.sin(theta)
    out = torch.stack([c * x[:, 0] - s * x[:, 1], s * x[:, 0] + c * x[:, 1]], dim=1)
    return out if noise_first else out + noise


def _augment_variant(kind, id, title, hint="", generic=(), wrong_on="", **choice):
    variant = (
        bug(id, "data.augment_points", title, hint=hint, generic=generic, wrong_on=wrong_on)
        if kind == "bug"
        else alternative(id, "data.augment_points", title)
    )

    def augment_points(x, generator=None, max_angle=0.2, noise_std=0.05):
        return _augment(x, generator, max_angle, noise_std, **choice)

    variant.replaces(augment_points)
    return variant


_augment_variant(
    "bug",
    "augment_one_angle_per_batch",
    "rotates the whole batch by one angle",
    "draw one angle per point, torch.rand(N, ...), so points turn independently.",
    one_angle=True,
    generic="random",
    wrong_on="ordinary",
)
_augment_variant(
    "bug",
    "augment_angle_in_degrees",
    "reads max_angle as degrees",
    "max_angle is in radians: use it as given, without math.radians.",
    degrees=True,
    generic="factor",
    wrong_on="ordinary",
)
_augment_variant(
    "bug",
    "augment_angle_one_sided",
    "draws angles in [0, max_angle], so points only turn one way",
    "angles are uniform on [-max_angle, max_angle]: (2 * rand - 1) * max_angle.",
    one_sided=True,
    generic="distribution",
    wrong_on="ordinary",
)
_augment_variant(
    "bug",
    "augment_noise_std_squared",
    "scales the jitter by noise_std ** 2",
    "noise_std is the standard deviation: multiply standard normal draws by noise_std itself.",
    variance=True,
    generic="factor",
    wrong_on="ordinary",
)
_augment_variant(
    "bug",
    "augment_same_noise_both_coordinates",
    "adds the same noise to both coordinates of a point",
    "draw noise of shape (N, 2): the two coordinates jitter independently.",
    shared_noise=True,
    generic="random",
    wrong_on="ordinary",
)
_augment_variant(
    "bug",
    "augment_global_rng",
    "ignores the generator",
    "pass generator=generator to torch.rand and torch.randn.",
    global_rng=True,
    generic="random",
    wrong_on="ordinary",
)
_augment_variant(
    "bug",
    "augment_float64_draws",
    "draws angles and noise in float64, so float32 points come back float64",
    "draw with dtype=x.dtype so the result keeps x's dtype.",
    float64=True,
    generic="dtype",
    wrong_on="ordinary",
)
_augment_variant(
    "bug",
    "augment_no_argument_check",
    "accepts points that are not (N, 2) and negative max_angle or noise_std",
    "raise ValueError unless x is (N, 2) and max_angle and noise_std are >= 0.",
    validate=False,
    generic="validation",
    wrong_on="edge",
)
_augment_variant(
    "bug",
    "augment_angles_drawn_once",
    "draws the angles at the first call and reuses them for every later batch of that size",
    "draw new angles at every call, from `generator`: point i of the next batch "
    "must turn by a fresh angle.",
    angles_once=True,
    generic="random",
    wrong_on="ordinary",
)
_augment_variant(
    "bug",
    "augment_fixed_seed_without_generator",
    "seeds a generator of its own when none is given, so every call without one "
    "draws the same angles and jitter",
    "with generator=None pass None on to torch.rand and torch.randn: they then use "
    "PyTorch's global random state.",
    fixed_seed=True,
    wrong_on="ordinary",
)
_augment_variant(
    "alternative",
    "augment_noise_then_rotate",
    "jitters first and rotates the jittered points (isotropic noise: the same distribution)",
    noise_first=True,
)
_augment_variant(
    "alternative",
    "augment_clockwise",
    "turns points clockwise for positive angles (the angles are symmetric)",
    clockwise=True,
)


# ------------------------------------------------------------------------------- kfold_indices
def _kfold(
    n,
    k,
    generator,
    shuffle,
    *,
    validate=True,
    sizes="sklearn",
    ignore_shuffle=False,
    global_rng=False,
    train_includes_val=False,
    shuffle_folds=False,
    fixed_seed=False,
    numpy=False,
):
    """kfold_indices with switchable mistakes."""
    if validate and (
        not isinstance(n, int) or not isinstance(k, int) or isinstance(k, bool) or k < 2 or k > n
    ):
        raise ValueError("bad kfold arguments")
    gen = None if global_rng else generator
    if fixed_seed:
        gen = _fixed_seed(gen, "cpu")
    base = n // k
    lengths = {
        "sklearn": [base + 1] * (n % k) + [base] * (k - n % k),
        "extra_last": [base] * (k - n % k) + [base + 1] * (n % k),
        "remainder_last": [base] * (k - 1) + [n - base * (k - 1)],
        "ceil": [min(-(-n // k), max(0, n - f * -(-n // k))) for f in range(k)],
        "drop": [base] * k,
    }[sizes]
    if shuffle and shuffle_folds:  # blocks of the unshuffled index, handed to folds at random
        cut, start = [None] * k, 0
        for f in torch.randperm(k, generator=gen).tolist():
            cut[f] = torch.arange(start, start + lengths[f])
            start += lengths[f]
    else:
        order = (
            torch.randperm(n, generator=gen) if shuffle and not ignore_shuffle else torch.arange(n)
        )
        starts = [sum(lengths[:f]) for f in range(k)]
        cut = [order[s : s + size] for s, size in zip(starts, lengths)]
    folds = []
    for val in cut:
        keep = torch.ones(n, dtype=torch.bool)
        if not train_includes_val:
            keep[val] = False
        folds.append((keep.nonzero().flatten(), val.sort().values))
    if numpy:  # scikit-learn's KFold.split yields NumPy arrays
        return [(train.numpy(), val.numpy()) for train, val in folds]
    return folds


def _kfold_variant(kind, id, title, hint="", generic=(), wrong_on="", **choice):
    variant = (
        bug(id, "data.kfold_indices", title, hint=hint, generic=generic, wrong_on=wrong_on)
        if kind == "bug"
        else alternative(id, "data.kfold_indices", title)
    )

    def kfold_indices(n, k, generator=None, shuffle=True):
        return _kfold(n, k, generator, shuffle, **choice)

    variant.replaces(kfold_indices)
    return variant


_kfold_variant(
    "bug",
    "kfold_remainder_to_last_fold",
    "gives every fold n // k examples and the whole remainder to the last one",
    "spread the remainder: the first n % k folds get one extra example each, so sizes "
    "differ by at most one.",
    sizes="remainder_last",
    wrong_on="ordinary",
)
_kfold_variant(
    "bug",
    "kfold_extra_at_the_end",
    "gives the n % k extra examples to the last folds",
    "scikit-learn's convention (and this kit's) puts the longer folds first.",
    sizes="extra_last",
    generic="order",
    wrong_on="ordinary",
)
_kfold_variant(
    "bug",
    "kfold_ceil_sized_folds",
    "cuts folds of ceil(n / k) examples, leaving a short (or empty) last fold",
    "fold sizes are n // k + 1 for the first n % k folds and n // k for the rest.",
    sizes="ceil",
    wrong_on="ordinary",
)
_kfold_variant(
    "bug",
    "kfold_drops_the_remainder",
    "cuts k folds of n // k and never validates on the n % k examples left over",
    "every example must be validated on exactly once: hand the remainder out, one "
    "each to the first n % k folds.",
    sizes="drop",
    generic=("edge", "step"),
    wrong_on="ordinary",
)
_kfold_variant(
    "bug",
    "kfold_ignores_shuffle",
    "never shuffles, whatever shuffle says",
    "with shuffle=True cut the folds from torch.randperm(n, generator=generator).",
    ignore_shuffle=True,
    generic="random",
    wrong_on="ordinary",
)
_kfold_variant(
    "bug",
    "kfold_global_rng",
    "shuffles with the global random state",
    "pass generator=generator to torch.randperm so a seeded split can be repeated.",
    global_rng=True,
    generic="random",
    wrong_on="ordinary",
)
_kfold_variant(
    "bug",
    "kfold_trains_on_validation",
    "trains on every example, its fold included",
    "a fold's training set is everything except its validation indices.",
    generic="branch",
    train_includes_val=True,
    wrong_on="ordinary",
)
_kfold_variant(
    "bug",
    "kfold_no_argument_check",
    "accepts k < 2, k > n and a float k",
    "raise ValueError unless n and k are ints with 2 <= k <= n.",
    validate=False,
    generic="validation",
    wrong_on="edge",
)

_kfold_variant(
    "bug",
    "kfold_shuffles_fold_order",
    "shuffles which fold gets which block of consecutive indices instead of shuffling the examples",
    "shuffle the examples (torch.randperm(n, generator=generator)) and cut the folds "
    "from that order; shuffling the folds keeps neighbouring examples together.",
    shuffle_folds=True,
    generic="random",
    wrong_on="ordinary",
)
_kfold_variant(
    "bug",
    "kfold_fixed_seed_without_generator",
    "seeds a generator of its own when none is given, so every call without one "
    "splits the same way",
    "with generator=None call torch.randperm(n) without a generator: it then uses "
    "PyTorch's global random state.",
    fixed_seed=True,
    wrong_on="ordinary",
)
_kfold_variant(
    "bug",
    "kfold_returns_numpy_arrays",
    "returns NumPy index arrays, as scikit-learn's KFold.split does",
    "return int64 CPU tensors (torch.from_numpy(a) converts an int64 NumPy array).",
    numpy=True,
    generic="structure",
    wrong_on="ordinary",
)

kfold_split = alternative(
    "kfold_tensor_split",
    "data.kfold_indices",
    "cuts the order with torch.tensor_split and builds train by concatenating the other folds",
)


@kfold_split.replaces
def kfold_indices(n, k, generator=None, shuffle=True):
    if (
        isinstance(n, bool)
        or isinstance(k, bool)
        or not isinstance(n, int)
        or not isinstance(k, int)
        or not 2 <= k <= n
    ):
        raise ValueError("need ints with 2 <= k <= n")
    order = torch.randperm(n, generator=generator) if shuffle else torch.arange(n)
    chunks = list(torch.tensor_split(order, k))
    return [(torch.cat(chunks[:f] + chunks[f + 1 :]), chunks[f]) for f in range(k)]


# ============================================================ alternatives in other styles
# Object style: a KFold splitter object (scikit-learn's shape) whose split method the contract
# function wraps.
class KFold:
    def __init__(self, k, shuffle=True, generator=None):
        self.k, self.shuffle, self.generator = k, shuffle, generator

    def split(self, n):
        if (
            isinstance(n, bool)
            or isinstance(self.k, bool)
            or not isinstance(n, int)
            or not isinstance(self.k, int)
        ):
            raise ValueError(f"n and k must be ints, got {n!r} and {self.k!r}")
        if not 2 <= self.k <= n:
            raise ValueError(f"need 2 <= k <= n, got n={n}, k={self.k}")
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        start = 0
        for i in range(self.k):
            size = n // self.k + (1 if i < n % self.k else 0)
            val = order[start : start + size].sort().values
            keep = torch.ones(n, dtype=torch.bool)
            keep[val] = False
            yield torch.arange(n)[keep], val
            start += size


kfold_splitter_object = alternative(
    "kfold_splitter_object",
    "data.kfold_indices",
    "a KFold object whose split method yields the folds",
)


@kfold_splitter_object.replaces
def kfold_indices(n, k, generator=None, shuffle=True):
    return list(KFold(k, shuffle, generator).split(n))


# NumPy bridged to tensors: the permutation comes from torch's generator, the folds from
# np.array_split, and the indices go back as int64 tensors.
kfold_numpy = alternative(
    "kfold_numpy",
    "data.kfold_indices",
    "splits torch's permutation with np.array_split and converts back",
)


@kfold_numpy.replaces
def kfold_indices(n, k, generator=None, shuffle=True):
    if type(n) is not int or type(k) is not int:
        raise ValueError(f"n and k must be ints, got {n!r} and {k!r}")
    if k < 2 or k > n:
        raise ValueError(f"need 2 <= k <= n, got n={n}, k={k}")
    order = (torch.randperm(n, generator=generator) if shuffle else torch.arange(n)).numpy()
    folds = []
    for val in np.array_split(order, k):
        train = np.setdiff1d(np.arange(n), val)
        folds.append(
            (
                torch.from_numpy(train.astype(np.int64)),
                torch.from_numpy(np.sort(val).astype(np.int64)),
            )
        )
    return folds


# Object style: a Mixup object drawing (weights, partners) for a batch, whose __call__ mixes; the
# weights come from one (2, N) Gamma draw, the permutation first.
class Mixup:
    def __init__(self, alpha, generator=None):
        if not alpha > 0:
            raise ValueError(f"alpha must be > 0, got {alpha!r}")
        self.alpha, self.generator = float(alpha), generator

    def draw(self, n, device):
        self.perm = torch.randperm(n, generator=self.generator, device=device)
        g = torch._standard_gamma(
            torch.full((2, n), self.alpha, dtype=torch.float64, device=device),
            generator=self.generator,
        )
        self.lam = g[0] / g.sum(0)

    def __call__(self, x, y_onehot):
        _check_mixup(x, y_onehot, self.alpha)
        self.draw(x.shape[0], x.device)
        return _mix(x, self.lam, self.perm), _mix(y_onehot, self.lam, self.perm)


mixup_object = alternative(
    "mixup_object",
    "data.mixup",
    "a Mixup object that draws the permutation, then both Gamma variables "
    "in one (2, N) call, and mixes in __call__",
)


@mixup_object.replaces
def mixup(x, y_onehot, alpha, generator=None):
    return Mixup(alpha, generator)(x, y_onehot)


# NumPy bridged to tensors: one seed drawn from torch's generator starts a NumPy generator that
# draws the Beta weights and the permutation; the mixing runs in NumPy.
mixup_numpy = alternative(
    "mixup_numpy",
    "data.mixup",
    "seeds NumPy's generator from torch's, draws rng.beta and "
    "rng.permutation, mixes in NumPy and converts back",
)


@mixup_numpy.replaces
def mixup(x, y_onehot, alpha, generator=None):
    _check_mixup(x, y_onehot, alpha)
    n = x.shape[0]
    seed = torch.randint(0, 2**62, (1,), generator=generator, device=x.device)
    rng = np.random.default_rng(int(seed))
    lam, perm = rng.beta(alpha, alpha, n), rng.permutation(n)

    def mix(t):
        a = t.detach().cpu().numpy().astype(np.float64)
        w = lam.reshape(n, *([1] * (a.ndim - 1)))
        return torch.from_numpy(w * a + (1 - w) * a[perm]).to(dtype=t.dtype, device=t.device)

    return mix(x), mix(y_onehot)


# Object style: an augmentation object that turns points in polar coordinates (radius kept,
# angle increased) and then jitters them.
class RandomRotateJitter:
    def __init__(self, max_angle, noise_std, generator=None):
        if max_angle < 0 or noise_std < 0:
            raise ValueError("max_angle and noise_std must be >= 0")
        self.max_angle, self.noise_std, self.generator = max_angle, noise_std, generator

    def __call__(self, x):
        if x.dim() != 2 or x.shape[1] != 2:
            raise ValueError(f"x must be (N, 2), got {tuple(x.shape)}")
        n = x.shape[0]
        u = torch.rand(n, generator=self.generator, dtype=x.dtype, device=x.device)
        e = torch.randn(n, 2, generator=self.generator, dtype=x.dtype, device=x.device)
        r = torch.sqrt(x[:, 0] ** 2 + x[:, 1] ** 2)
        phi = torch.atan2(x[:, 1], x[:, 0]) + (2 * u - 1) * self.max_angle
        return torch.stack([r * torch.cos(phi), r * torch.sin(phi)], dim=1) + e * self.noise_std


augment_polar = alternative(
    "augment_polar_object",
    "data.augment_points",
    "an augmentation object that adds the angle in polar coordinates",
)


@augment_polar.replaces
def augment_points(x, generator=None, max_angle=0.2, noise_std=0.05):
    return RandomRotateJitter(max_angle, noise_std, generator)(x)


# NumPy bridged to tensors: torch's generator draws, NumPy applies one 2x2 rotation matrix per
# point with einsum.
augment_numpy = alternative(
    "augment_numpy",
    "data.augment_points",
    "draws with torch's generator and rotates with per-point matrices in NumPy",
)


@augment_numpy.replaces
def augment_points(x, generator=None, max_angle=0.2, noise_std=0.05):
    if x.dim() != 2 or x.shape[1] != 2 or max_angle < 0 or noise_std < 0:
        raise ValueError("x must be (N, 2) and max_angle, noise_std >= 0")
    n = x.shape[0]
    theta = (
        ((2 * torch.rand(n, generator=generator, dtype=x.dtype, device=x.device) - 1) * max_angle)
        .cpu()
        .numpy()
    )
    noise = torch.randn(n, 2, generator=generator, dtype=x.dtype, device=x.device).cpu().numpy()
    c, s = np.cos(theta), np.sin(theta)
    rotation = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], 1)  # (N, 2, 2)
    out = np.einsum("nij,nj->ni", rotation, x.detach().cpu().numpy()) + noise * noise_std
    return torch.from_numpy(out).to(dtype=x.dtype, device=x.device)


# A different way to draw the same partition: deal a shuffled order round-robin to the folds
# (fold f gets positions f, f + k, ...), which gives the same sizes; pairs come back as lists.
kfold_round_robin = alternative(
    "kfold_round_robin",
    "data.kfold_indices",
    "deals a shuffled order to the folds round-robin and returns [train, val] lists",
)


@kfold_round_robin.replaces
def kfold_indices(n, k, generator=None, shuffle=True):
    if type(n) is not int or type(k) is not int or not 2 <= k <= n:
        raise ValueError(f"need ints with 2 <= k <= n, got n={n!r}, k={k!r}")
    if not shuffle:
        return _kfold(n, k, None, False)
    fold_of = torch.empty(n, dtype=torch.long)
    fold_of[torch.randperm(n, generator=generator)] = torch.arange(n) % k
    index = torch.arange(n)
    return [[index[fold_of != f], index[fold_of == f]] for f in range(k)]
