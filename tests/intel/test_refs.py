"""refs and callers: identifier occurrences and calls from the syntax tree, with their enclosing symbol."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rlm_mcp.config import Settings
from rlm_mcp.session import Session, running_sessions
from tests.intel.conftest import FILES, value
from tests.support.files import write_tree

pytestmark = pytest.mark.anyio


async def test_refs_are_code_occurrences_not_comments_or_strings(session: Session) -> None:
    """parse_shape appears in a docstring, a comment and a string too: only the four code occurrences come back."""
    assert await value(session, "[r.where for r in refs('parse_shape')]") == (
        "['pkg/shapes.py:16', 'pkg/util.py:6', 'pkg/util.py:7', 'pkg/util.py:8']"
    )


async def test_a_ref_carries_its_line_text_and_enclosing_symbol(session: Session) -> None:
    """Each hit has the line's text (stripped), the call flag and the enclosing definition."""
    shown = await value(session, "r = refs('parse_shape')[2]\nr.path, r.line, r.text, r.call, r.symbol.name")
    assert shown == "('pkg/util.py', 7, 'shape = parse_shape(\"x\")', True, 'main')"


async def test_callers_are_call_expressions_on_the_name_or_an_attribute(session: Session) -> None:
    """callers keeps calls whose callee is the name (parse_shape(...)) or x.name (shape.area()), not mentions."""
    assert await value(session, "[r.where for r in callers('parse_shape')]") == "['pkg/util.py:7']"
    assert await value(session, "[(r.where, r.symbol.name) for r in callers('area')]") == "[('pkg/util.py:8', 'main')]"
    assert await value(session, "[r.where for r in callers('Double')]") == "['go/main.go:9']"
    assert await value(session, "[r.where for r in callers('greet')]") == "['web/app.ts:4']"
    assert await value(session, "[r.where for r in callers('max')]") == "['java/App.java:8']"
    assert await value(session, "[r.where for r in callers('new')]") == "['rust/lib.rs:5']"


async def test_a_dotted_name_searches_its_last_part(session: Session) -> None:
    """refs('Circle.area') finds the identifier area: its definition and its call."""
    assert await value(session, "[r.where for r in refs('Circle.area')]") == "['pkg/shapes.py:11', 'pkg/util.py:8']"


async def test_refs_take_paths_in_the_one_dialect(session: Session) -> None:
    """paths='pkg/util.py' searches that file only; a pattern matching nothing says so on stderr."""
    assert await value(session, "[r.line for r in refs('parse_shape', paths='pkg/util.py')]") == "[6, 7, 8]"
    result = await session.exec("refs('parse_shape', paths='nowhere/')")
    assert result.value == "[]" and "matched no loaded file" in result.stderr


async def test_refs_stop_at_max_hits_and_say_how_many_there_were(session: Session) -> None:
    """max_hits=1 returns one hit, .total and .truncated tell the rest, stderr names the cap."""
    result = await session.exec("few = refs('parse_shape', max_hits=1)\nlen(few), few.total, few.truncated")
    assert result.value == "(1, 4, True)"
    assert "refs: stopped at max_hits=1 of 4" in result.stderr


async def test_refs_document_their_arguments(session: Session) -> None:
    """help(refs) explains name, paths and max_hits and the fields of a hit."""
    result = await session.exec("help(refs)")
    for word in ("name:", "paths:", "max_hits", ".symbol", "comments and strings are out"):
        assert word in result.stdout


async def test_an_unknown_name_has_no_refs(session: Session) -> None:
    """A name that is nowhere in code gives an empty list, not an error."""
    assert await value(session, "refs('no_such_name'), callers('no_such_name')") == "([], [])"


@pytest.mark.docker
async def test_refs_callers_and_repo_map_work_in_a_docker_sandbox(
    docker_ready: None, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    """In a locked-down container (no network, read-only mount) the helpers read the mount and ask the host."""
    async with running_sessions(make_settings(backend="docker")) as sessions:
        session = sessions.get("intel-docker")
        await session.load(str(write_tree(tmp_path / "code", FILES)))
        assert await value(session, "[r.where for r in callers('parse_shape')]") == "['pkg/util.py:7']"
        assert await value(session, "refs('parse_shape')[0].text") == "'def parse_shape(text):'"
        assert await value(session, "repo_map(50).splitlines()[0].endswith(':')") == "True"


async def test_a_file_edited_after_the_load_is_left_out_and_named(session: Session, tmp_path: Path) -> None:
    """Line numbers of an edited file would lie: its hits are left out and stderr asks for a reload."""
    edited = tmp_path / "code" / "pkg" / "util.py"
    edited.write_text("\n\n" + edited.read_text())
    result = await session.exec("[r.where for r in refs('parse_shape')]")
    assert result.value == "['pkg/shapes.py:16']"
    assert "pkg/util.py changed since the load and was not searched" in result.stderr
