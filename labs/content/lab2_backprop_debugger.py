"""Lab 2: backprop debugger (a 10-class model whose loss will not leave ln 10)."""

from cells import answer, code, md, readonly, test, writeup

ASSIGNMENT = "lab2_backprop_debugger"

BUGS = ["dead_units", "lr_too_small", "detached", "grads_not_zeroed"]

# Which planted bug each mystery run carries. Kept in keys/, never in the notebook.
KEY = {
    run: {
        "kind": "label",
        "answer": bug,
        "right": "The gradient norms per layer point to exactly this cause.",
        "wrong": "Compare this run's per-layer gradient norms and loss curve with the healthy "
        "run: which layers get no gradient, and do the weights move at all?",
    }
    for run, bug in {
        "run_a": "lr_too_small",
        "run_b": "detached",
        "run_c": "dead_units",
        "run_d": "grads_not_zeroed",
    }.items()
}

CELLS = [
    md(
        """
    # Lab 2: backprop debugger

    **The brief.** A friend's PyTorch model will not learn. It is a 4-layer ReLU network trained
    with cross-entropy on a 10-class problem, and after hundreds of epochs the loss still sits near
    its starting value of about 2.3. The data loading has been checked and is fine. Your job is to
    find out why, with evidence rather than guesses, and to fix it.

    The friend's code is not available, so this notebook recreates the situation: four "mystery"
    training runs, each with one planted bug, next to a healthy one. You will instrument the
    gradients layer by layer, name the bug in each run, and write a training loop that works.

    **What is graded.** Four code tasks (12 points, autograded, with partial credit) and three
    written answers (8 points, graded by hand against a rubric). Do not rename the functions or
    variables the tests use and do not delete cells; run the whole notebook before submitting.
    """,
        "intro",
    ),
    readonly(
        "setup",
        """
    import math

    import torch
    import torch.nn.functional as F

    from descent.labs_grading import Parts, hidden_checks

    torch.set_num_threads(1)
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        plt = None


    def make_data(n, seed):
        \"\"\"10 classes, 20 features: one Gaussian cloud per class around a fixed center.\"\"\"
        g = torch.Generator().manual_seed(seed)
        centers = 1.5 * torch.randn(10, 20, generator=torch.Generator().manual_seed(123))
        y = torch.randint(0, 10, (n,), generator=g)
        return centers[y] + torch.randn(n, 20, generator=g), y


    X, Y = make_data(2000, seed=0)
    print("inputs", tuple(X.shape), "labels", tuple(Y.shape), "classes", int(Y.max()) + 1)
    """,
    ),
    md(
        """
    ## Task 1: what should the first loss be? (2 points)

    Before training, a network with small random weights spreads its probability almost evenly
    over the classes. Write `expected_initial_loss(num_classes)`: the cross-entropy of a uniform
    prediction. Comparing the first printed loss with this number is the cheapest sanity check
    there is: if they differ a lot, look at the loss or the labels before anything else.
    """,
        "task1",
    ),
    answer(
        "task1_answer",
        """
    def expected_initial_loss(num_classes):
        ### BEGIN SOLUTION
        return math.log(num_classes)
        ### END SOLUTION
    """,
    ),
    test(
        "task1_test",
        2,
        """
    parts = Parts()
    with parts.part("10 classes", 1):
        assert abs(expected_initial_loss(10) - 2.302585) < 1e-4, expected_initial_loss(10)
    ### BEGIN HIDDEN TESTS
    hidden_checks("lab2_backprop_debugger", "task1_test")  # checked outside the notebook
    ### END HIDDEN TESTS
    parts.score()
    """,
    ),
    md(
        """
    ## The friend's network and the five runs

    `MLP` is the friend's architecture. `train_run(bug)` trains it for a few dozen steps of SGD with
    momentum, with one of the bugs planted (or none). Read the code: each bug is a line you could
    easily write yourself. The runs are then shuffled into `MYSTERY`, under anonymous names.
    """,
        "runs_intro",
    ),
    readonly(
        "runs",
        """
    class MLP(torch.nn.Module):
        def __init__(self, detach=False):
            super().__init__()
            self.fc1 = torch.nn.Linear(20, 64)
            self.fc2 = torch.nn.Linear(64, 64)
            self.fc3 = torch.nn.Linear(64, 64)
            self.out = torch.nn.Linear(64, 10)
            self.detach = detach

        def forward(self, x):
            h = F.relu(self.fc1(x))
            h = F.relu(self.fc2(h))
            if self.detach:
                h = h.detach()  # bug "detached": cuts the graph here
            h = F.relu(self.fc3(h))
            return self.out(h)


    def train_run(bug=None, steps=50, seed=0):
        \"\"\"Train with one planted bug; returns the model (with its last gradients) and the
        losses.\"\"\"
        torch.manual_seed(seed)
        model = MLP(detach=(bug == "detached"))
        if bug == "dead_units":
            with torch.no_grad():
                model.fc2.bias.fill_(-10.0)  # every fc2 unit starts (and stays) below zero
        lr = 1e-7 if bug == "lr_too_small" else 0.05
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        losses = []
        for _ in range(steps):
            if bug != "grads_not_zeroed":
                opt.zero_grad()
            idx = torch.randint(0, len(Y), (128,))
            loss = F.cross_entropy(model(X[idx]), Y[idx])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return model, losses


    BUGS = ["dead_units", "lr_too_small", "detached", "grads_not_zeroed"]
    HEALTHY = train_run(None)
    MYSTERY = {"run_a": train_run("lr_too_small"), "run_b": train_run("detached"),
               "run_c": train_run("dead_units"), "run_d": train_run("grads_not_zeroed")}
    for name, (_, losses) in {"healthy": HEALTHY, **MYSTERY}.items():
        print(f"{name:8} first loss {losses[0]:7.3f}   last loss {losses[-1]:9.3f}")
    """,
    ),
    md(
        """
    ## Task 2: gradient norms per layer (3 points)

    Write `grad_norms(model)`: a dict mapping every parameter name of `model.named_parameters()`
    to the L2 norm of its `.grad` as a Python float, or `0.0` when the parameter has no gradient
    at all (`.grad is None`).
    """,
        "task2",
    ),
    answer(
        "task2_answer",
        """
    def grad_norms(model):
        ### BEGIN SOLUTION
        return {name: 0.0 if p.grad is None else float(p.grad.norm())
                for name, p in model.named_parameters()}
        ### END SOLUTION
    """,
    ),
    test(
        "task2_test",
        3,
        """
    parts = Parts()
    torch.manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    net(torch.randn(5, 3)).pow(2).sum().backward()
    with parts.part("one entry per named parameter", 1):
        assert set(grad_norms(net)) == {n for n, _ in net.named_parameters()}, sorted(grad_norms(net))
    ### BEGIN HIDDEN TESTS
    hidden_checks("lab2_backprop_debugger", "task2_test")  # checked outside the notebook
    ### END HIDDEN TESTS
    parts.score()
    """,
    ),
    code("""
    # Per-layer gradient norms after the last step of each run (not graded; explore freely).
    if "grad_norms" in globals():
        runs = {"healthy": HEALTHY, **MYSTERY}
        layers = [n for n in grad_norms(HEALTHY[0]) if n.endswith("weight")]
        print(f"{'run':8}" + "".join(f"{n:>13}" for n in layers))
        for name, (model, _) in runs.items():
            norms = grad_norms(model)
            print(f"{name:8}" + "".join(f"{norms[n]:13.2e}" for n in layers))
        if plt is not None:
            fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
            for name, (model, losses) in runs.items():
                norms = grad_norms(model)
                left.plot(range(len(layers)), [max(norms[n], 1e-12) for n in layers], "o-", label=name)
                right.plot(losses, label=name)
            left.set(yscale="log", title="gradient norm per layer (last step)")
            left.set_xticks(range(len(layers)), layers)
            right.set(yscale="log", title="training loss", xlabel="step")
            right.axhline(math.log(10), color="gray", ls=":")
            left.legend(fontsize=8)
            plt.show()
    """),
    md(
        """
    ## Task 3: name the bug in each run (4 points, 1 per run)

    Fill `DIAGNOSIS` with one name from `BUGS` for each mystery run. Look at the evidence: the
    loss curve, the gradient norm of each layer, and whether the weights moved at all (compare a
    layer's weights with a freshly seeded model if you need to).
    """,
        "task3",
    ),
    answer(
        "task3_answer",
        """
    ### BEGIN SOLUTION
    DIAGNOSIS = {"run_a": "lr_too_small", "run_b": "detached", "run_c": "dead_units",
                 "run_d": "grads_not_zeroed"}
    ### END SOLUTION
    assert set(DIAGNOSIS) == set(MYSTERY), "give a diagnosis for each of run_a to run_d"
    assert set(DIAGNOSIS.values()) <= set(BUGS), f"use the names in BUGS: {BUGS}"
    """,
    ),
    test(
        "task3_test",
        4,
        """
    parts = Parts()
    with parts.part("DIAGNOSIS names a known bug for every run", 0):
        assert set(DIAGNOSIS) == set(MYSTERY) and set(DIAGNOSIS.values()) <= set(BUGS)
    ### BEGIN HIDDEN TESTS
    hidden_checks("lab2_backprop_debugger", "task3_test")  # checked outside the notebook
    ### END HIDDEN TESTS
    parts.score()
    """,
    ),
    md(
        """
    ## Task 4: a loop that learns (3 points)

    Write `train_fixed(steps=150)` that trains a fresh `MLP()` on `X, Y` without any of the bugs
    and returns `(model, losses)`, one loss per step, like `train_run`. Use batches of 128 and any
    optimizer settings you can justify. The tests check that the first loss is near the value from
    Task 1, that the last loss is far below it, and that every layer receives gradient.
    """,
        "task4",
    ),
    answer(
        "task4_answer",
        """
    def train_fixed(steps=150, seed=0):
        ### BEGIN SOLUTION
        torch.manual_seed(seed)
        model = MLP()
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        losses = []
        for _ in range(steps):
            opt.zero_grad()
            idx = torch.randint(0, len(Y), (128,))
            loss = F.cross_entropy(model(X[idx]), Y[idx])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return model, losses
        ### END SOLUTION


    FIXED_MODEL, FIXED_LOSSES = train_fixed()
    print(f"first loss {FIXED_LOSSES[0]:.3f}, last loss {FIXED_LOSSES[-1]:.3f}")
    """,
    ),
    test(
        "task4_test",
        3,
        """
    parts = Parts()
    with parts.part("one loss per step, starting near ln 10", 1):
        assert len(FIXED_LOSSES) == 150, len(FIXED_LOSSES)
        assert abs(FIXED_LOSSES[0] - math.log(10)) < 0.3, FIXED_LOSSES[0]
    ### BEGIN HIDDEN TESTS
    hidden_checks("lab2_backprop_debugger", "task4_test")  # checked outside the notebook
    ### END HIDDEN TESTS
    parts.score()
    """,
    ),
    md(
        """
    ## Write-up (8 points, graded by hand)

    A sharp colleague reviews your diagnosis. Answer each challenge in a short paragraph and cite
    the numbers you measured.
    """,
        "writeup_intro",
    ),
    md(
        """
    **W1 (3 points).** *"Stuck loss has many possible causes. Which do you examine first: the
    data pipeline, the gradients, or the architecture? Defend the order."*
    """,
        "w1_prompt",
    ),
    writeup(
        "w1",
        3,
        """
    **Rubric (3 points).**
    - 1 pt: a defensible order with a reason for each step, for example: the cheap sanity checks
      first (first loss equals ln 10? can the model overfit one small batch?), then gradients,
      then architecture.
    - 1 pt: explains what the gradients tell apart: zero gradient in some layers (dead units, a
      detached tensor) versus healthy gradients with weights that do not move (learning rate)
      versus gradients growing step after step (never zeroed).
    - 1 pt: uses the brief: the data loading was already checked, and a loss sitting at ln 10 means
      the outputs are uniform, which points at training mechanics more than at architecture.
    - Mark down: "change the architecture first" without evidence; "try a different optimizer" as
      a first step.
    """,
    ),
    md(
        """
    **W2 (3 points).** Justify each of your four diagnoses with the evidence you measured: the
    per-layer gradient norms, the loss curve, and whether the weights changed.
    """,
        "w2_prompt",
    ),
    writeup(
        "w2",
        3,
        """
    **Rubric (3 points).** Full credit cites a measured signature for every run:
    - learning rate effectively zero (run_a): gradients of normal size in every layer, loss flat at
      about 2.30, weights unchanged after training;
    - detached tensor (run_b): fc1 and fc2 have no gradient at all (norm 0), later layers do, loss
      still falls because fc3 and out learn on frozen features;
    - dead units (run_c): fc1 to fc3 get zero gradient, only the output layer moves, loss stuck at
      about 2.30; fc2's activations are all zero;
    - gradients never zeroed (run_d): gradient norms hundreds of times the healthy ones and growing,
      loss erratic or exploding.
    - 1 pt per two runs justified with evidence, plus 1 pt for telling apart the two "zero
      gradient" cases (dead units versus detached). Diagnoses without evidence get at most 1.
    """,
    ),
    md(
        """
    **W3 (2 points).** Back to the friend: the loss stays at about 2.3 after 500 epochs. Which
    causes fit that symptom, and which two-minute check tells them apart?
    """,
        "w3_prompt",
    ),
    writeup(
        "w3",
        2,
        """
    **Rubric (2 points).**
    - 1 pt: names the causes that keep the loss at ln 10: a learning rate that is effectively zero,
      dead units (all ReLUs off, from a bad initialization or bias), or gradients that never reach
      the weights (detached tensor, optimizer not given the parameters). Gradients never zeroed
      usually make the loss jump, not sit still.
    - 1 pt: a concrete quick check: print per-layer gradient norms after one backward pass and the
      size of one update relative to the weights; or check the fraction of ReLUs that are active.
    """,
    ),
]
