"""Where the sandbox runtime (the stdlib-only `sandbox/` folder) and its Dockerfile are."""

from __future__ import annotations

from pathlib import Path

from rlm_mcp.errors import SandboxUnavailable

_PACKAGE = Path(__file__).resolve().parent
_CANDIDATES = (_PACKAGE / "_sandbox", _PACKAGE.parent / "sandbox")
ENTRY_POINT = "repl.py"


def runtime_dir() -> Path:
    """The folder holding repl.py: inside the wheel, or beside the package in a source checkout."""
    for candidate in _CANDIDATES:
        if (candidate / ENTRY_POINT).is_file():
            return candidate
    raise SandboxUnavailable(
        f"the sandbox runtime ({ENTRY_POINT}) is missing from {_CANDIDATES[0]} and {_CANDIDATES[1]}; reinstall rlm-mcp"
    )


def dockerfile_path() -> Path:
    """The recommended image's Dockerfile: inside the wheel, or at the top of a source checkout."""
    for candidate in (_PACKAGE / "Dockerfile", _PACKAGE.parent / "Dockerfile"):
        if candidate.is_file():
            return candidate
    raise SandboxUnavailable(f"the Dockerfile is missing beside {_PACKAGE}; reinstall rlm-mcp")
