"""An MCP client on a real server (local backend) and small repositories with known answers for the helpers."""

from __future__ import annotations

import ast
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.types import CallToolResult

from rlm_mcp.config import Settings
from rlm_mcp.server import build_server

_START, _END = "<<<value:", ":value>>>"


def text_of(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


@dataclass
class Workspace:
    """One MCP client on a real server: load a source, run code, read back a value, an output or an error."""

    client: Client

    async def call(self, tool: str, **arguments: Any) -> CallToolResult:
        return await self.client.call_tool(tool, arguments)

    async def load(self, source: str | Path, **options: Any) -> dict[str, Any]:
        result = await self.call("rlm_load_context", source=str(source), **options)
        assert not result.is_error, text_of(result)
        manifest: dict[str, Any] = json.loads(text_of(result))
        return manifest

    async def run(self, code: str) -> str:
        """The rendered result of rlm_exec (stdout, stderr, value, error), as the agent sees it."""
        result = await self.call("rlm_exec", code=code)
        assert not result.is_error, text_of(result)
        return text_of(result)

    async def value(self, expression: str) -> Any:
        """The value of `expression`, as a Python literal (its repr is printed between markers, parsed back)."""
        out = await self.run(f"print({_START!r} + repr(({expression})) + {_END!r})")
        assert "[error]" not in out and _START in out, out
        return ast.literal_eval(out[out.index(_START) + len(_START) : out.rindex(_END)])

    async def error(self, code: str) -> str:
        """The error `code` raises in the REPL, as the agent reads it (the test fails when it raises none)."""
        out = await self.run(code)
        assert "[error]" in out, f"expected an error, got: {out}"
        return out


@pytest.fixture
async def workspace(litellm_clients_closed: None, make_settings: Callable[..., Settings]) -> AsyncIterator[Workspace]:
    """A local-backend server the helper tests run sandbox code in."""
    async with Client(build_server(make_settings(backend="local")), raise_exceptions=True) as connected:
        yield Workspace(connected)


@pytest.fixture
def lines_repo(tmp_path: Path) -> Path:
    """Files whose line numbers are known: Python code, a file with odd line breaks, a CRLF file."""
    repo = tmp_path / "lines"
    (repo / "src" / "pkg").mkdir(parents=True)
    (repo / "docs").mkdir()
    (repo / "src" / "pkg" / "core.py").write_text(
        "import os\n\n\nclass Store:\n    def get(self, key):\n        return os.environ[key]\n\n"
        "    def put(self, key, value):\n        raise NotImplementedError\n\n\ndef helper(x):\n    return x\n"
    )
    (repo / "src" / "app.py").write_text("from pkg.core import Store\n\nSTORE = Store()\n")
    (repo / "docs" / "notes.txt").write_bytes("one\x0ctwo\nthree\rfour\nfive\u2028six\nseven\n".encode())
    (repo / "docs" / "dos.txt").write_bytes(b"alpha\r\nbeta end\r\ngamma\r\n")
    return repo
