"""Exposure: what a load lets the sandbox see, and when a running sandbox's mount still serves the next load."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rlm_mcp.corpus import LoadOptions, load_corpus

MakeRepo = Callable[[dict[str, str | bytes]], Path]
AWS_KEY_LINE = "key = 'AKIAIOSFODNN7EXAMPLE'\n"


def test_mount_paths_and_hidden_paths_inside_the_sandbox(make_repo: MakeRepo) -> None:
    """A folder is mounted at the given place; its withheld files are named under it; folders end with '/'."""
    root = make_repo({"main.py": "x = 1\n", ".env": "A=1\n", "build/out.js": "x\n", ".gitignore": "build/\n"})
    exposure = load_corpus(root).exposure
    assert exposure is not None
    assert exposure.mounts("/context") == {root.resolve(): "/context"}
    assert exposure.masked("/context") == ("/context/.env", "/context/build/")


def test_a_redacted_file_is_hidden_and_its_text_is_in_the_corpus(make_repo: MakeRepo) -> None:
    """A file with a secret line is listed, hidden in the mount, and carried redacted by the corpus."""
    root = make_repo({"main.py": "x = 1\n", "settings.py": AWS_KEY_LINE})
    corpus = load_corpus(root)
    assert corpus.exposure is not None and corpus.exposure.hidden == ("settings.py",)
    assert corpus.redacted == {"settings.py": b"[secret withheld: aws-access-key]\n"}


def test_reloading_the_same_folder_with_filters_keeps_the_mount(make_repo: MakeRepo) -> None:
    """Another include over the same folder is served by the running mount: what it shows was screened."""
    root = make_repo({"main.py": "x = 1\n", "notes.md": "# n\n", ".env": "A=1\n"})
    first, second = load_corpus(root).exposure, load_corpus(root, LoadOptions(include=("*.py",))).exposure
    assert first is not None and second is not None
    assert first.covers(second)
    sub = load_corpus(root / "main.py").exposure
    assert sub is not None and first.covers(sub)


def test_a_new_secret_line_needs_a_new_mount(make_repo: MakeRepo) -> None:
    """Once a listed file gains a secret line, the old mount (which shows its bytes) no longer serves the load."""
    root = make_repo({"main.py": "x = 1\n", "settings.py": "DEBUG = True\n"})
    before = load_corpus(root).exposure
    (root / "settings.py").write_text(AWS_KEY_LINE)
    after = load_corpus(root).exposure
    assert before is not None and after is not None
    assert not before.covers(after) and after.covers(after)


def test_a_glob_sees_only_its_common_folder(make_repo: MakeRepo) -> None:
    """`*/src/*.py` matching files of one package mounts that package's src folder, at its place under the root."""
    files = {"pkg/src/a.py": "a\n", "pkg/src/c.py": "c\n", "pkg/src/b.txt": "b\n", "pkg/R.md": "#\n", "t.py": "t\n"}
    root = make_repo(files)
    corpus = load_corpus(str(root / "*" / "src" / "*.py"))
    assert corpus.exposure is not None
    assert corpus.exposure.mounts("/context") == {root.resolve() / "pkg/src": "/context/pkg/src"}
    assert corpus.exposure.masked("/context") == ("/context/pkg/src/b.txt",)
    assert corpus.exposure.where(corpus.root or root, {root.resolve() / "pkg/src": "/context/pkg/src"}) == "/context"
