"""What a grading draws its hidden inputs from: a secret of the course, the test, and the code.

A hidden test draws its inputs (the ``inputs`` fixture, and hypothesis's examples) from a seed
that is a keyed hash (HMAC-SHA256) of the test's id and a digest of the code graded, keyed by
the course's secret (:func:`course_secret`):

* byte-identical code draws identical inputs, so it gets the same points and the same messages
  in every grading, on any machine that holds the secret: ``descent grade``, a batch and its
  ``--regrade``, a Dask worker, the Gradescope autograder built from the kit;
* changed code draws new inputs: an answer read in one grading's feedback belongs to inputs that
  never come back once the code changes to use it. The digest covers every file of the
  submission taken in (:func:`code_digest`), since code may read any of them at run time;
* the student never sees the secret: it is read by the grading process, never handed to the
  confined worker that runs the student's code, and the results record only its fingerprint.

``--input-seed SEED`` draws every test's inputs from SEED and the test's id alone, whatever the
code (to compare two implementations value for value, or to replay a grading recorded with its
seed); ``--input-seed fixed`` gives the kit's per-test seeds (a CRC of the test's id).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import sys
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIXED = "fixed"  # --input-seed fixed: the per-test seeds of the kit (a CRC of the test's id)
ENV = "DESCENT_INPUT_SECRET"  # the course's secret itself, where a file cannot hold it (CI)
SECRET_FILE = Path(".descent") / "input-secret"  # under the kit: the course's grading folder
COURSE = "course:"  # what the results record of a keyed grading: COURSE + the fingerprint
# The secret of the kit's own gradings: the audit's (and its first draw's) and the kit's tests'.
# One value on every machine, so that the generic names the audit records are those the suite
# sees, on the inputs a class draws (keyed to the code).
KIT_SECRET = "audit-draw-1"


class SecretError(Exception):
    """The course's secret cannot be read or created, or an option asks for what cannot be."""


def course_secret(root: Path) -> str:
    """The course's secret: ``$DESCENT_INPUT_SECRET`` when set, else the file
    ``ROOT/.descent/input-secret``, created on first use (a random 256-bit key, readable by its
    owner only). Two gradings that must agree need the same secret: copy the file, or set the
    variable, on every machine that grades the course (docs/explanation/hidden-inputs.md)."""
    value = os.environ.get(ENV, "").strip()
    if value:
        return value
    path = Path(root) / SECRET_FILE
    if not path.exists():
        _create(path)
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretError(f"cannot read the course's input secret {path}: {exc}") from None
    if not text:
        raise SecretError(f"the course's input secret {path} is empty: delete it to make one")
    return text


def _create(path: Path) -> None:
    """Write a fresh secret to ``path`` unless another grading did first: the file appears
    whole or not at all (a hard link of a finished file), so gradings started together agree."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another grading made it meanwhile: use theirs
        finally:
            temporary.unlink()
    except OSError as exc:
        raise SecretError(
            f"cannot create the course's input secret {path}: {exc.strerror or exc}; make "
            f"{path.parent} writable, or set {ENV}"
        ) from None


def fingerprint(secret: str) -> str:
    """A short public name of ``secret`` (two gradings with the same one used the same secret);
    nothing about the secret can be learnt from it."""
    return hashlib.sha256(b"descent input secret\0" + secret.encode()).hexdigest()[:12]


def code_digest(sources: Mapping[str, str], variant: str = "") -> str:
    """A digest of the code graded: every module and helper file taken in (name -> text), and
    for a catalogued variant its name (its code is the reference's with one function changed)."""
    digest = hashlib.sha256()
    for name in sorted(sources):
        for part in (name, sources[name]):
            data = part.encode("utf-8", "surrogatepass")
            digest.update(len(data).to_bytes(8, "big") + data)
    digest.update(b"variant\0" + variant.encode())
    return digest.hexdigest()


def seed_for(name: str, secret: str = "", code: str | None = None) -> int:
    """The seed of the test ``name`` (its id without device and implementation): with no
    ``secret`` a CRC of the id (the kit's fixed seeds); with a ``secret`` and no ``code`` a hash
    of the id keyed by it (``--input-seed SEED``); with both, an HMAC of the id and the code's
    digest keyed by the course's secret (the default)."""
    if not secret:
        return zlib.crc32(name.encode()) & 0x7FFFFFFF
    if code is None:
        digest = hashlib.blake2b(name.encode(), key=secret.encode()[:64], digest_size=4).digest()
    else:
        message = name.encode() + b"\0" + code.encode()
        digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()[:4]
    return int.from_bytes(digest, "big") & 0x7FFFFFFF


@dataclass
class Draws:
    """How one grading draws its inputs: keyed to the code by the course's secret (the
    default), from one seed for every code (``--input-seed SEED``), or the fixed seeds."""

    option: str | None  # --input-seed as given
    root: Path  # where the course's secret is kept (the kit)
    _secret: str | None = None

    @property
    def keyed(self) -> bool:
        """Whether the inputs depend on the code graded (the default: no ``--input-seed``)."""
        return self.option is None

    @property
    def secret(self) -> str:
        if self.option is not None:
            return "" if self.option == FIXED else self.option
        if self._secret is None:  # read on first use: a run that draws nothing needs none
            self._secret = course_secret(self.root)
        return self._secret

    def seed(self, name: str, code: str) -> int:
        return seed_for(name, self.secret, code if self.keyed else None)

    def recorded(self) -> str:
        """What the results record: the seed given, ``fixed``, or the fingerprint of the
        course's secret (never the secret)."""
        if self.option is not None:
            return self.option
        return COURSE + fingerprint(self.secret)


def choose(option: str | None, root: Path) -> Draws:
    """The draws of a grading run from ``root`` with ``--input-seed option`` (None: keyed to
    the code by the course's secret)."""
    if option is not None and option.startswith(COURSE):
        raise SecretError(
            f"--input-seed {option}: that grading drew its inputs from the course's secret and "
            f"its code; grade the same code again without --input-seed to draw them again"
        )
    if option == "":
        raise SecretError("--input-seed needs a value (a word, or 'fixed')")
    return Draws(option, Path(root))


def seed_hypothesis(test: Any, seed: int | None) -> None:
    """Draw a hypothesis test's examples from ``seed`` (its profiles are derandomized: without
    one every grading draws the examples of its source text). ``None`` (the fixed seeds), or a
    test that is not hypothesis's: nothing to do."""
    function = getattr(test, "__func__", test)
    if seed is not None and getattr(function, "is_hypothesis_test", False):
        sys.modules["hypothesis"].seed(seed)(function)


@contextlib.contextmanager
def secret_in_environment(secret: str) -> Iterator[None]:
    """Grade with ``secret`` as the course's secret within the block (the audit's draws)."""
    before = os.environ.get(ENV)
    os.environ[ENV] = secret
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = before
