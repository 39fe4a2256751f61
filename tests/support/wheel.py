"""rlm-mcp as a user installs it: the wheel built from this checkout, in a fresh virtual environment.

The venv sees the system site-packages so the dependencies resolve offline, but rlm_mcp itself
comes from the wheel (checked), and commands run from outside the checkout.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class InstalledWheel:
    """A venv with the wheel installed: the wheel file and the venv's `rlm-mcp` and `python`."""

    wheel: Path
    venv: Path

    @property
    def command(self) -> Path:
        return self.venv / "bin" / "rlm-mcp"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


def _run(*command: str | Path, cwd: Path) -> None:
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed:\n{completed.stdout}\n{completed.stderr}")


def install_wheel(folder: Path) -> InstalledWheel:
    """Build the wheel of this checkout into `folder` and install it into a new venv there."""
    wheels = folder / "wheels"
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", wheels, CHECKOUT, cwd=folder)
    (wheel,) = wheels.glob("rlm_mcp-*.whl")
    installed = InstalledWheel(wheel=wheel, venv=folder / "venv")
    _run(sys.executable, "-m", "venv", "--system-site-packages", installed.venv, cwd=folder)
    # --force-reinstall: the system site-packages may hold an editable rlm-mcp of the same version.
    _run(installed.python, "-m", "pip", "install", "--no-deps", "--force-reinstall", "--quiet", wheel, cwd=folder)
    imported = subprocess.run(
        [installed.python, "-c", "import rlm_mcp; print(rlm_mcp.__file__)"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not imported.startswith(str(installed.venv)):
        raise RuntimeError(f"the venv imports rlm_mcp from {imported}, not from the wheel")
    return installed
