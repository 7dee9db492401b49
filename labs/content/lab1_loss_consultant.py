"""Lab 1: loss-function consultant (rare positives, 12,000 negatives and 800 positives)."""

from cells import answer, code, md, readonly, test, writeup

ASSIGNMENT = "lab1_loss_consultant"

CELLS = [
    md(
        """
    # Lab 1: loss-function consultant

    **The brief.** Veritas Health wants to spot early diabetic retinopathy in photographs of the
    retina. Their training set holds 12,000 photographs of healthy eyes and 800 with early signs of
    the disease. One engineer trained with mean squared error because it was the default; another
    wants cross-entropy. Neither has argued why. You are the consultant: recommend a loss, and back
    the recommendation with evidence.

    The photographs stay private, so this lab works on a synthetic stand-in with the same class
    counts: every "image" is a vector of 8 features, and the sick eyes differ from the healthy ones
    in a few of them, with plenty of overlap. Everything runs on a CPU in a few seconds.

    **What is graded.** Four code tasks are autograded (9 points; several give partial credit, one
    line per part in the output). Three written answers at the end are graded by hand against a
    rubric (10 points): they must cite the numbers your code produces.

    Do not rename the functions or variables the tests use, and do not delete cells. Run the whole
    notebook (Kernel > Restart and Run All) before you submit.
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

    torch.set_num_threads(1)  # small models: one thread is fastest and reproducible
    try:
        import matplotlib.pyplot as plt
    except ImportError:  # the plots are optional; the numbers are printed as well
        plt = None
    """,
    ),
    readonly(
        "data",
        """
    def make_screening_data(n_healthy, n_sick, seed):
        \"\"\"Synthetic screening set: 8 features per eye; label 1 = early disease.\"\"\"
        g = torch.Generator().manual_seed(seed)
        healthy = torch.randn(n_healthy, 8, generator=g)
        sick = 1.1 * torch.randn(n_sick, 8, generator=g)
        sick[:, :3] += 1.0  # the disease shifts three features, with lots of overlap
        x = torch.cat([healthy, sick])
        y = torch.cat([torch.zeros(n_healthy), torch.ones(n_sick)])
        order = torch.randperm(len(y), generator=g)
        return x[order], y[order]


    X_train, y_train = make_screening_data(12_000, 800, seed=0)
    X_val, y_val = make_screening_data(3_000, 200, seed=1)
    print(f"train: {len(y_train)} eyes, {int(y_train.sum())} sick; "
          f"validation: {len(y_val)} eyes, {int(y_val.sum())} sick")
    """,
    ),
    md(
        """
    ## Task 1: how rare is rare? (2 points)

    Write `positive_rate(y)`, the fraction of labels equal to 1, and `pos_weight_for(y)`, the
    number of negatives divided by the number of positives. The second is the usual value of
    `pos_weight` in `F.binary_cross_entropy_with_logits`: it makes the positives, taken together,
    weigh as much in the loss as the negatives. Both return Python floats.
    """,
        "task1",
    ),
    answer(
        "task1_answer",
        """
    def positive_rate(y):
        ### BEGIN SOLUTION
        return float((y == 1).sum()) / len(y)
        ### END SOLUTION


    def pos_weight_for(y):
        ### BEGIN SOLUTION
        positives = float((y == 1).sum())
        return (len(y) - positives) / positives
        ### END SOLUTION
    """,
    ),
    test(
        "task1_test",
        2,
        """
    parts = Parts()
    with parts.part("positive rate of the training set is 800/12,800", 0.5):
        assert abs(positive_rate(y_train) - 0.0625) < 1e-9, positive_rate(y_train)
    with parts.part("pos_weight of the training set is 12,000/800", 0.5):
        assert abs(pos_weight_for(y_train) - 15.0) < 1e-9, pos_weight_for(y_train)
    ### BEGIN HIDDEN TESTS
    hidden_checks("lab1_loss_consultant", "task1_test")  # checked outside the notebook
    ### END HIDDEN TESTS
    parts.score()
    """,
    ),
    md(
        """
    ## Task 2: focal loss (3 points)

    Focal loss scales the cross-entropy of each example by $(1 - p_t)^\\gamma$, where $p_t$ is
    the probability the model gives to the example's true label ($p$ for a positive, $1-p$ for a
    negative, $p$ = sigmoid of the logit). Examples the model already gets right with confidence
    ($p_t$ close to 1) then contribute almost nothing, and training concentrates on the hard ones.
    An optional `alpha` weighs the classes too: $\\alpha$ for positives, $1-\\alpha$ for negatives.

    $$\\text{FL} = -\\alpha_t\\,(1-p_t)^{\\gamma}\\,\\log p_t$$

    Write `focal_loss(logits, targets, gamma=2.0, alpha=None)` returning the mean over the batch.
    With `gamma=0` and no `alpha` it must equal plain binary cross-entropy. Stay numerically stable
    for large logits: compute $-\\log p_t$ with `F.binary_cross_entropy_with_logits(...,
    reduction="none")` rather than taking the log of a sigmoid.
    """,
        "task2",
    ),
    answer(
        "task2_answer",
        """
    def focal_loss(logits, targets, gamma=2.0, alpha=None):
        ### BEGIN SOLUTION
        ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
        p = torch.sigmoid(logits)
        p_t = torch.where(targets == 1, p, 1 - p)
        weight = (1 - p_t) ** gamma
        if alpha is not None:
            weight = weight * torch.where(targets == 1, torch.full_like(p, alpha),
                                          torch.full_like(p, 1 - alpha))
        return (weight * ce).mean()
        ### END SOLUTION
    """,
    ),
    test(
        "task2_test",
        3,
        """
    parts = Parts()
    torch.manual_seed(0)
    z = 3 * torch.randn(64)
    t = (torch.rand(64) < 0.3).float()
    with parts.part("gamma=0 and no alpha gives binary cross-entropy", 1):
        got = focal_loss(z, t, gamma=0.0)
        assert torch.is_tensor(got) and got.dim() == 0, "return a scalar tensor"
        assert torch.allclose(got, F.binary_cross_entropy_with_logits(z, t), atol=1e-6), float(got)
    ### BEGIN HIDDEN TESTS
    hidden_checks("lab1_loss_consultant", "task2_test")  # checked outside the notebook
    ### END HIDDEN TESTS
    parts.score()
    """,
    ),
    md(
        """
    ## Task 3: recall on the rare class (2 points)

    Accuracy says little when 94% of the eyes are healthy. Write `recall(probs, targets,
    threshold=0.5)`: among the examples whose target is 1, the fraction whose probability is at
    least `threshold`. Return a Python float, and 0.0 when there is no positive example.
    """,
        "task3",
    ),
    answer(
        "task3_answer",
        """
    def recall(probs, targets, threshold=0.5):
        ### BEGIN SOLUTION
        positives = targets == 1
        if not positives.any():
            return 0.0
        return float((probs[positives] >= threshold).float().mean())
        ### END SOLUTION
    """,
    ),
    test(
        "task3_test",
        2,
        """
    parts = Parts()
    with parts.part("a small example", 1):
        probs = torch.tensor([0.9, 0.2, 0.6, 0.4, 0.1])
        labels = torch.tensor([1.0, 1.0, 1.0, 0.0, 0.0])
        assert abs(recall(probs, labels) - 2 / 3) < 1e-6, recall(probs, labels)
    ### BEGIN HIDDEN TESTS
    hidden_checks("lab1_loss_consultant", "task3_test")  # checked outside the notebook
    ### END HIDDEN TESTS
    parts.score()
    """,
    ),
    md(
        """
    ## Task 4: the experiment (2 points)

    `train_classifier` below trains the same small network with any loss and reports recall and
    precision on the validation set at threshold 0.5. Fill in `LOSSES` with three functions of
    `(logits, targets)`:

    * `"plain"`: binary cross-entropy, unweighted;
    * `"weighted"`: binary cross-entropy with `pos_weight` from Task 1 (on the training labels);
    * `"focal"`: your focal loss with `gamma=2.0` and `alpha=0.75`.

    Then run the cell: it fills `RESULTS` and prints a table you will cite in the write-up.
    """,
        "task4",
    ),
    readonly(
        "trainer",
        """
    def train_classifier(loss_fn, steps=200, seed=0):
        \"\"\"Train a 8-16-1 network full-batch with Adam; return validation metrics and the curve.\"\"\"
        torch.manual_seed(seed)
        model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        curve = []
        for _ in range(steps):
            opt.zero_grad()
            loss = loss_fn(model(X_train).squeeze(1), y_train)
            loss.backward()
            opt.step()
            curve.append(loss.item())
        with torch.no_grad():
            probs = torch.sigmoid(model(X_val).squeeze(1))
        flagged = probs >= 0.5
        precision = float((flagged & (y_val == 1)).sum()) / max(int(flagged.sum()), 1)
        return {"recall": recall(probs, y_val), "precision": precision,
                "accuracy": float((flagged == (y_val == 1)).float().mean()), "curve": curve}
    """,
    ),
    answer(
        "task4_answer",
        """
    ### BEGIN SOLUTION
    LOSSES = {
        "plain": lambda z, t: F.binary_cross_entropy_with_logits(z, t),
        "weighted": lambda z, t: F.binary_cross_entropy_with_logits(
            z, t, pos_weight=torch.tensor(pos_weight_for(y_train))),
        "focal": lambda z, t: focal_loss(z, t, gamma=2.0, alpha=0.75),
    }
    ### END SOLUTION

    RESULTS = {name: train_classifier(fn) for name, fn in LOSSES.items()}
    print(f"{'loss':10} {'recall':>7} {'precision':>10} {'accuracy':>9}")
    for name, r in RESULTS.items():
        print(f"{name:10} {r['recall']:7.3f} {r['precision']:10.3f} {r['accuracy']:9.3f}")
    """,
    ),
    test(
        "task4_test",
        2,
        """
    parts = Parts()
    with parts.part("RESULTS has plain, weighted and focal runs", 1):
        assert set(RESULTS) >= {"plain", "weighted", "focal"}, sorted(RESULTS)
        assert all(0 <= RESULTS[k]["recall"] <= 1 for k in ("plain", "weighted", "focal"))
    ### BEGIN HIDDEN TESTS
    hidden_checks("lab1_loss_consultant", "task4_test")  # checked outside the notebook
    ### END HIDDEN TESTS
    parts.score()
    """,
    ),
    code("""
    # Look at the curves and the trade-off (not graded; edit freely).
    if plt is not None and "RESULTS" in globals():
        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
        for name, r in RESULTS.items():
            left.plot(r["curve"], label=name)
        left.set(title="training loss (each loss has its own scale)", xlabel="step")
        left.legend()
        names = list(RESULTS)
        right.bar([i - 0.2 for i in range(3)], [RESULTS[n]["recall"] for n in names], 0.4,
                  label="recall")
        right.bar([i + 0.2 for i in range(3)], [RESULTS[n]["precision"] for n in names], 0.4,
                  label="precision")
        right.set_xticks(range(3), names)
        right.set(title="validation, threshold 0.5")
        right.legend()
        plt.show()
    """),
    md(
        """
    ## Write-up: your recommendation (10 points, graded by hand)

    Answer in the cells below, a short paragraph each. A sceptical colleague reads every answer,
    so cite the numbers from your table and say what they show. Answers that ignore the evidence
    cannot get full marks.
    """,
        "writeup_intro",
    ),
    md(
        """
    **W1 (4 points).** State your recommendation to Veritas Health: which loss (and settings), what
    it optimizes for in this screening problem, and why it beats the two engineers' choices.
    """,
        "w1_prompt",
    ),
    writeup(
        "w1",
        4,
        """
    **Rubric (4 points).**
    - 1 pt: a concrete choice, e.g. cross-entropy with class weighting (pos_weight about 15) or
      focal loss with alpha favouring positives, with its settings.
    - 1 pt: says what matters here: missing a sick eye (false negative) costs far more than an
      extra referral, so the loss must make the 800 positives count.
    - 1 pt: cites the student's own table: plain loss recall low (around 0.25 to 0.3 on this data),
      weighted recall much higher (around 0.7 to 0.8) at the price of precision.
    - 1 pt: explains why not MSE (a regression loss: weak gradients for confident mistakes on
      probabilities) and why plain cross-entropy is not enough (it follows the 94% majority).
    - Partial: a recommendation without numbers caps at 2. Mark down "accuracy is high, so the
      plain model is fine" (accuracy near 0.94 is reached by calling everyone healthy).
    """,
    ),
    md(
        """
    **W2 (3 points).** A colleague pushes back: *800 positives out of 12,800 is a 6.25% positive
    rate. What does that make hard to learn, and does your chosen loss really account for it?*
    """,
        "w2_prompt",
    ),
    writeup(
        "w2",
        3,
        """
    **Rubric (3 points).**
    - 1 pt: with unweighted loss, the negatives supply about 94% of the gradient, so predicting
      "healthy" almost everywhere already gives a low loss; the positive region is learned poorly.
    - 1 pt: explains the mechanism of the chosen loss: pos_weight 15 makes positives weigh as much as
      negatives in total; focal loss shrinks the share of easy (mostly negative) examples and alpha
      tilts towards positives.
    - 1 pt: notes a limit: weighting shifts the operating point and costs precision (more false
      alarms); the threshold and the metric (recall at a fixed precision, PR curve) still need to
      be chosen with the clinic.
    - Mark down: "focal loss fixes imbalance by itself" (with gamma only, recall barely moves here).
    """,
    ),
    md(
        """
    **W3 (3 points).** How should Veritas check that the recommendation works after training?
    Name the metric(s), the threshold decision and one failure you would watch for.
    """,
        "w3_prompt",
    ),
    writeup(
        "w3",
        3,
        """
    **Rubric (3 points).**
    - 1 pt: report recall on the disease class (sensitivity) and precision, not accuracy; ideally a
      precision-recall curve on held-out data.
    - 1 pt: the threshold is a clinical choice (for example, the highest threshold that keeps recall
      above a target), chosen on validation data, not fixed at 0.5.
    - 1 pt: one credible failure: overfitting the 800 positives (watch train versus validation loss),
      a shift between the clinic's cameras and the training set, or weights so large that false
      alarms swamp the graders.
    - Partial: 1 point for "use a validation set" without saying what to measure.
    """,
    ),
]
