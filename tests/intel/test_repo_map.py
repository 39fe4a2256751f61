"""repo_map ranks over the reference graph and fits its budget; tree counts files and tokens per folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlm_mcp.session import Session, Sessions
from tests.intel.conftest import value
from tests.support.files import write_tree

pytestmark = pytest.mark.anyio

GRAPH = {
    "core.py": "class Engine:\n    def run(self):\n        return 1\n",
    "a.py": "from core import Engine\n\ndef use_a():\n    return Engine().run()\n",
    "b.py": "from core import Engine\n\ndef use_b():\n    return Engine()\n",
    "c.py": "import core\n\ndef use_c():\n    return core.Engine()\n",
    "leaf/lonely.py": "def lonely():\n    return 0\n",
}


@pytest.fixture
async def graph(sessions: Sessions, tmp_path: Path) -> Session:
    """A session on GRAPH: core.py is used by three files, leaf/lonely.py by none."""
    session = sessions.get("graph")
    await session.load(str(write_tree(tmp_path / "graph", GRAPH)))
    return session


async def test_the_most_referenced_file_comes_first(graph: Session) -> None:
    """core.py, which three files use, leads the map with its definitions and their lines."""
    shown = await value(graph, "repo_map(1000).splitlines()[:3]")
    assert shown == "['core.py:', '      1| class Engine:', '      2|     def run(self):']"


async def test_focus_on_a_path_brings_it_first(graph: Session) -> None:
    """focus='leaf/' restarts the ranking walk there: lonely.py leads."""
    assert await value(graph, "repo_map(1000, focus='leaf/').splitlines()[0]") == "'leaf/lonely.py:'"


async def test_focus_on_a_symbol_name_brings_its_file_first(graph: Session) -> None:
    """focus='lonely' (a symbol, not a path) biases towards the file defining it."""
    assert await value(graph, "repo_map(1000, focus=['lonely']).splitlines()[0]") == "'leaf/lonely.py:'"


async def test_the_map_fits_its_budget(session: Session) -> None:
    """A 40-token map is at most 160 characters, and a larger budget shows more."""
    shown = await value(session, "len(repo_map(40)) <= 160, len(repo_map(40)) < len(repo_map(400))")
    assert shown == "(True, True)"


async def test_a_budget_out_of_range_is_an_error(session: Session) -> None:
    """budget_tokens=0 names the accepted range."""
    result = await session.exec("repo_map(0)")
    assert result.error is not None and "from 1 to 50,000" in str(result.error)


async def test_tree_counts_files_and_tokens_per_folder(session: Session) -> None:
    """tree('.', 1) has the root and each top folder with its file count and bytes/4 tokens; depth 0 the root."""
    lines = (await value(session, "tree('.', 1)")).splitlines()
    assert lines[0] == "./  8 files  ~280 tokens"
    assert "  pkg/  3 files  ~143 tokens" in lines and len(lines) == 6
    assert await value(session, "tree('pkg', 0)") == "pkg/  3 files  ~143 tokens"


async def test_tree_of_a_folder_not_loaded_lists_the_top_folders(session: Session) -> None:
    """tree('nope') is an error naming the top-level folders there are."""
    result = await session.exec("tree('nope')")
    assert result.error is not None and "go, java, pkg, rust, web" in str(result.error)
