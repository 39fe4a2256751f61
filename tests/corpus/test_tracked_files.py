"""Files git tracks load even where a .gitignore pattern matches them; the secret and junk rules still apply."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from rlm_mcp.corpus import LoadOptions, load_corpus
from rlm_mcp.corpus.git_files import tracked_paths

MakeRepo = Callable[[dict[str, str | bytes]], Path]

FILES: dict[str, str | bytes] = {
    ".gitignore": "venv/\ninclude/\nbuild/\n",
    "app.py": "x = 1\n",
    "typeshed/stdlib/venv/__init__.pyi": "def create() -> None: ...\n",
    "external/gtest/include/gtest.h": "int gtest_main(void);\n",
    "venv/bin/activate.py": "local = 1\n",
    "build/.env.production": "TOKEN=abc\n",
    "build/yarn.lock": "pinned\n",
}
TRACKED = [
    "typeshed/stdlib/venv/__init__.pyi",
    "external/gtest/include/gtest.h",
    "build/.env.production",
    "build/yarn.lock",
]


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture
def work_tree(make_repo: MakeRepo) -> Path:
    """A real `git init` work tree whose .gitignore matches files git tracks (added with -f) and files it does not."""
    root = make_repo(FILES)
    _git(root, "init", "-q")
    _git(root, "add", ".gitignore", "app.py")
    _git(root, "add", "-f", *TRACKED)
    return root


def _outcome(root: Path, **options: object) -> tuple[set[str], dict[str, str]]:
    corpus = load_corpus(root, LoadOptions(**options))  # type: ignore[arg-type]
    return {info.path for info in corpus.files}, {item.path: item.reason for item in corpus.skipped}


def test_tracked_files_under_ignored_folders_load(work_tree: Path) -> None:
    """`venv/` and `include/` patterns no longer hide the committed stub and header; untracked venv/ stays out."""
    loaded, skipped = _outcome(work_tree)
    assert {"app.py", ".gitignore", "typeshed/stdlib/venv/__init__.pyi", "external/gtest/include/gtest.h"} == loaded
    assert skipped["venv/"] == "gitignored"


def test_secret_and_junk_rules_still_apply_to_tracked_files(work_tree: Path) -> None:
    """A tracked .env file is still withheld as a secret, a tracked lock file still skipped as lock_file."""
    _, skipped = _outcome(work_tree)
    assert skipped["build/.env.production"] == "secret"
    assert skipped["build/yarn.lock"] == "lock_file"


def test_a_subfolder_of_a_work_tree_gets_paths_relative_to_itself(work_tree: Path) -> None:
    """Loading `external/` of a work tree: git's listing is read relative to that folder, as the walk is."""
    loaded, _ = _outcome(work_tree / "external")
    assert loaded == {"gtest/include/gtest.h"}


def test_without_git_the_ignore_files_alone_decide(work_tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no git on PATH the load falls back to today's rule: ignored means skipped, tracked or not."""
    monkeypatch.setenv("PATH", str(work_tree / "no-such-bin"))
    assert tracked_paths(work_tree) is None
    loaded, skipped = _outcome(work_tree)
    assert loaded == {"app.py", ".gitignore"}
    assert skipped["external/gtest/include/"] == "gitignored"


def test_a_folder_that_is_no_work_tree_has_no_tracked_files(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside any repository git fails, and the answer is None (not an error, not an empty listing)."""
    root = make_repo({"a.py": "x = 1\n"})
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(root.parent))  # git must not find a repository above
    assert tracked_paths(root) is None


def test_gitignore_off_needs_no_git(work_tree: Path) -> None:
    """gitignore=False loads everything the other rules allow, the untracked venv/ too."""
    loaded, _ = _outcome(work_tree, gitignore=False)
    assert "venv/bin/activate.py" in loaded
