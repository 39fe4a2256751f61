"""Random hostile work thrown at rlm_exec: the server and another session survive, every reply is bounded."""

from __future__ import annotations

from collections.abc import Callable

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client

from rlm_mcp.config import Settings
from rlm_mcp.server import build_server
from tests.mcp.test_tools import text_of

CAP = 3_000

_SNIPPETS = [
    "print('x' * {n})",
    "import sys; sys.stderr.write('e' * {n})",
    "list(range({n}))",
    "{{i: [i] * 3 for i in range({n})}}",
    "'\\udcff' * {n}",
    "bytes({n} % 100_000)",
    "class Bad:\n    def __repr__(self): raise RuntimeError('no repr')\nBad()",
    "class Loud:\n    def __repr__(self): return 'r' * {n}\nLoud()",
    "deep = []\nfor _ in range({n} % 5000):\n    deep = [deep]\ndeep",
    "raise SystemExit({n})",
    "def f(n): return f(n + 1)\nf(0)",
    "import os; os.write(2, b'z' * ({n} % 1_000_000))",
    "llm_query('x', weird=[[[[[[1]]]]]] * ({n} % 10))",
    "partition(budget={n} % 80)",
    "grep('(' * ({n} % 50))",
    "read('nope.py', {n}, -{n})",
    "SHOW_VARS()",
    "x = object()\nx",
    "print(chr({n} % 0x110000) * 50)",
]


@st.composite
def hostile_code(draw: st.DrawFn) -> str:
    """One to three hostile snippets with sizes from tiny to tens of millions."""
    snippets = draw(st.lists(st.sampled_from(_SNIPPETS), min_size=1, max_size=3))
    sizes = st.integers(min_value=0, max_value=20_000_000)
    return "\n".join(snippet.format(n=draw(sizes)) for snippet in snippets)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(codes=st.lists(hostile_code(), min_size=1, max_size=4))
def test_hostile_exec_leaves_the_server_and_its_neighbours_standing(
    make_settings: Callable[..., Settings], codes: list[str]
) -> None:
    """Whatever the code does, each reply fits the cap and both sessions still run code afterwards."""

    async def scenario() -> None:
        settings = make_settings(backend="local", exec_timeout_s=10, interrupt_grace_s=2)
        async with Client(build_server(settings), raise_exceptions=True) as client:
            await client.call_tool("rlm_exec", {"code": "kept = 1", "session": "other"})
            for code in codes:
                result = await client.call_tool("rlm_exec", {"code": code, "session": "fuzz", "max_output_chars": CAP})
                assert len(text_of(result)) <= CAP
            for session in ("fuzz", "other"):
                result = await client.call_tool("rlm_exec", {"code": "1 + 1", "session": session})
                assert "[value]\n2" in text_of(result)
            status = await client.call_tool("rlm_status", {})
            assert not status.is_error and len(text_of(status)) <= 20_000

    anyio.run(scenario)
