"""Lab 4: optimizer strategy (fine-tuning under a fixed budget: Adam, AdamW, SGD + momentum,
with and without warmup and cosine decay)."""

from cells import answer, code, md, readonly, test, writeup

ASSIGNMENT = "lab4_optimizer_strategy"

CELLS = [
    md(
        """
    # Lab 4: optimizer strategy

    **The brief.** Lumen AI fine-tunes a pretrained image classifier (a ResNet-50 backbone) on
    30,000 of its own medical images and has 72 hours of GPU time to get its best result. The
    current recipe: Adam, learning rate 0.001, batch size 32, 200 epochs, no warmup and no
    learning-rate schedule. The loss converges, but the team suspects it is leaving accuracy on the
    table. Advise them: which two changes matter most, and how will they know the changes work?

    Here the same decision is made at toy scale, on CPU, in seconds: a small network is
    *pretrained* on one synthetic task, then *fine-tuned* on a related task with little data and a
    fixed budget of 120 steps. You compare Adam, AdamW and SGD with momentum, each with and
    without warmup followed by cosine decay.

    **What is graded.** Four code tasks (10 points, autograded with partial credit) and three
    written answers (9 points, graded by hand). Keep the names the tests use, do not delete cells,
    and run the whole notebook before submitting.
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


    def make_task(n, seed, shifted):
        \"\"\"6 classes, 16 features. The fine-tuning task moves the class centers a little.\"\"\"
        g = torch.Generator().manual_seed(seed)
        centers = 1.3 * torch.randn(6, 16, generator=torch.Generator().manual_seed(11))
        if shifted:
            mix = torch.eye(16) + 0.25 * torch.randn(16, 16, generator=torch.Generator().manual_seed(12))
            centers = centers @ torch.linalg.qr(mix)[0]
        y = torch.randint(0, 6, (n,), generator=g)
        return centers[y] + 1.2 * torch.randn(n, 16, generator=g), y


    def make_network():
        return torch.nn.Sequential(torch.nn.Linear(16, 64), torch.nn.ReLU(),
                                   torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 6))


    # "Pretraining": plenty of data on the original task.
    X_pre, Y_pre = make_task(3000, seed=0, shifted=False)
    torch.manual_seed(0)
    backbone = make_network()
    opt = torch.optim.Adam(backbone.parameters(), lr=1e-3)
    for _ in range(300):
        idx = torch.randint(0, len(Y_pre), (64,))
        opt.zero_grad()
        F.cross_entropy(backbone(X_pre[idx]), Y_pre[idx]).backward()
        opt.step()
    PRETRAINED = {k: v.clone() for k, v in backbone.state_dict().items()}

    # Fine-tuning: little data on the shifted task, and a held-out set to judge the result.
    X_ft, Y_ft = make_task(400, seed=1, shifted=True)
    X_val, Y_val = make_task(1000, seed=2, shifted=True)
    print(f"pretrained on {len(Y_pre)} examples; fine-tuning set {len(Y_ft)}, validation {len(Y_val)}")
    """,
    ),
    md(
        """
    ## Task 1: warmup, then cosine decay (3 points)

    Write `warmup_cosine(step, total_steps, warmup_steps)`, the factor by which the base learning
    rate is multiplied at `step` (counting from 0):

    * during warmup (`step < warmup_steps`): rise linearly, `(step + 1) / warmup_steps`, so the
      last warmup step uses the full rate;
    * afterwards: follow half a cosine from 1 down to 0 over the remaining steps,
      `0.5 * (1 + cos(pi * progress))` with `progress = (step - warmup_steps) / (total_steps -
      warmup_steps)`.

    `warmup_steps=0` must work (no warmup at all).
    """,
        "task1",
    ),
    answer(
        "task1_answer",
        """
    def warmup_cosine(step, total_steps, warmup_steps):
        ### BEGIN SOLUTION
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
        ### END SOLUTION
    """,
    ),
    test(
        "task1_test",
        3,
        """
    parts = Parts()
    with parts.part("warmup rises linearly to 1", 1):
        assert abs(warmup_cosine(0, 100, 10) - 0.1) < 1e-9, warmup_cosine(0, 100, 10)
        assert abs(warmup_cosine(9, 100, 10) - 1.0) < 1e-9, warmup_cosine(9, 100, 10)
    ### BEGIN HIDDEN TESTS
    hidden_checks("lab4_optimizer_strategy", "task1_test")  # checked outside the notebook
    ### END HIDDEN TESTS
    parts.score()
    """,
    ),
    md(
        """
    ## Task 2: the three optimizers (2 points)

    Write `make_optimizer(name, params, lr)` for `name` in `"adam"`, `"adamw"` (weight decay 0.01)
    and `"sgd"` (momentum 0.9). Use the classes in `torch.optim`.
    """,
        "task2",
    ),
    answer(
        "task2_answer",
        """
    def make_optimizer(name, params, lr):
        ### BEGIN SOLUTION
        if name == "adam":
            return torch.optim.Adam(params, lr=lr)
        if name == "adamw":
            return torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
        if name == "sgd":
            return torch.optim.SGD(params, lr=lr, momentum=0.9)
        raise ValueError(name)
        ### END SOLUTION
    """,
    ),
    test(
        "task2_test",
        2,
        """
    parts = Parts()
    w = [torch.nn.Parameter(torch.zeros(3))]
    with parts.part("the right classes and learning rate", 1):
        kinds = {n: type(make_optimizer(n, w, 0.01)) for n in ("adam", "adamw", "sgd")}
        assert kinds == {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW,
                         "sgd": torch.optim.SGD}, kinds
        assert make_optimizer("sgd", w, 0.01).param_groups[0]["lr"] == 0.01
    ### BEGIN HIDDEN TESTS
    hidden_checks("lab4_optimizer_strategy", "task2_test")  # checked outside the notebook
    ### END HIDDEN TESTS
    parts.score()
    """,
    ),
    md(
        """
    ## Task 3: the fine-tuning run (3 points)

    Complete `fine_tune(opt_name, schedule, budget=120, warmup=12)`. It starts from the
    pretrained weights with a fresh output layer (a new task needs a new head), trains on
    batches of 32 for exactly `budget` steps, and records the learning rate used at every step.
    When `schedule` is true, drive the learning rate with `torch.optim.lr_scheduler.LambdaLR` and
    your `warmup_cosine`, stepping the scheduler once after each optimizer step.
    """,
        "task3",
    ),
    answer(
        "task3_answer",
        """
    BASE_LR = {"adam": 3e-3, "adamw": 3e-3, "sgd": 3e-2}


    def fine_tune(opt_name, schedule, budget=120, warmup=12, seed=1):
        torch.manual_seed(seed)
        model = make_network()
        model.load_state_dict(PRETRAINED)
        model[-1].reset_parameters()  # new head
        opt = make_optimizer(opt_name, model.parameters(), BASE_LR[opt_name])
        losses, lrs = [], []
        ### BEGIN SOLUTION
        scheduler = (torch.optim.lr_scheduler.LambdaLR(
            opt, lambda s: warmup_cosine(s, budget, warmup)) if schedule else None)
        for _ in range(budget):
            idx = torch.randint(0, len(Y_ft), (32,))
            lrs.append(opt.param_groups[0]["lr"])
            opt.zero_grad()
            loss = F.cross_entropy(model(X_ft[idx]), Y_ft[idx])
            loss.backward()
            opt.step()
            if scheduler is not None:
                scheduler.step()
            losses.append(loss.item())
        ### END SOLUTION
        with torch.no_grad():
            val = F.cross_entropy(model(X_val), Y_val).item()
            acc = (model(X_val).argmax(1) == Y_val).float().mean().item()
        return {"loss": losses, "lr": lrs, "val_loss": val, "val_acc": acc}
    """,
    ),
    test(
        "task3_test",
        3,
        """
    parts = Parts()
    run = fine_tune("sgd", schedule=True, budget=20, warmup=4)
    with parts.part("one loss and one learning rate per step", 1):
        assert len(run["loss"]) == 20 and len(run["lr"]) == 20, (len(run["loss"]), len(run["lr"]))
    ### BEGIN HIDDEN TESTS
    hidden_checks("lab4_optimizer_strategy", "task3_test")  # checked outside the notebook
    ### END HIDDEN TESTS
    parts.score()
    """,
    ),
    md(
        """
    ## Task 4: the comparison (2 points)

    Run the six configurations with the same budget. Nothing to write here: run the cell and
    study the table and the curves; the write-up depends on them.
    """,
        "task4",
    ),
    readonly(
        "task4_run",
        """
    RESULTS = {}
    if "fine_tune" in globals():
        for name in ("adam", "adamw", "sgd"):
            for schedule in (False, True):
                RESULTS[(name, schedule)] = fine_tune(name, schedule)
        print(f"{'optimizer':10} {'schedule':>13} {'val loss':>9} {'val acc':>8}")
        for (name, schedule), r in RESULTS.items():
            label = "warmup+cosine" if schedule else "constant"
            print(f"{name:10} {label:>13} {r['val_loss']:9.3f} {r['val_acc']:8.3f}")
    """,
    ),
    test(
        "task4_test",
        2,
        """
    parts = Parts()
    with parts.part("six runs of 120 steps", 1):
        assert len(RESULTS) == 6 and all(len(r["loss"]) == 120 for r in RESULTS.values())
    ### BEGIN HIDDEN TESTS
    hidden_checks("lab4_optimizer_strategy", "task4_test")  # checked outside the notebook
    ### END HIDDEN TESTS
    parts.score()
    """,
    ),
    code("""
    # Curves (not graded; change the smoothing or add runs freely).
    if plt is not None and RESULTS:
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
        for (name, schedule), r in RESULTS.items():
            k = 10
            smooth = [sum(r["loss"][i:i + k]) / k for i in range(len(r["loss"]) - k + 1)]
            style = "-" if schedule else "--"
            left.plot(smooth, style, label=f"{name}{' +sched' if schedule else ''}")
            right.plot(r["lr"], style, label=f"{name}{' +sched' if schedule else ''}")
        left.set(yscale="log", title="training loss (moving average of 10)", xlabel="step")
        right.set(yscale="log", title="learning rate", xlabel="step")
        left.legend(fontsize=8)
        plt.show()
    """),
    md(
        """
    ## Write-up (9 points, graded by hand)

    Your colleague has strong opinions about trade-offs. Answer each point in a short paragraph
    and cite your table and curves.
    """,
        "writeup_intro",
    ),
    md(
        """
    **W1 (3 points).** *"Before you name your two changes: this is fine-tuning, not training from
    scratch, and there are only 72 hours. How does each of those facts change what you would try
    first?"*
    """,
        "w1_prompt",
    ),
    writeup(
        "w1",
        3,
        """
    **Rubric (3 points).**
    - 1 pt: fine-tuning starts from useful weights: large or erratic early updates can wreck them,
      so a smaller learning rate and a warmup matter more than when training from scratch.
    - 1 pt: with a fixed budget, prefer cheap, high-leverage experiments that can be judged early
      (short runs, learning-rate and schedule changes) over a broad search or a new architecture;
      200 epochs of constant Adam may be spending the budget on oscillation.
    - 1 pt: names a plan for the 72 hours, e.g. a couple of short pilot runs to pick the learning
      rate and schedule, then one full run, with checkpoints and early stopping on validation.
    - Mark down: "switch to SGD because papers use it" with no regard for the tuning time it needs.
    """,
    ),
    md(
        """
    **W2 (4 points).** Name the two highest-leverage changes to Lumen's recipe and defend each
    one with the evidence from your runs (or say honestly where your toy runs do not settle the
    question).
    """,
        "w2_prompt",
    ),
    writeup(
        "w2",
        4,
        """
    **Rubric (4 points), 2 per change.**
    - Typical strong choices: (a) warmup followed by cosine decay (protects the pretrained weights
      early, lets the run settle at the end instead of circling at a fixed rate); (b) AdamW instead
      of Adam (decoupled weight decay regularizes correctly), or a lower base learning rate for
      fine-tuning. SGD with momentum plus a schedule is acceptable if argued from the table.
    - Per change: 1 pt for the mechanism, 1 pt for citing the student's own numbers or curves
      (validation loss/accuracy per configuration, the learning-rate trace).
    - Honesty counts: on this toy task the differences are small (validation losses around 0.12 to
      0.15); an answer that says so and explains why the real 72-hour run may differ gets full
      marks. Mark down claims that contradict the student's own table.
    """,
    ),
    md(
        """
    **W3 (2 points).** How will Lumen verify, within the 72 hours, that the two changes work?
    """,
        "w3_prompt",
    ),
    writeup(
        "w3",
        2,
        """
    **Rubric (2 points).**
    - 1 pt: compare against the current recipe on the same held-out validation set and the same
      budget, changing one thing at a time (or a small ablation), with more than one seed if the
      gap is small.
    - 1 pt: watch the right signals during the run: training and validation curves, the learning
      rate actually applied, early signs of divergence right after warmup; stop runs that are
      clearly worse early to save budget.
    """,
    ),
]
