"""symbols, find_symbols and symbol_at on a fixture with known definitions."""

from __future__ import annotations

from pathlib import Path

import pytest

from rlm_mcp.session import Session
from tests.intel.conftest import value
from tests.support.files import write_tree

pytestmark = pytest.mark.anyio


async def test_a_symbol_has_qualified_name_parent_kind_signature_and_where(session: Session) -> None:
    """A method is named Class.method, its parent is the class, its signature its first line, `where` path:line."""
    shown = await value(
        session,
        "[(s.name, s.parent, s.kind, s.signature, s.where) for s in symbols if s.path == 'pkg/shapes.py']",
    )
    assert shown == repr(
        [
            ("Circle", None, "class", "class Circle(object):", "pkg/shapes.py:7"),
            ("Circle.__init__", "Circle", "method", "def __init__(self, r):", "pkg/shapes.py:8"),
            ("Circle.area", "Circle", "method", "def area(self):", "pkg/shapes.py:11"),
            ("parse_shape", None, "function", "def parse_shape(text):", "pkg/shapes.py:16"),
        ]
    )


async def test_a_long_signature_is_cut(session: Session, tmp_path: Path) -> None:
    """A definition whose first line is huge gets a signature of at most 160 characters ending in '...'."""
    header = "def f(" + ", ".join(f"a{i}" for i in range(200)) + "):\n    pass\n"
    await session.load(str(write_tree(tmp_path / "long", {"m.py": header})))
    assert await value(session, "s = symbols[0].signature\nlen(s), s.endswith('...')") == "(160, True)"


async def test_find_symbols_matches_the_regex_on_qualified_names(session: Session) -> None:
    """find_symbols is re.search on the qualified name, filtered by kind and by gitignore-style paths."""
    circle = await value(session, "[s.name for s in find_symbols('^Circle\\\\.')]")
    assert circle == "['Circle.__init__', 'Circle.area']"
    assert await value(session, "[s.where for s in find_symbols('main', kind='function')]") == (
        "['go/main.go:8', 'pkg/util.py:5']"
    )
    assert await value(session, "[s.where for s in find_symbols('main', paths='pkg/')]") == "['pkg/util.py:5']"
    assert await value(session, "[s.name for s in find_symbols('', kind=['class'], paths='*.java')]") == "['App']"


async def test_find_symbols_refuses_an_unknown_kind_listing_the_valid_ones(session: Session) -> None:
    """kind='methods' is an error naming the valid kinds, not a silent empty list."""
    result = await session.exec("find_symbols('x', kind='methods')")
    assert result.error is not None
    assert "unknown kind methods" in str(result.error)
    assert "function, method, class, namespace, section" in str(result.error)


async def test_find_symbols_stops_at_max_hits_and_says_so(session: Session) -> None:
    """max_hits=2 returns two symbols, `.total` counts all, and stderr names the cap."""
    result = await session.exec("found = find_symbols('')\nfew = find_symbols('', max_hits=2)\nlen(few), few.total")
    assert result.value == "(2, 12)"
    assert "stopped at max_hits=2 of 12" in result.stderr


async def test_symbol_at_is_the_innermost_enclosing_definition(session: Session) -> None:
    """A line inside a method is that method; the class header line is the class; a top-level line is None."""
    shown = await value(
        session,
        "[symbol_at('pkg/shapes.py', line) for line in (13, 7, 9, 2)]",
    )
    assert shown == (
        "[Symbol('Circle.area', method, pkg/shapes.py:11), Symbol('Circle', class, pkg/shapes.py:7), "
        "Symbol('Circle.__init__', method, pkg/shapes.py:8), None]"
    )


async def test_symbol_at_a_file_not_loaded_is_an_error_naming_it(session: Session) -> None:
    """symbol_at on a path outside the context fails with the context's message, not a KeyError."""
    result = await session.exec("symbol_at('nope.py', 1)")
    assert result.error is not None and "'nope.py' is not a file of the loaded context" in str(result.error)
