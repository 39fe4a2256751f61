"""`rlm-mcp setup` run as a user runs it: the real command, a fresh HOME, a project folder, no `claude` on PATH."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.served import CHECKOUT

INSTALLED = Path(sys.executable).parent / "rlm-mcp"
"""The command `setup` registers when run by this interpreter: the script beside it (an editable install)."""


@dataclass(frozen=True)
class Place:
    """Where a setup run happens: HOME for user-scope files, the project folder it runs in."""

    home: Path
    project: Path


Setup = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def place(tmp_path: Path) -> Place:
    """An empty home and project folder."""
    (tmp_path / "home").mkdir()
    (tmp_path / "project").mkdir()
    return Place(home=tmp_path / "home", project=tmp_path / "project")


@pytest.fixture
def run_setup(place: Place) -> Setup:
    """Runs `python -m rlm_mcp setup ARGS` in the project folder, with HOME there and a PATH without `claude`."""

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {
            "HOME": str(place.home),
            "PATH": os.pathsep.join(["/usr/bin", "/bin"]),
            "PYTHONPATH": str(CHECKOUT),
        }
        done = subprocess.run(
            [sys.executable, "-m", "rlm_mcp", "setup", *args],
            cwd=place.project,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check:
            assert done.returncode == 0, done.stderr
        return done

    return run
