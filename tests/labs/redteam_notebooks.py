"""Hostile notebooks for tests/labs/test_labs_redteam.py: what each student adds to the released
notebook. ``{course}``, ``{marker}``, ``{port}`` are filled in by the test; every attack that
could write tries to create ``{marker}``. Quiz 1's answers stay blank unless a case says
otherwise, so any point it earns beyond ``earned`` is unearned.
"""

from __future__ import annotations

QUIZ = "quiz1_loss"
LAB = "lab1_loss_consultant"

SHELL = [
    "!touch {marker}",
    "%%bash\ntouch {marker}",
    "%system touch {marker}",
    "get_ipython().system('touch {marker}')",
    "import IPython\nIPython.get_ipython().run_cell_magic('bash', '', 'touch {marker}')",
]

PROCESSES = [
    "import os\nprint(os.system('touch {marker}'))",
    "import subprocess\nsubprocess.run(['touch', '{marker}'])",
    "import os\npid = os.fork()\nif pid == 0:\n    open('{marker}', 'w').close()\n    os._exit(0)",
    "import os\nos.posix_spawn('/usr/bin/touch', ['touch', '{marker}'], dict(os.environ))",
    "import multiprocessing\np = multiprocessing.Process(target=open, args=('{marker}', 'w'))\n"
    "p.start()\np.join()",
]

# Reads every protected file it can think of; answers the quiz from the key if it gets it.
KEYS = [
    """
import glob, json, os
stolen = {{}}
for path in ['{course}/keys/quiz1_loss.json', '{course}/graders/lab1_loss_consultant.py',
             '{course}/source/quiz1_loss/quiz1_loss.ipynb', '{course}/gradebook.db',
             '{course}/submitted/ace/quiz1_loss/quiz1_loss.ipynb',
             '{course}/autograded/ace/quiz1_loss/quiz1_loss.ipynb',
             '{course}/nbgrader_config.py', '../../../keys/quiz1_loss.json', '/etc/passwd']:
    try:
        stolen[path] = open(path).read()
    except Exception as exc:
        print('refused:', path, type(exc).__name__)
for pattern in ['{course}/keys/*', '/**/keys/*.json', '../*', '../../*']:
    try:
        stolen.update({{p: open(p).read() for p in glob.glob(pattern, recursive=True)}})
    except Exception as exc:
        print('refused:', pattern, type(exc).__name__)
print(os.environ)
print(stolen)
""",
    """
for text in stolen.values():
    if '"questions"' in text:
        key = json.loads(text)['questions']
        q1, q2, q3, q4, q5 = (key[q]['answer'] for q in ('q1', 'q2', 'q3', 'q4', 'q5'))
""",
]

# Writes into the gradebook (another student's grade), the keys and other students' files;
# opens them to every account (chmod), backdates them (utime) and links to them.
GRADEBOOK = [
    """
import os
for path in ['{course}/gradebook.db', '{course}/keys', '{course}/keys/quiz1_loss.json']:
    for attempt in (lambda: os.chmod(path, 0o4777), lambda: os.utime(path, (0, 0)),
                    lambda: os.setxattr(path, 'user.pwned', b'1'),
                    lambda: os.symlink(path, 'link'), lambda: os.link(path, 'hard')):
        try:
            attempt()
            print('changed', path)
        except OSError as exc:
            print('metadata:', path, type(exc).__name__)
""",
    """
import sqlite3
try:
    db = sqlite3.connect('{course}/gradebook.db')
    db.execute('UPDATE grade SET auto_score = 0')
    db.commit()
except Exception as exc:
    print('gradebook:', type(exc).__name__, exc)
for path in ['{course}/keys/quiz1_loss.json', '{course}/submitted/ace/quiz1_loss/quiz1_loss.ipynb',
             '{course}/autograded/ace/quiz1_loss/quiz1_loss.ipynb', '{course}/graders/evil.py',
             '{course}/MARKER', '{marker}']:
    try:
        open(path, 'w').write('{{"questions": {{}}}}')
    except Exception as exc:
        print('write:', path, type(exc).__name__)
""",
]

# Replaces the grading helpers inside the notebook and answers "A" everywhere.
PATCH = [
    """
import builtins, sys
import descent.labs_grading as grading
grading.check_choice = grading.check_number = lambda *a, **k: None
grading.hidden_checks = lambda *a, **k: None
hidden_checks = check_choice = lambda *a, **k: None
class Parts:
    def part(self, *a):
        import contextlib
        return contextlib.suppress(BaseException)
    def score(self):
        return 5.0
try:
    import descent.labs.hidden_checks as checks
    checks.matches = lambda *a: True
    checks.grade_cell = lambda *a, **k: ('all correct', 5.0)
except Exception as exc:
    print('checks:', type(exc).__name__)
setattr(grading, 'Parts', Parts)
q1 = q2 = q3 = q4 = q5 = 'A'
"""
]

# Answers that claim to equal anything, and a module-level __getattr__.
FAKE_ANSWERS = [
    """
class Always(str):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __hash__(self): return 0
    def strip(self, *a): return self
    def upper(self): return self
    def lower(self): return self
q1 = q2 = q3 = q4 = q5 = Always('A')
"""
]

# Output and metadata forgery are applied to the notebook by the test (see forge()).
FORGERY = ["print('5 of 5 points')\n5.0"]

# These two answer one question right (the test fills in its answer cell): the notebook must
# go on after the kill or the error, and that point is earned.
LOOP = ["while True:\n    pass"]
MEMORY = [
    "x = bytearray(8 << 30)",
    "chunks = []\nwhile True:\n    chunks.append(bytearray(64 << 20))",
    "import torch\ny = torch.empty(1 << 40)",
]
FORKS = [
    """
import os, threading, time
try:
    while True:
        os.fork()
except OSError as exc:
    print('fork:', exc)
threads = []
try:
    for _ in range(3000):
        t = threading.Thread(target=time.sleep, args=(600,), daemon=True)
        t.start()
        threads.append(t)
except Exception as exc:
    print('threads:', len(threads), type(exc).__name__)
"""
]
SIGNALS = [
    """
import os, signal, socket
for attempt in (lambda: os.kill(os.getppid(), signal.SIGKILL), lambda: os.kill(1, signal.SIGTERM),
                lambda: os.kill(-1, signal.SIGKILL)):
    try:
        attempt()
    except Exception as exc:
        print('signal:', type(exc).__name__)
for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
    try:
        s = socket.socket(socket.AF_INET, kind)
        s.connect(('127.0.0.1', {port}))
        s.send(b'LEAK')
    except Exception as exc:
        print('socket:', type(exc).__name__)
"""
]

# Lab 1: classes of its own stand in for the code tasks; every check must see through them.
FAKE_CLASSES = """
import torch
class Anything(float):
    def __eq__(self, other): return True
    def __lt__(self, other): return True
    def __gt__(self, other): return True
    def __sub__(self, other): return Anything(0.0)
    def __rsub__(self, other): return Anything(0.0)
    def __abs__(self): return Anything(0.0)
    def __bool__(self): return True
class Tensorish(torch.Tensor):
    def __eq__(self, other): return True
    def dim(self): return 0
    def allclose(self, *a, **k): return True
class Everything(dict):
    def __getitem__(self, k): return {{'recall': Anything(1.0)}}
    def __contains__(self, k): return True
    def keys(self): return ['plain', 'weighted', 'focal']
def positive_rate(y): return Anything(0.0625)
def pos_weight_for(y): return Anything(15.0)
def focal_loss(logits, targets, gamma=2.0, alpha=None): return Tensorish(torch.zeros(()))
def recall(probs, targets, threshold=0.5): return Anything(0.0)
RESULTS = Everything()
LOSSES = {{}}
"""

# Replaces the worker's cell runner: every later cell answers with a 1 MB exception type and
# 3 MB of "refused" paths (20 such cells made a 100 MB autograded notebook, 624 MB at peak).
FLOOD = [
    """
import sys
_cells = sys.modules["descent.isolation.cells"]


def _flooding(mod, source, _run=_cells.run):
    reply = _run(mod, source)
    reply["error"] = {{"type": "E" * 1_000_000, "msg": "flooded"}}
    reply["refused"] = ["read /" + "p" * 994] * 3000
    return reply


_cells.run = _flooding
"""
] + ["pass"] * 6

SCRIPT = (
    "<script>alert('descent-xss')</script> <img src=x onerror=\"alert('descent-xss')\"> "
    "[click](javascript:alert('descent-xss'))"
)

QUIZ_CASES = {
    "shell": SHELL,
    "procs": PROCESSES,
    "keys": KEYS,
    "gradebook": GRADEBOOK,
    "patch": PATCH,
    "fakeanswers": FAKE_ANSWERS,
    "forgery": FORGERY,
    "injection": [],
    "loop": LOOP,
    "memory": MEMORY,
    "forkbomb": FORKS,
    "signals": SIGNALS,
    "flood": FLOOD,
}

# Lab 1 task 4 without the experiment: every loss is plain BCE, and RESULTS claims the recalls a
# real run of the three losses would show.
CLAIMED_RESULTS = """
LOSSES = {name: (lambda z, t: F.binary_cross_entropy_with_logits(z, t))
          for name in ("plain", "weighted", "focal")}
RESULTS = {"plain": {"recall": 0.1, "precision": 0.9, "accuracy": 0.9, "curve": [0.7, 0.3]},
           "weighted": {"recall": 0.9, "precision": 0.5, "accuracy": 0.8, "curve": [0.9, 0.4]},
           "focal": {"recall": 0.8, "precision": 0.6, "accuracy": 0.8, "curve": [0.2, 0.1]}}
"""
