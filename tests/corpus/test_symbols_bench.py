"""The symbols bench compares like with like: where both sides agree it says so, and it sees misses and extras."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bench import symbols
from rlm_mcp.corpus import LoadOptions, load_corpus

MakeRepo = Callable[[dict[str, str | bytes]], Path]

PYTHON = (
    "@decorator\nclass Shape:\n    def area(self):\n        return 0\n\n\n"
    "async def fetch():\n    def helper():\n        pass\n"
)
GO = (
    "package p\n\ntype ID = string\n\ntype Server struct{}\n\n"
    "func (s *Server) Start() {}\n\nfunc New() *Server { return nil }\n"
)
RUST = "cfg_rt! {\n    pub fn spawn() {}\n}\n\npub struct Handle;\n\nimpl Handle {\n    pub fn enter(&self) {}\n}\n"


def _measured(root: Path, language: str) -> tuple[int, int, int, int]:
    found = symbols._measure(language, load_corpus(root, LoadOptions(workers=1)))
    matched, _, _ = symbols._match(found["ours"], found["theirs"])
    return len(found["ours"]), len(found["theirs"]), matched, found["in_macro_bodies"]


def test_python_definitions_agree_with_ast(make_repo: MakeRepo) -> None:
    """Classes, methods, async and nested functions: ours and ``ast``'s are the same four, matched by name and line."""
    assert _measured(make_repo({"shapes.py": PYTHON}), "python") == (4, 4, 4, 0)


@pytest.mark.skipif(shutil.which("ctags") is None, reason="needs Universal Ctags")
def test_go_definitions_agree_with_ctags(make_repo: MakeRepo) -> None:
    """A type alias, a struct, a method and a function: all four matched against ctags."""
    assert _measured(make_repo({"server.go": GO}), "go") == (4, 4, 4, 0)


@pytest.mark.skipif(shutil.which("ctags") is None, reason="needs Universal Ctags")
def test_rust_macro_bodies_are_counted_apart(make_repo: MakeRepo) -> None:
    """`spawn` inside `cfg_rt!` is ours alone (ctags does not look there): counted apart, not against precision."""
    assert _measured(make_repo({"lib.rs": RUST}), "rust") == (3, 3, 3, 1)


def test_a_definition_we_miss_lowers_recall() -> None:
    """A reference definition with no match of ours at its line is a miss; an unmatched one of ours is an extra."""
    ours = [("a.py", 1, 2, "f"), ("a.py", 4, 5, "g")]
    theirs = [("a.py", 1, "f"), ("a.py", 7, "h")]
    assert symbols._match(ours, theirs) == (1, ["a.py:7 h"], ["a.py:4 g"])
