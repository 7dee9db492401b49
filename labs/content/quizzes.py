"""Quiz-style assignments: four lesson quizzes, the module test and the chapter checks.

Each question lists its options with the RIGHT ONE FIRST; build_notebooks.py shuffles them and
writes the key to labs/keys/ (never into a notebook). ``right`` is shown in the feedback to a
student who chose correctly; ``wrong`` to one who did not, so it explains the idea without
naming the right option. A question with ``number`` is answered with a number within
``tolerance``.
"""

QUIZ_INTRO = """\
# {title}

{blurb}

How to answer: below each question, put the letter of your choice between the quotes (for
example `qN = "B"`), run that cell, then run the check under it. That cell only checks that you typed one of A, B, C or D;
whether the answer is right is decided when the quiz is graded, and the feedback explains each
question. Each question is worth 1 point.
"""


def _intro(title, blurb):
    return QUIZ_INTRO.format(title=title, blurb=blurb)


QUIZ1 = {
    "assignment": "quiz1_loss",
    "intro": _intro(
        "Lesson 1 quiz: loss",
        "Five questions on what a loss measures, how "
        "the common losses behave, and how to read a loss curve.",
    ),
    "questions": [
        {
            "prompt": "A fraud model is trained with ordinary cross-entropy on transactions of "
            "which 99% are legitimate. It reaches 99.1% accuracy. What is the most "
            "likely problem?",
            "options": [
                "The model has learned to call nearly everything legitimate; accuracy hides "
                "that it misses most fraud, because the loss barely rewarded catching it.",
                "The learning rate is too high, so the model keeps jumping between solutions.",
                "The network is too small to fit a dataset of this size.",
                "Cross-entropy does not work for two classes; the team should switch to MSE.",
            ],
            "right": "With a 1% rare class, a model that always answers with the majority class "
            "is already 99% accurate. Unweighted cross-entropy gives the few fraud "
            "cases little say, so nothing pushes the model to find them.",
            "wrong": "Work out the accuracy of a model that always predicts the majority class "
            "when 99% of the data belongs to it, then ask what the loss rewarded.",
        },
        {
            "prompt": "How does mean squared error treat a large prediction error compared with "
            "a small one?",
            "options": [
                "It grows with the square of the error, so an error ten times larger costs a "
                "hundred times more.",
                "Every error costs the same, whatever its size.",
                "It caps large errors so that outliers have a bounded effect.",
                "It weighs small errors more heavily, to make predictions precise.",
            ],
            "right": "Squaring makes the biggest misses dominate the loss, which pushes training "
            "to fix them first and also makes MSE sensitive to outliers.",
            "wrong": "Compare an error of 1 with an error of 10 after squaring: 1 against 100. "
            "The penalty is not proportional to the error.",
        },
        {
            "prompt": "For the last 20 epochs the training loss has kept falling while the "
            "validation loss has kept rising. What describes this best?",
            "options": [
                "Overfitting: the model fits the training examples ever better but "
                "generalizes worse.",
                "Underfitting: the model needs more capacity.",
                "The learning rate is too low for the model to make progress.",
                "The validation labels must be corrupted.",
            ],
            "right": "A widening gap between the two curves is the signature of memorizing the "
            "training set. Regularization, dropout, early stopping or more data are the "
            "usual answers.",
            "wrong": "Look at the two curves separately: the model is still improving on the data "
            "it trains on and getting worse on data it has not seen. What does that "
            "split mean?",
        },
        {
            "prompt": "Thinking of the loss as a landscape, what is a saddle point?",
            "options": [
                "A place where the gradient is zero but the loss goes up along some directions "
                "and down along others, so it is not a minimum.",
                "The lowest point of the whole landscape.",
                "A cliff where the loss suddenly jumps to very large values.",
                "A narrow valley that every direction climbs out of.",
            ],
            "right": "The slope vanishes there, so plain gradient descent can stall even though "
            "lower ground is nearby; momentum helps carry the parameters through.",
            "wrong": "Picture a horse saddle: flat at the center, curving up front to back and "
            "down side to side. Is that a minimum?",
        },
        {
            "prompt": "Which prediction does cross-entropy punish most severely?",
            "options": [
                "A confident prediction of the wrong class.",
                "A hesitant prediction of the right class.",
                "A confident prediction of the right class.",
                "Any prediction close to 50%, right or wrong.",
            ],
            "right": "The loss is minus the log of the probability given to the true class; when "
            "that probability nears zero, the loss grows without bound.",
            "wrong": "Evaluate -log(p) for the probability p given to the true class: what happens "
            "when p is 0.01 rather than 0.5?",
        },
    ],
}

QUIZ2 = {
    "assignment": "quiz2_backprop",
    "intro": _intro(
        "Lesson 2 quiz: backpropagation",
        "Five questions on what backpropagation "
        "computes and how to act on the gradients it produces.",
    ),
    "questions": [
        {
            "prompt": "In neural network training, what is the credit assignment problem?",
            "options": [
                "Working out how much each weight contributed to the error, and in which "
                "direction it should change.",
                "Deciding which training examples should count more in the loss.",
                "Choosing which layer should get the largest learning rate.",
                "Giving labels to the unlabeled part of a dataset.",
            ],
            "right": "Blame for a wrong output has to be shared among many weights, most of them "
            "far from the output; backpropagation traces it back with the chain rule.",
            "wrong": "The problem is about accountability inside the network: which parameters "
            "caused the mistake, and by how much.",
        },
        {
            "prompt": "The loss printed every 100 steps has become NaN. Which gradient problem is "
            "the most likely cause?",
            "options": [
                "Exploding gradients.",
                "Vanishing gradients.",
                "Dead ReLU units.",
                "Overfitting.",
            ],
            "right": "Huge gradients make huge updates, the values overflow and arithmetic turns "
            "into NaN. Gradient clipping or a smaller learning rate are the first fixes.",
            "wrong": "NaN means the numbers overflowed. Which problem makes values grow, rather "
            "than shrink or stop changing?",
        },
        {
            "prompt": "Why does the chain rule make backpropagation affordable?",
            "options": [
                "It expresses every gradient as a product of local derivatives that one "
                "backward pass computes once and reuses, instead of a separate computation per "
                "weight.",
                "It removes the need for a forward pass.",
                "It guarantees that the loss surface is convex.",
                "It estimates each derivative by nudging one weight at a time.",
            ],
            "right": "Nudging weights one at a time would need a forward pass per weight. The "
            "chain rule shares the intermediate results, so all gradients cost about "
            "one extra pass.",
            "wrong": "Think about the cost: with millions of weights, what would a separate "
            "measurement for each one require, and what does the chain rule let us "
            "share?",
        },
        {
            "prompt": "After a backward pass, one weight has a large positive gradient. What "
            "should the optimizer do with it?",
            "options": [
                "Decrease it, by the learning rate times the gradient.",
                "Increase it, by the learning rate times the gradient.",
                "Leave it alone, since large gradients are mostly noise.",
                "Reset it to zero.",
            ],
            "right": "A positive gradient says the loss rises as the weight rises, so the update "
            "w - lr * grad moves it down.",
            "wrong": "The gradient points uphill on the loss surface; gradient descent steps the "
            "other way.",
        },
        {
            "prompt": "Marcus's price model has a loss that swings up and down without settling. "
            "Backpropagation is implemented correctly. What is the most likely single "
            "cause?",
            "options": [
                "The learning rate is too high.",
                "The learning rate is too low.",
                "The network has too few layers.",
                "The dataset is too small.",
            ],
            "right": "Steps that are too big overshoot the minimum and bounce across it. Dividing "
            "the learning rate by ten is a cheap first test.",
            "wrong": "Large swings mean each update overshoots. Which setting decides how far "
            "each update goes?",
        },
    ],
}

QUIZ3 = {
    "assignment": "quiz3_activations",
    "intro": _intro(
        "Lesson 3 quiz: activations and vanishing gradients",
        "Five questions on why activations exist and which ones let deep networks train.",
    ),
    "questions": [
        {
            "prompt": "Kezia adds ten more layers to a model that uses sigmoid activations "
            "everywhere, and the results do not improve at all. What is the most likely "
            "explanation?",
            "options": [
                "Gradients vanish: each sigmoid multiplies the backward signal by at most "
                "0.25, so the early layers barely learn.",
                "The extra parameters make the model overfit.",
                "Sigmoid is too slow to compute for a deep network.",
                "Deeper models always need more data than she has.",
            ],
            "right": "The product of many factors no larger than 0.25 shrinks fast, so the first "
            "layers get almost no update and the added depth is wasted.",
            "wrong": "Look at the largest value the sigmoid's derivative can take, and multiply "
            "it across ten layers.",
        },
        {
            "prompt": "Why did ReLU fix the vanishing gradients that sigmoid and tanh suffer from?",
            "options": [
                "Its derivative is exactly 1 for every positive input, so gradients pass "
                "through active units without shrinking.",
                "Its output always lies between 0 and 1.",
                "It is smooth everywhere, unlike sigmoid.",
                "It centers each layer's outputs on zero.",
            ],
            "right": "tanh reaches a slope of 1 only at zero and sigmoid never exceeds 0.25, but "
            "ReLU keeps a slope of 1 over the whole positive range.",
            "wrong": "Compare the slopes: sigmoid at most 0.25, tanh 1 only at the origin. What "
            "slope does ReLU have where it is active?",
        },
        {
            "prompt": "After 5 epochs, 40% of the units in your ReLU network output exactly zero "
            "for every sample. What does this most likely indicate?",
            "options": [
                "Dying ReLU: those units get only negative inputs, so they receive no gradient "
                "and never recover.",
                "Vanishing gradients caused by sigmoid saturation.",
                "Overfitting to the training set.",
                "Exploding gradients.",
            ],
            "right": "A unit whose pre-activation is always negative outputs zero and passes back "
            "zero gradient, so it stays off. Leaky ReLU, better initialization or a lower "
            "learning rate prevent it.",
            "wrong": "Exactly zero on every sample means the unit is switched off, not just weak. "
            "What does ReLU pass backward when its input is negative?",
        },
        {
            "prompt": "What is the main reason a neural network needs activation functions at all?",
            "options": [
                "Without them any stack of layers reduces to one linear map, whatever its depth.",
                "They make training faster on GPUs.",
                "They keep every output between 0 and 1.",
                "They prevent overfitting.",
            ],
            "right": "Composing linear maps gives a linear map. The nonlinearity between layers is "
            "what lets depth represent curved boundaries and interactions.",
            "wrong": "Multiply two matrices together: what kind of function do you get, and what "
            "would that mean for a deep stack of linear layers?",
        },
        {
            "prompt": "You are building a binary spam classifier. Where does sigmoid belong?",
            "options": [
                "At the output, to turn a score into a probability; hidden layers should use "
                "ReLU or GELU.",
                "In every layer, hidden and output.",
                "In the hidden layers only, with ReLU at the output.",
                "Nowhere: modern networks never use it.",
            ],
            "right": "At the output sigmoid gives a probability and no further layers depend on "
            "its slope; in hidden layers it brings back vanishing gradients.",
            "wrong": "Sigmoid is not obsolete, it is misplaced when used in hidden layers. Where "
            "do you need a probability, and where does its small slope hurt?",
        },
    ],
}

QUIZ4 = {
    "assignment": "quiz4_optimizers",
    "intro": _intro(
        "Lesson 4 quiz: optimizers and learning rates",
        "Five questions on choosing and tuning an optimizer for a real project.",
    ),
    "questions": [
        {
            "prompt": "Jordan's model trains without trouble but settles at mediocre quality: "
            "Adam, lr=0.001, 50 epochs, no schedule. What is the most defensible first "
            "experiment?",
            "options": [
                "Lower the learning rate tenfold and train a few more epochs.",
                "Switch to SGD and retune every hyperparameter.",
                "Double the size of the model.",
                "Raise the learning rate to escape the current minimum.",
            ],
            "right": "A learning rate that is still too large can keep the parameters circling "
            "a better point. A short run at a tenth of it is cheap and tells you whether "
            "that is the issue.",
            "wrong": "The model reaches a solution but cannot refine it. Pick the change that "
            "tests one cause cheaply instead of changing many things at once.",
        },
        {
            "prompt": "What does Adam's second moment estimate v do that SGD with momentum does "
            "not?",
            "options": [
                "It scales each parameter's step by a running average of its squared "
                "gradients, giving every parameter its own effective learning rate.",
                "It accumulates the direction of past gradients.",
                "It adds weight decay to the update.",
                "It corrects the bias of the first moment and nothing else.",
            ],
            "right": "The first moment is the momentum part; the second moment divides each step "
            "by the typical size of that parameter's gradient, which is what makes Adam "
            "adaptive.",
            "wrong": "Momentum already averages the direction. The second moment is about the "
            "size of the gradients, tracked per parameter.",
        },
        {
            "prompt": "You are reproducing a vision paper that trained with SGD and momentum. "
            "Should you use Adam instead for the reproduction?",
            "options": [
                "No: keep the paper's optimizer and schedule, because they shape the solution "
                "reached; try Adam afterwards as a separate experiment.",
                "Yes: Adam is better than SGD in every case.",
                "Yes: Adam converges faster, so the result can only match or improve.",
                "It makes no difference, because the optimizer only changes the speed.",
            ],
            "right": "Different optimizers can settle in different places of the landscape, and "
            "tuned SGD often generalizes better on images. Reproduce first, change one "
            "thing later.",
            "wrong": "The optimizer is part of the experiment, not a detail: it affects where "
            "training ends up, not only how fast.",
        },
        {
            "prompt": "Why does a much larger batch usually call for a larger learning rate?",
            "options": [
                "A gradient averaged over more samples is less noisy, so a longer step in its "
                "direction is safe (roughly: batch times k, learning rate times k).",
                "A larger batch makes the loss value larger, so gradients must be scaled up.",
                "Large batches overfit, and a high learning rate counteracts that.",
                "To keep the number of optimizer steps per epoch constant.",
            ],
            "right": "This is the linear scaling rule used in large distributed training: a more "
            "reliable direction allows a bigger step.",
            "wrong": "Think about the quality of the gradient estimate as the batch grows, and "
            "what a more trustworthy direction allows.",
        },
        {
            "prompt": "What is the main purpose of a warmup phase at the start of training with "
            "Adam?",
            "options": [
                "Early on, the second-moment estimates rest on very few gradients and can make "
                "steps erratic and too large; a small learning rate keeps them safe until the "
                "averages settle.",
                "To make the first epochs faster.",
                "To stop the model from overfitting during the first epoch.",
                "To give batch normalization time to collect its statistics.",
            ],
            "right": "With little history, the denominator of Adam's update can be tiny and the "
            "step huge. Warmup keeps those first steps small; transformer recipes almost "
            "always include it.",
            "wrong": "Look at what Adam divides by, and how much history that running average "
            "has after only a few steps.",
        },
    ],
}

MODULE_TEST = {
    "assignment": "module_test",
    "intro": _intro(
        "Module test",
        "Fifteen questions covering the four lessons. The pass mark "
        "is 80%, that is 12 of the 15 points.",
    ),
    "questions": [
        {
            "prompt": 'On a fraud dataset with a 1% fraud rate, a model answers "legitimate" '
            "for every transaction and scores 99% accuracy. What is the core issue?",
            "options": [
                "Class imbalance combined with an unweighted loss: the model games accuracy by "
                "ignoring the rare class.",
                "The architecture is too shallow.",
                "The learning rate is too high.",
                "The model was trained for too few epochs.",
            ],
            "right": "The loss never gave the 1% enough weight to matter, so ignoring it was the "
            "cheapest way to a low loss. This is a loss design problem.",
            "wrong": "Ask what the loss rewarded: 99% of the examples are answered correctly by "
            "a constant prediction.",
        },
        {
            "prompt": "Which loss is the usual choice for regression, and why does it amplify "
            "large errors?",
            "options": [
                "Mean squared error, because it squares each error.",
                "Cross-entropy, because it takes a logarithm.",
                "Mean absolute error, because it takes absolute values.",
                "Hinge loss, because it adds a margin.",
            ],
            "right": "Squaring makes an error ten times larger cost a hundred times more, so the "
            "worst predictions dominate.",
            "wrong": "Which of these losses grows faster than linearly with the error?",
        },
        {
            "prompt": "A run ends with a training loss of 0.08 next to a validation loss of 2.4. "
            "What is the most probable explanation?",
            "options": [
                "Overfitting.",
                "Underfitting.",
                "A learning rate that is too low.",
                "Vanishing gradients.",
            ],
            "right": "The model fits its training set very well and new data poorly: it learned "
            "the examples rather than the pattern.",
            "wrong": "The size of the gap is the clue: very good on seen data, poor on unseen "
            "data.",
        },
        {
            "prompt": "Which problem does backpropagation solve?",
            "options": [
                "Credit assignment: how much each weight contributed to the loss.",
                "Choosing the learning rate.",
                "Finding the global minimum of the loss.",
                "Deciding how many layers the network needs.",
            ],
            "right": "It follows the loss back through the computation graph with the chain "
            "rule, giving every weight its share of the blame.",
            "wrong": "Backpropagation produces gradients. What question about the weights do "
            "gradients answer?",
        },
        {
            "prompt": "Backpropagation depends on the chain rule. What does the chain rule make "
            "possible?",
            "options": [
                "All gradients to be computed in one backward sweep that reuses intermediate "
                "results.",
                "The forward pass to be skipped.",
                "Gradients to be estimated with random perturbations.",
                "The loss to become convex.",
            ],
            "right": "Local derivatives are combined and shared, so one sweep yields every "
            "gradient instead of one computation per weight.",
            "wrong": "The point is reuse: what would it cost to get each weight's gradient "
            "separately?",
        },
        {
            "prompt": "After backpropagation a weight has a large negative gradient. The "
            "optimizer should:",
            "options": [
                "Increase the weight.",
                "Decrease the weight.",
                "Leave the weight unchanged.",
                "Set the weight to zero.",
            ],
            "right": "The update is w - lr * grad; subtracting a negative number makes w larger, "
            "which is the downhill direction.",
            "wrong": "Write out w - lr * grad with a negative grad and see which way w moves.",
        },
        {
            "prompt": "Why can a network without activation functions not represent complex "
            "patterns, however deep it is?",
            "options": [
                "A composition of linear layers is itself a single linear layer.",
                "Without activations the gradients explode.",
                "Without activations the weights cannot be initialized randomly.",
                "Without activations the loss cannot be computed.",
            ],
            "right": "All the layers collapse into one matrix and one bias, so extra depth adds "
            "nothing.",
            "wrong": "It is linear algebra: what do you get when you compose linear functions?",
        },
        {
            "prompt": "Deep sigmoid networks suffered from vanishing gradients; ReLU networks much "
            "less. Which property of ReLU makes the difference?",
            "options": [
                "A derivative of exactly 1 for positive inputs.",
                "An output bounded between 0 and 1.",
                "A derivative of at most 0.25.",
                "Smoothness at zero.",
            ],
            "right": "A slope of 1 multiplied over many layers stays 1; sigmoid's slope of at "
            "most 0.25 multiplied over many layers heads to zero.",
            "wrong": "Compare the slopes the two functions pass backward, compounded over many "
            "layers.",
        },
        {
            "prompt": "After 10 epochs, 35% of the units in your ReLU network output exactly zero "
            "on every sample. What is this called and what causes it?",
            "options": [
                "Dying ReLU: pre-activations stuck below zero, so no gradient reaches those units.",
                "Vanishing gradients caused by saturation at large inputs.",
                "Overfitting caused by too many parameters.",
                "Exploding gradients caused by a high learning rate.",
            ],
            "right": "A unit that only sees negative inputs outputs zero and gets zero gradient, "
            "so it never recovers. Leaky ReLU keeps a small slope for negative inputs.",
            "wrong": "Exactly zero on every sample points to units that are switched off. What "
            "gradient does ReLU pass back for negative inputs?",
        },
        {
            "prompt": "Which activation do modern transformers such as GPT use in their hidden "
            "layers?",
            "options": [
                "GELU.",
                "Sigmoid.",
                "tanh.",
                "Softmax.",
            ],
            "right": "BERT and the GPT family use GELU, a smooth relative of ReLU; some models use "
            "the related SiLU (Swish).",
            "wrong": "Look for the smooth variant of ReLU that became the default in language "
            "models.",
        },
        {
            "prompt": "Vanilla gradient descent uses the whole dataset for every update. What is "
            "the main practical problem with that?",
            "options": [
                "Every single update costs a full pass over the data, which is far too slow "
                "at realistic dataset sizes.",
                "The gradient it computes is biased.",
                "It cannot be used with cross-entropy.",
                "It always overfits.",
            ],
            "right": "With a million samples, one step needs a million forward passes; mini-batches "
            "of 64 give thousands of steps for the same work.",
            "wrong": "Count the computation spent per weight update.",
        },
        {
            "prompt": "Adam keeps a first moment estimate m. What is it, and which problem does it "
            "address?",
            "options": [
                "A running average of recent gradients (momentum), which smooths noisy "
                "directions and speeds up consistent ones.",
                "A running average of squared gradients, which scales each step.",
                "The weight decay coefficient.",
                "The learning-rate schedule.",
            ],
            "right": "m is the momentum part of Adam; the running average of squared gradients is "
            "the second moment v.",
            "wrong": "Adam keeps two averages: one of the gradients and one of their squares. "
            "Which is the first?",
        },
        {
            "prompt": "When is SGD with momentum likely to do better than Adam?",
            "options": [
                "On image classification with careful learning-rate tuning and scheduling, where "
                "it often generalizes better.",
                "On any small dataset.",
                "Whenever there is little time to tune.",
                "Never: Adam is better in every case.",
            ],
            "right": "Many well-known vision models were trained with tuned SGD: Adam gets to a "
            "good result sooner, tuned SGD can end at a better one.",
            "wrong": "Think about which field kept SGD for final training runs, and what it costs "
            "in tuning time.",
        },
        {
            "prompt": "The loss becomes NaN after three training steps. What is the most likely "
            "cause?",
            "options": [
                "Exploding gradients from a too-large learning rate or a bad initialization.",
                "Vanishing gradients.",
                "Overfitting.",
                "A batch size that is too large.",
            ],
            "right": "The values overflowed. Clip the gradients and lower the learning rate; check "
            "the initialization too.",
            "wrong": "NaN comes from overflow. Which problem makes numbers grow rather than "
            "shrink?",
        },
        {
            "prompt": "A pretrained ResNet-50 is being adapted to a new set of medical images. "
            "Which learning-rate plan fits this fine-tuning job?",
            "options": [
                "A low learning rate with warmup, so the pretrained features adapt without "
                "being destroyed.",
                "The same learning rate that was used for pretraining.",
                "A high learning rate to move quickly away from the pretrained weights.",
                "A learning rate that increases steadily during training.",
            ],
            "right": "The pretrained weights already encode useful features; small, gently "
            "started steps adapt them instead of overwriting them.",
            "wrong": "Fine-tuning starts from weights worth keeping. What happens to them under "
            "large updates?",
        },
    ],
}

CHAPTER_CHECKS = {
    "assignment": "chapter_checks",
    "intro": _intro(
        "Chapter checks",
        "Questions on every section of the textbook chapter, "
        "from what machine learning does to the diagnostics of a training run. The "
        "last question asks for a number instead of a letter.",
    ),
    "questions": [
        {
            "prompt": "(Section 1, what machine learning does) Why do we learn a cat detector from "
            "examples instead of writing its rules by hand?",
            "options": [
                "Nobody can state the rule in terms of raw pixel values, so we let a model "
                "find it from labeled examples.",
                "Hand-written rules run too slowly on images.",
                "Rules cannot be written in Python.",
                "Learned models never make mistakes.",
            ],
            "right": "We recognize cats by intuition but cannot write that intuition down as "
            "conditions on pixels; labeled data lets training find the function.",
            "wrong": "Try writing the rule: which pixel values make a cat? The difficulty is in "
            "stating it, not in running it.",
        },
        {
            "prompt": "(Section 2, definitions) What separates a parameter from a hyperparameter?",
            "options": [
                "Parameters are learned from data during training; hyperparameters are chosen "
                "before training and training leaves them unchanged.",
                "Parameters belong to the output layer; hyperparameters to hidden layers.",
                "Hyperparameters are learned more slowly than parameters.",
                "There is no difference; the words are synonyms.",
            ],
            "right": "Weights and biases are parameters; the learning rate or the number of "
            "layers are hyperparameters you set by hand.",
            "wrong": "Ask who sets the value: the training procedure, or you before it starts?",
        },
        {
            "prompt": "(Section 3, building a neuron) A neuron adds a bias to its weighted sum. What "
            "can it do thanks to the bias?",
            "options": [
                "Shift its output independently of the inputs, so it is not forced to zero "
                "when every input is zero.",
                "Multiply all of its inputs by the same factor.",
                "Make the neuron nonlinear.",
                "Keep its weights from growing too large.",
            ],
            "right": "The bias sets the neuron's default leaning, in effect its threshold.",
            "wrong": "Set every input to zero: what can the weighted sum output then, and what "
            "could an added constant change?",
        },
        {
            "prompt": "(Section 4, nonlinearity) What do two linear layers stacked without an "
            "activation between them amount to?",
            "options": [
                "A single linear layer, so the second layer adds nothing.",
                "A quadratic function of the input.",
                "A network that can fit any function.",
                "A layer that always outputs probabilities.",
            ],
            "right": "The product of two linear maps is linear, so depth pays off only with a "
            "nonlinearity between the layers.",
            "wrong": "Write W2 (W1 x + b1) + b2 out: what form does it have?",
        },
        {
            "prompt": "(Section 5, from a neuron to a network) What does one row of a layer's "
            "weight matrix hold?",
            "options": [
                "The weights of one neuron.",
                "The weights from one input to all neurons.",
                "The biases of the layer.",
                "The outputs of the layer for one example.",
            ],
            "right": "Multiplying W by the input takes each row's dot product with it, which is "
            "each neuron's weighted sum, all at once.",
            "wrong": "W has one row per neuron and one column per input. What does a dot product "
            "of one row with the input compute?",
        },
        {
            "prompt": "(Section 6, the loss) A model is 99% sure of the wrong class. Why is its "
            "cross-entropy loss so large?",
            "options": [
                "It is minus the log of the probability given to the right class, which grows "
                "without bound as that probability goes to zero.",
                "It squares the error before averaging.",
                "It counts every wrong answer as exactly one unit of loss.",
                "It adds a penalty on large weights.",
            ],
            "right": "-log(p) rises steeply as p shrinks, so near-certainty in a wrong class is "
            "extremely expensive.",
            "wrong": "Look at -log(p) for the true class as p approaches zero.",
        },
        {
            "prompt": "(Section 7, gradient descent) What happens when the learning rate is set "
            "too large?",
            "options": [
                "The steps overshoot the bottom of the valley, so the parameters bounce across "
                "it or diverge.",
                "Training converges to the same point, only faster.",
                "The gradients vanish.",
                "The model underfits but stays stable.",
            ],
            "right": "Each step lands on the far side of the minimum, possibly higher than "
            "before, and the loss can fly off to infinity.",
            "wrong": "Picture steps much wider than the valley. Where do they land?",
        },
        {
            "prompt": "(Section 7, gradient descent) A linear regression with squared error can "
            "be fitted in one step, by solving the normal equations (X^T X) w = X^T y. "
            "Why are neural networks trained by gradient descent instead?",
            "options": [
                "With nonlinear layers the gradient is no longer linear in the weights, so "
                "setting it to zero gives no system anyone can solve: the only way down is "
                "one step at a time.",
                "The normal equations always give a less accurate answer than gradient descent.",
                "The normal equations only work on one mini-batch at a time.",
                "Gradient descent needs no learning rate, unlike the normal equations.",
            ],
            "right": "For a linear model the squared error is a quadratic bowl, and its lowest "
            "point solves a linear system (factorize X^T X or X, never invert). Stack "
            "a nonlinearity between layers and that system disappears; what remains is "
            "to follow the gradient.",
            "wrong": "Why is the zero-gradient condition of linear regression a linear system, "
            "and what happens to it once an activation sits between two layers?",
        },
        {
            "prompt": "(Section 8, backpropagation) Why compute a layer's error signal (delta) "
            "before that layer's weight gradients?",
            "options": [
                "Every weight and bias gradient of the layer follows directly from delta (the "
                "weight gradient is delta times the incoming activation), so it is computed "
                "once and reused.",
                "Delta is needed to run the forward pass.",
                "Weight gradients must be computed in random order.",
                "Delta replaces the need for a loss function.",
            ],
            "right": "Tracking delta is the bookkeeping that avoids recomputing shared work for "
            "each weight.",
            "wrong": "What do all the weight gradients of one layer have in common, and how often "
            "should that common part be computed?",
        },
        # Residual connections and gradient checkpointing
        {
            "prompt": "(Section 8, backpropagation) The first layers of a 30-layer sigmoid "
            "network barely change during training. Giving every block a skip "
            "connection, y = x + f(x), fixes this. Why?",
            "options": [
                "Backpropagating through y = x + f(x) hands the upstream gradient to x "
                "unchanged, plus the branch's share, so early layers get a signal that does "
                "not shrink from layer to layer.",
                "Skip connections remove the activation functions, so the network becomes linear.",
                "Skip connections double the learning rate of the early layers.",
                "The skip stops gradients from entering the branch, so only the early layers "
                "learn.",
            ],
            "right": "The derivative of x + f(x) with respect to x is 1 plus the branch's "
            "derivative: the identity path carries the gradient back intact, however "
            "small the branch's factors are.",
            "wrong": "Differentiate y = x + f(x) with respect to x. What is left when the "
            "derivative of f is tiny?",
        },
        {
            "prompt": "(Section 8, backpropagation) A 64-layer model runs out of memory while "
            "training but not while predicting. With gradient checkpointing every 8 "
            "layers, what does the run trade?",
            "options": [
                "It keeps only 8 of the 64 layer inputs and rebuilds the others during the "
                "backward pass: much less memory for about one extra forward pass of compute.",
                "It writes a copy of the model to disk every 8 layers.",
                "It skips the gradients of 7 layers out of 8, training faster but less accurately.",
                "It stores the activations in lower precision.",
            ],
            "right": "The backward pass reads every layer's input. Keeping every 8th and "
            "recomputing the rest one segment at a time gives exactly the same gradients "
            "with far fewer activations held at once.",
            "wrong": "Why does training need more memory than prediction? Think about what the "
            "backward pass needs from the forward pass.",
        },
        {
            "prompt": "(Section 9, optimizers) Which problem of plain SGD does momentum solve?",
            "options": [
                "Zig-zagging across a narrow ravine: momentum builds speed along the consistent "
                "downhill direction while the sideways swings cancel.",
                "It chooses a separate learning rate for each parameter.",
                "It removes the need for a learning rate.",
                "It prevents overfitting.",
            ],
            "right": "Averaging past steps keeps the parts that agree and cancels the parts that "
            "flip sign, so progress along the floor of the ravine speeds up.",
            "wrong": "Picture a long, narrow valley with steep walls: what does plain SGD do there, "
            "and what does accumulating past steps change?",
        },
        {
            "prompt": "(Section 9, schedules) A run watches its validation loss with a "
            "reduce-on-plateau schedule (patience 5, factor 0.5). The loss has not "
            "improved for 6 epochs in a row. What happens to the learning rate?",
            "options": [
                "It is halved, and the count of epochs without improvement starts again from zero.",
                "Nothing: the schedule only acts on a fixed step count, like step decay.",
                "It is reset to its starting value to escape the plateau.",
                "It is halved every epoch from now on, whatever the loss does.",
            ],
            "right": "Patience 5 tolerates five flat epochs; the sixth triggers one cut by the "
            "factor, then the counter restarts. Unlike step or one-cycle schedules, it "
            "reacts to the measured loss, not to the step number.",
            "wrong": "This schedule watches a metric and counts epochs without improvement. What "
            "does it do once that count passes the patience, and what happens to the "
            "count afterwards?",
        },
        {
            "prompt": "(Section 10, regularization) Training loss keeps falling while validation "
            "loss has started rising. What is happening, and what helps?",
            "options": [
                "Overfitting; regularize (L2, dropout), collect more data, use a smaller model "
                "or end training sooner.",
                "Underfitting; train a larger model for longer.",
                "A learning rate that is too small; raise it.",
                "Exploding gradients; clip them.",
            ],
            "right": "The model memorizes the training set; every listed remedy narrows the gap "
            "between seen and unseen data.",
            "wrong": "The model improves on data it has seen and worsens on data it has not. "
            "What is that called?",
        },
        # Mixup
        {
            "prompt": "(Section 10, regularization) With mixup, one training input is 70% of a "
            "cat photo blended with 30% of a dog photo. Which target does the network "
            "learn from for it?",
            "options": [
                "70% cat and 30% dog: the labels are blended with the same weight as the inputs.",
                "Cat, the larger share.",
                "Dog, so the network practises the harder class.",
                "None: blended inputs are used without labels.",
            ],
            "right": "Mixup blends pairs of examples and their labels with one shared weight. "
            "Training on such in-between points discourages overconfident, abrupt "
            "decision boundaries.",
            "wrong": "The input is a blend of two examples. Which target describes it honestly?",
        },
        {
            "prompt": "(Section 11, normalization and initialization) Why is it a bad idea to "
            "initialize all the weights to zero?",
            "options": [
                "Every neuron of a layer computes the same thing and gets the same gradient, so "
                "they stay identical and the layer acts like a single neuron.",
                "Zero weights make the loss NaN.",
                "Zero weights make the gradients explode.",
                "Zero weights make the model overfit.",
            ],
            "right": "Nothing breaks the symmetry between the neurons, so they never specialize. "
            "Random initialization, scaled to the layer size (Xavier, He), fixes it.",
            "wrong": "If two neurons start with the same weights and see the same input, how do "
            "their gradients compare?",
        },
        # K-fold cross-validation
        {
            "prompt": "(Section 12, diagnostics) You have 500 labeled examples. Why run 5-fold "
            "cross-validation instead of trusting a single 80/20 split?",
            "options": [
                "Each example is held out exactly once, and the average of five validation "
                "scores is steadier than one score on 100 examples that may be a lucky or "
                "unlucky draw.",
                "It trains five times faster than one split.",
                "It lets the model be validated on the examples it trained on.",
                "It guarantees that the final model cannot overfit.",
            ],
            "right": "A score on 100 examples is noisy. Rotating which fifth is held out uses "
            "every example for validation without ever scoring a model on data it "
            "trained on.",
            "wrong": "How much can a score on only 100 examples move by chance, and how could "
            "every example take a turn in the held-out set?",
        },
        {
            "prompt": "(Section 12, diagnostics) A sanity check before training: a freshly "
            "initialized 10-class classifier predicts close to uniform probabilities. "
            "What cross-entropy loss do you expect on the first batch? Give the value "
            "to two decimals.",
            "number": 2.302585,
            "tolerance": 0.01,
            "right": "Uniform predictions give each class probability 1/10, so the loss is "
            "-log(1/10) = ln 10, about 2.30. A first loss far from it points at the loss "
            "or the labels.",
            "wrong": "With uniform predictions the true class gets probability 1/C. Take minus "
            "the natural log of that.",
        },
    ],
}

ALL = [QUIZ1, QUIZ2, QUIZ3, QUIZ4, MODULE_TEST, CHAPTER_CHECKS]
