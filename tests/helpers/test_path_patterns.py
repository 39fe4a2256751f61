"""One path-pattern dialect: include/exclude select what the helpers' paths= select, in linear time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.helpers.conftest import Workspace, text_of

pytestmark = pytest.mark.anyio

PATTERN_SETS = [
    ["src/*.py"],
    ["src"],
    ["*.txt", "src/pkg/"],
    ["**/core.py"],
    ["src/", "!src/pkg/"],
    ["/docs/*.txt"],
]


@pytest.mark.parametrize("patterns", PATTERN_SETS, ids=[" ".join(p) for p in PATTERN_SETS])
async def test_include_selects_what_helper_paths_select(
    workspace: Workspace, lines_repo: Path, patterns: list[str]
) -> None:
    """The files loaded with include=P are the files partition(paths=P) picks from the whole repository."""
    await workspace.load(lines_repo)
    by_helper = await workspace.value(f"sorted({{c.path for c in partition(paths={patterns!r})}})")
    await workspace.load(lines_repo, include=patterns)
    assert await workspace.value("sorted(files)") == by_helper


async def test_exclude_can_take_a_file_back_under_an_excluded_folder(workspace: Workspace, lines_repo: Path) -> None:
    """exclude=['docs/', '!docs/dos.txt'] keeps docs/dos.txt, as '!' does in paths= (the last match decides)."""
    await workspace.load(lines_repo, exclude=["docs/", "!docs/dos.txt"])
    assert await workspace.value("sorted(files)") == ["docs/dos.txt", "src/app.py", "src/pkg/core.py"]


async def test_a_pathological_include_pattern_costs_no_more_than_a_plain_one(
    workspace: Workspace, tmp_path: Path
) -> None:
    """Many stars against a long name would backtrack in a regex; the dialect matches in linear time."""
    repo = tmp_path / "long"
    repo.mkdir()
    (repo / ("a" * 120 + ".py")).write_text("x = 1\n")
    (repo / "aaaaab.py").write_text("y = 2\n")
    started = time.perf_counter()
    await workspace.load(repo, include=["*a*a*a*a*a*b*"])
    assert time.perf_counter() - started < 3
    assert await workspace.value("sorted(files)") == ["aaaaab.py"]


async def test_a_malformed_include_is_an_error_showing_the_accepted_forms(
    workspace: Workspace, lines_repo: Path
) -> None:
    """An include pattern over the length limit is refused with what the dialect accepts."""
    result = await workspace.call("rlm_load_context", source=str(lines_repo), include=["x" * 5000])
    assert result.is_error and "include:" in text_of(result) and "at most 1024 characters" in text_of(result)
