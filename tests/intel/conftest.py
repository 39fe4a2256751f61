"""A small multi-language repository with known definitions, references and imports, and a session on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from rlm_mcp.config import Settings
from rlm_mcp.session import Session, Sessions, running_sessions
from tests.support.files import write_tree

FILES = {
    "pkg/__init__.py": "from .shapes import Circle\n",
    "pkg/shapes.py": (
        '"""Shapes: parse_shape is named in this docstring."""\n'  # 1
        "import math\n"  # 2
        "from . import util\n"  # 3
        "from .util import helper\n"  # 4
        "\n"  # 5
        "\n"  # 6
        "class Circle(object):\n"  # 7
        "    def __init__(self, r):\n"  # 8
        "        self.r = r\n"  # 9
        "\n"  # 10
        "    def area(self):\n"  # 11
        "        # parse_shape in a comment\n"  # 12
        "        return math.pi * self.r ** 2\n"  # 13
        "\n"  # 14
        "\n"  # 15
        "def parse_shape(text):\n"  # 16
        '    if text == "parse_shape":\n'  # 17
        "        return Circle(1)\n"  # 18
        "    return helper(text)\n"  # 19
    ),
    "pkg/util.py": (
        "def helper(text):\n"  # 1
        "    return text.strip()\n"  # 2
        "\n"  # 3
        "\n"  # 4
        "def main():\n"  # 5
        "    from pkg.shapes import parse_shape\n"  # 6
        '    shape = parse_shape("x")\n'  # 7
        "    return shape.area(), parse_shape\n"  # 8
    ),
    "web/app.ts": (
        'import { greet } from "./greet";\n'
        'import * as fs from "fs";\n'
        "export function run(): string {\n"
        '  return greet("a");\n'
        "}\n"
    ),
    "web/greet.js": 'export function greet(name) {\n  return "greet " + name;\n}\n',
    "go/main.go": (
        'package main\n\nimport (\n\t"fmt"\n\t"example.com/m/util"\n)\n\n'
        "func main() {\n\tfmt.Println(util.Double(2))\n}\n"
    ),
    "rust/lib.rs": (
        "use std::collections::HashMap;\nuse crate::util::{a, b};\n\n"
        "fn make() -> HashMap<String, i32> {\n    HashMap::new()\n}\n"
    ),
    "java/App.java": (
        "package app;\n\nimport java.util.List;\nimport static java.lang.Math.max;\n\n"
        "class App {\n    int f(List<Integer> xs) {\n        return max(xs.size(), 1);\n    }\n}\n"
    ),
}


@pytest.fixture
async def sessions(make_settings: Callable[..., Settings]) -> AsyncIterator[Sessions]:
    """Sessions on the local backend, closed (sandboxes removed) after the test."""
    async with running_sessions(make_settings(backend="local")) as running:
        yield running


@pytest.fixture
async def session(sessions: Sessions, tmp_path: Path) -> Session:
    """A session with the repository of FILES loaded."""
    session = sessions.get("intel")
    await session.load(str(write_tree(tmp_path / "code", FILES)))
    return session


async def value(session: Session, code: str) -> str:
    """The value of the last expression of `code` (its repr) in the session; fails on an error."""
    result = await session.exec(code)
    assert result.error is None, result.error
    assert result.value is not None, result.stdout
    return result.value
