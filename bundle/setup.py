"""The student bundle's one build step beyond pyproject.toml: a Ctrl-C is one line from the start.

Both ``pip install .`` and ``pip install -e .`` put ``_descent-interrupt.pth`` (kept in
``src/descent/grading/``) at the top of site-packages, where Python runs its line each time it
starts; ``descent.grading.early_interrupt`` says what that line does. pyproject.toml has no way
to place a file there, a build sub-command does. The kit copies this file into the bundle as
``setup.py``; the kit's own checkout has none, so its environment gets no ``.pth``.
"""

import os

from setuptools import Command, setup
from setuptools.command.build import build

# Python reads a site folder's .pth files in the order of their names, and a Ctrl-C during the
# lines before this one is still Python's. The underscore puts it before nearly all others, yet
# after setuptools' __editable__.descent-*.pth, which puts the bundle's src/ on sys.path.
PTH = os.path.join("src", "descent", "grading", "_descent-interrupt.pth")
PTH_NAME = os.path.basename(PTH)


class build_pth(Command):
    """``build``'s last step: the ``.pth`` file beside the packages."""

    description = f"put {PTH_NAME} at the top of what is installed"
    user_options: list = []

    def initialize_options(self):
        self.build_lib = None
        self.editable_mode = False  # set by setuptools' editable_wheel

    def finalize_options(self):
        self.set_undefined_options("build_py", ("build_lib", "build_lib"))

    def run(self):
        self.copy_file(PTH, os.path.join(self._folder(), PTH_NAME))

    def _folder(self):
        # A wheel is made of build_lib. An editable one is not (setuptools keeps the packages in
        # place and drops build_lib): it is made of the folder that `install` installs into.
        if self.editable_mode:
            return self.get_finalized_command("install").install_lib
        return self.build_lib

    def get_outputs(self):
        # in editable mode nothing is in build_lib for setuptools to link to
        return [] if self.editable_mode else [os.path.join(self.build_lib, PTH_NAME)]

    def get_source_files(self):
        return [PTH]


class build_with_pth(build):
    sub_commands = [*build.sub_commands, ("build_pth", None)]


setup(cmdclass={"build": build_with_pth, "build_pth": build_pth})
