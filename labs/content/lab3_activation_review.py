"""Lab 3: activation review (8 sigmoid hidden layers and a sigmoid output, 20 classes)."""

from cells import answer, code, md, readonly, test, writeup

ASSIGNMENT = "lab3_activation_review"

CELLS = [
    md(
        """
    # Lab 3: activation review

    **The brief.** A classmate trains a text classifier with 20 categories on 50,000 examples. The
    network has 8 hidden layers, all with sigmoid activations, and a sigmoid on the output layer
    too ("sigmoid is for classification"). After 48 hours of training the loss is 2.9 and hardly
    moving. The classmate blames the dataset. You have ten minutes before the next run: find
    what is wrong with the activations, decide what to change and in which order, and predict what
    each change will do before you verify it.

    This notebook rebuilds the network at a smaller scale on synthetic data with 20 classes (30
    features per example, 3,000 examples), so that every experiment takes seconds on a CPU.

    **What is graded.** Four code tasks (10 points, autograded with partial credit) and three
    written answers (8 points, graded by hand). Keep the names the tests use, do not delete cells,
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


    def make_data(n, seed):
        \"\"\"20 classes, 30 features: one Gaussian cloud per class around a fixed center.\"\"\"
        g = torch.Generator().manual_seed(seed)
        centers = 1.2 * torch.randn(20, 30, generator=torch.Generator().manual_seed(7))
        y = torch.randint(0, 20, (n,), generator=g)
        return centers[y] + torch.randn(n, 30, generator=g), y


    X, Y = make_data(3000, seed=0)
    print(f"{len(Y)} examples, {X.shape[1]} features, {int(Y.max()) + 1} classes; "
          f"ln(20) = {math.log(20):.3f}")
    """,
    ),
    md(
        """
    ## Task 1: measure the gradient layer by layer (3 points)

    Write `layer_grad_norms(model, x, y)`: clear the model's gradients, run one forward pass,
    compute `F.cross_entropy(model(x), y)`, backpropagate, and return the L2 norm of the weight
    gradient of every `torch.nn.Linear` in `model`, first layer first, as a list of floats.
    Clearing first matters: calling it twice must give the same numbers.
    """,
        "task1",
    ),
    answer(
        "task1_answer",
        """
    def layer_grad_norms(model, x, y):
        ### BEGIN SOLUTION
        model.zero_grad()
        F.cross_entropy(model(x), y).backward()
        return [float(m.weight.grad.norm()) for m in model.modules()
                if isinstance(m, torch.nn.Linear)]
        ### END SOLUTION
    """,
    ),
    test(
        "task1_test",
        3,
        """
    parts = Parts()
    torch.manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Linear(30, 8), torch.nn.Sigmoid(), torch.nn.Linear(8, 8),
                              torch.nn.Sigmoid(), torch.nn.Linear(8, 20))
    with parts.part("one float per Linear layer", 1):
        got = layer_grad_norms(net, X[:64], Y[:64])
        assert len(got) == 3 and all(isinstance(v, float) for v in got), got
    ### BEGIN HIDDEN TESTS
    hidden_checks("lab3_activation_review", "task1_test")  # checked outside the notebook
    ### END HIDDEN TESTS
    parts.score()
    """,
    ),
    md(
        """
    ## Task 2: the floor that a sigmoid output puts under the loss (2 points)

    `F.cross_entropy` applies a softmax to whatever the network outputs. When the last layer is a
    sigmoid, those outputs lie between 0 and 1, so the softmax can never be confident. Write
    `sigmoid_output_floor(num_classes)`: the smallest cross-entropy reachable when the true
    class's output is 1 and every other output is 0 (the best a sigmoid output can do). Compare it
    with the classmate's 2.9.
    """,
        "task2",
    ),
    answer(
        "task2_answer",
        """
    def sigmoid_output_floor(num_classes):
        ### BEGIN SOLUTION
        return -math.log(math.e / (math.e + num_classes - 1))
        ### END SOLUTION
    """,
    ),
    test(
        "task2_test",
        2,
        """
    parts = Parts()
    with parts.part("20 classes", 1):
        assert abs(sigmoid_output_floor(20) - 2.0782) < 1e-3, sigmoid_output_floor(20)
    ### BEGIN HIDDEN TESTS
    hidden_checks("lab3_activation_review", "task2_test")  # checked outside the notebook
    ### END HIDDEN TESTS
    parts.score()
    """,
    ),
    md(
        """
    ## Task 3: build the network both ways (3 points)

    Write `build_network(hidden="sigmoid", sigmoid_output=True)` returning a `torch.nn.Sequential`:
    8 hidden blocks of `Linear` (30 inputs for the first, 64 units each) followed by the hidden
    activation (`"sigmoid"` or `"relu"`), then `Linear(64, 20)`, then a `Sigmoid` only if
    `sigmoid_output` is true. For ReLU layers use He initialization
    (`torch.nn.init.kaiming_normal_(weight, nonlinearity="relu")`, zero biases); keep PyTorch's
    default initialization for sigmoid layers.
    """,
        "task3",
    ),
    answer(
        "task3_answer",
        """
    def build_network(hidden="sigmoid", sigmoid_output=True):
        ### BEGIN SOLUTION
        layers, width = [], 30
        for _ in range(8):
            linear = torch.nn.Linear(width, 64)
            if hidden == "relu":
                torch.nn.init.kaiming_normal_(linear.weight, nonlinearity="relu")
                torch.nn.init.zeros_(linear.bias)
            layers += [linear, torch.nn.ReLU() if hidden == "relu" else torch.nn.Sigmoid()]
            width = 64
        layers.append(torch.nn.Linear(64, 20))
        if sigmoid_output:
            layers.append(torch.nn.Sigmoid())
        return torch.nn.Sequential(*layers)
        ### END SOLUTION
    """,
    ),
    test(
        "task3_test",
        3,
        """
    parts = Parts()
    with parts.part("9 Linear layers, the right activations and output", 1):
        net = build_network("sigmoid", True)
        kinds = [type(m).__name__ for m in net]
        assert kinds.count("Linear") == 9 and kinds.count("Sigmoid") == 9, kinds
        relu = build_network("relu", False)
        kinds = [type(m).__name__ for m in relu]
        assert kinds.count("ReLU") == 8 and kinds[-1] == "Linear", kinds
    ### BEGIN HIDDEN TESTS
    hidden_checks("lab3_activation_review", "task3_test")  # checked outside the notebook
    ### END HIDDEN TESTS
    parts.score()
    """,
    ),
    code("""
    # The classmate's network: how much gradient reaches each layer? (not graded)
    if "layer_grad_norms" in globals() and "build_network" in globals():
        torch.manual_seed(0)
        norms = layer_grad_norms(build_network("sigmoid", True), X[:512], Y[:512])
        for i, v in enumerate(norms, 1):
            print(f"Linear {i}: {v:.2e}")
        print(f"first / last = {norms[0] / norms[-1]:.1e}")
    """),
    md(
        """
    **W1 (3 points).** *"Your classmate blames the data. Bad data can look exactly like a bad
    architecture. What specific evidence points to the activations rather than the dataset?"*
    Use the brief's numbers and the gradient norms you just measured.
    """,
        "w1_prompt",
    ),
    writeup(
        "w1",
        3,
        """
    **Rubric (3 points).**
    - 1 pt: the loss of 2.9 is close to ln 20 = 3.0, the loss of a uniform guess over 20 classes:
      after 48 hours the model has learned almost nothing, which is what blocked gradients look
      like; noisy labels would still let the training loss fall.
    - 1 pt: cites the measured gradient norms: the first layer's gradient is several orders of
      magnitude below the last layer's (around 1e-6 of it here), since each sigmoid multiplies the
      backward signal by at most 0.25.
    - 1 pt: the sigmoid output confines the scores to (0, 1), so cross-entropy cannot go below
      about 2.08 (Task 2) whatever the data; a data problem would not produce this floor.
    - Mark down: "the dataset is too small" (50,000 examples for 20 classes is plenty for a first
      signal), or blaming only depth without naming the activation's derivative.
    """,
    ),
    md(
        """
    **W2 (3 points). Predict before you run.** You will try two changes, one at a time: (1) ReLU
    in the hidden layers with He initialization, keeping the sigmoid output; (2) also removing the
    output sigmoid so that cross-entropy receives raw scores (logits). Write down, before running
    the next cell, the order you would make them in, why, and roughly what final loss you expect
    after each (use Task 2's floor).
    """,
        "w2_prompt",
    ),
    writeup(
        "w2",
        3,
        """
    **Rubric (3 points).**
    - 1 pt: a justified order, e.g. hidden activations first, since no output fix helps while the
      early layers get no gradient; or the output first because it is a one-line fix, if argued.
    - 1 pt: predicts that ReLU hidden layers make the loss move but stall near the sigmoid floor of
      about 2.08.
    - 1 pt: predicts that logits plus cross-entropy remove the floor and the loss falls far below
      it (well under 1 on this data).
    - Predictions are graded on reasoning, not on matching the measurement; W3 handles the
      comparison. Mark down predictions written after the fact ("as shown above").
    """,
    ),
    md(
        """
    ## Task 4: verify (2 points)

    Run the three configurations for the same short budget. Fill nothing in here except the
    training loop body in `train_briefly` (Adam, lr 1e-3, batches of 128, one loss per step).
    `RESULTS` maps each configuration to the mean loss of its last 10 steps.
    """,
        "task4",
    ),
    answer(
        "task4_answer",
        """
    def train_briefly(model, steps=100, seed=0):
        torch.manual_seed(seed)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        losses = []
        for _ in range(steps):
            idx = torch.randint(0, len(Y), (128,))
            ### BEGIN SOLUTION
            opt.zero_grad()
            loss = F.cross_entropy(model(X[idx]), Y[idx])
            loss.backward()
            opt.step()
            losses.append(loss.item())
            ### END SOLUTION
        return losses


    CONFIGS = {"original": ("sigmoid", True), "relu_hidden": ("relu", True),
               "relu_logits": ("relu", False)}
    CURVES = {}
    for name, (hidden, sig_out) in CONFIGS.items():
        torch.manual_seed(0)
        CURVES[name] = train_briefly(build_network(hidden, sig_out))
    RESULTS = {name: sum(c[-10:]) / 10 for name, c in CURVES.items()}
    for name, value in RESULTS.items():
        print(f"{name:12} final loss {value:.3f}")
    if plt is not None:
        for name, c in CURVES.items():
            plt.plot(c, label=name)
        plt.axhline(sigmoid_output_floor(20), color="gray", ls=":", label="sigmoid-output floor")
        plt.legend()
        plt.xlabel("step")
        plt.ylabel("training loss")
        plt.show()
    """,
    ),
    test(
        "task4_test",
        2,
        """
    parts = Parts()
    with parts.part("three configurations, 100 losses each", 1):
        assert set(RESULTS) == {"original", "relu_hidden", "relu_logits"}, sorted(RESULTS)
        assert all(len(c) == 100 for c in CURVES.values())
    ### BEGIN HIDDEN TESTS
    hidden_checks("lab3_activation_review", "task4_test")  # checked outside the notebook
    ### END HIDDEN TESTS
    parts.score()
    """,
    ),
    md(
        """
    **W3 (2 points).** Compare your predictions from W2 with the measured `RESULTS`. Where were
    you right, where not, and what would you tell the classmate to change first in the real
    48-hour run?
    """,
        "w3_prompt",
    ),
    writeup(
        "w3",
        2,
        """
    **Rubric (2 points).**
    - 1 pt: an honest comparison with the numbers (here: original about 3.0, ReLU hidden with
      sigmoid output stalls near 2.1, the floor; ReLU with logits falls well below 1).
    - 1 pt: an actionable recommendation: ReLU (or GELU) hidden layers with He initialization and
      raw logits into cross-entropy (softmax is implied); sigmoid only for a binary or multi-label
      output. Mentions checking per-layer gradient norms at the start of the next run.
    """,
    ),
]
