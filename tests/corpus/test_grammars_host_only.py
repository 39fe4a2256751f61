"""Grammars run on the host only: the sandbox image installs nothing and its runtime imports only the stdlib."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SANDBOX = REPO_ROOT / "sandbox"


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_bytes())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_sandbox_runtime_imports_only_the_standard_library() -> None:
    """No sandbox module imports tree_sitter (or any package): chunking and parsing stay on the host."""
    own = {path.stem for path in SANDBOX.rglob("*.py")} | {"sandbox"}
    for path in SANDBOX.rglob("*.py"):
        foreign = _imported_roots(path) - set(sys.stdlib_module_names) - own - {"__future__"}
        assert not foreign, (path, foreign)


def test_the_sandbox_image_installs_no_packages() -> None:
    """The Dockerfile copies the runtime and runs nothing that installs (no pip, apt or grammar wheels)."""
    dockerfile = (REPO_ROOT / "Dockerfile").read_text()
    assert not re.search(r"\b(pip3?|apt-get|apt|apk|uv|conda)\b\s+(install|add)", dockerfile)
    assert "tree" not in dockerfile.lower()
