"""A small multi-language repository with known definitions, references and imports, and a session on it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from rlm_mcp.config import Settings
from rlm_mcp.session import Session, running_sessions

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
def code_repo(tmp_path: Path) -> Path:
    """The repository of FILES under a fresh folder."""
    root = tmp_path / "code"
    for path, text in FILES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


@pytest.fixture
async def session(make_settings: Callable[..., Settings], code_repo: Path) -> AsyncIterator[Session]:
    """A session on the local backend with `code_repo` loaded."""
    async with running_sessions(make_settings(backend="local")) as sessions:
        session = sessions.get("intel")
        await session.load(str(code_repo))
        yield session


async def value(session: Session, code: str) -> str:
    """The value of the last expression of `code` (its repr) in the session; fails on an error."""
    result = await session.exec(code)
    assert result.error is None, result.error
    assert result.value is not None, result.stdout
    return result.value
