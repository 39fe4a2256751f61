"""imports and importers: module strings as written per language, relative imports resolved to loaded files."""

from __future__ import annotations

import pytest

from rlm_mcp.session import Session
from tests.intel.conftest import value

pytestmark = pytest.mark.anyio

EXPECTED = {
    "pkg/shapes.py": [("math", None), (".", "pkg/__init__.py"), (".util", "pkg/util.py")],
    "pkg/util.py": [("pkg.shapes", "pkg/shapes.py")],
    "web/app.ts": [("./greet", "web/greet.js"), ("fs", None)],
    "go/main.go": [("fmt", None), ("example.com/m/util", None)],
    "rust/lib.rs": [("std::collections::HashMap", None), ("crate::util::{a,b}", None)],
    "java/App.java": [("java.util.List", None), ("java.lang.Math.max", None)],
}


@pytest.mark.parametrize("path", sorted(EXPECTED))
async def test_imports_give_modules_as_written_and_resolved_paths(session: Session, path: str) -> None:
    """Python, TS, Go, Rust and Java imports: the module string, and the loaded file it names where known."""
    shown = await value(session, f"[(i.module, i.resolved) for i in imports({path!r})]")
    assert shown == repr(EXPECTED[path])


async def test_an_import_has_its_line(session: Session) -> None:
    """Each import says where it is written."""
    assert await value(session, "[i.where for i in imports('pkg/shapes.py')]") == (
        "['pkg/shapes.py:2', 'pkg/shapes.py:3', 'pkg/shapes.py:4']"
    )


async def test_importers_of_a_module_as_written_include_submodules(session: Session) -> None:
    """importers('java.util') finds `import java.util.List`; importers('fmt') the Go file."""
    assert await value(session, "[i.where for i in importers('java.util')]") == "['java/App.java:3']"
    assert await value(session, "[i.where for i in importers('fmt')]") == "['go/main.go:4']"


async def test_importers_of_a_loaded_path_follow_resolution(session: Session) -> None:
    """importers('pkg/shapes.py') finds the relative `.shapes` and the absolute `pkg.shapes` imports."""
    assert await value(session, "[(i.where, i.module) for i in importers('pkg/shapes.py')]") == (
        "[('pkg/__init__.py:1', '.shapes'), ('pkg/util.py:6', 'pkg.shapes')]"
    )
    assert await value(session, "[i.path for i in importers('web/greet.js')]") == "['web/app.ts']"


async def test_imports_of_a_path_not_loaded_is_an_error(session: Session) -> None:
    """imports('missing.py') names the problem instead of returning []."""
    result = await session.exec("imports('missing.py')")
    assert result.error is not None and "not a file of the loaded context" in str(result.error)
