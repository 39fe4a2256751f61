"""The host checks every field of a code-intelligence request from the sandbox before any work."""

from __future__ import annotations

from typing import Any

import pytest

from rlm_mcp._sandbox import wire
from rlm_mcp.errors import RLMError
from rlm_mcp.session import Session

pytestmark = pytest.mark.anyio

HOSTILE: list[tuple[str, dict[str, Any], str]] = [
    (wire.Op.REFS, {"name": 7, "calls": False, "files": None, "max_hits": 10}, "non-empty name"),
    (wire.Op.REFS, {"name": "x" * 300, "calls": False, "files": None, "max_hits": 10}, "at most 256"),
    (wire.Op.REFS, {"name": "x", "calls": "yes", "files": None, "max_hits": 10}, "`calls`"),
    (wire.Op.REFS, {"name": "x", "calls": False, "files": [10**9], "max_hits": 10}, "index in the loaded file list"),
    (wire.Op.REFS, {"name": "x", "calls": False, "files": None, "max_hits": 10**9}, "from 1 to 100,000"),
    (wire.Op.IMPORTS, {"file": -1, "max_hits": 10}, "index in the loaded file list"),
    (wire.Op.IMPORTS, {"module": ["os"], "max_hits": 10}, "non-empty name"),
    (wire.Op.REPO_MAP, {"focus_files": [], "focus_names": ["x"] * 5000, "limit": 10}, "at most 1000"),
    (wire.Op.REPO_MAP, {"focus_files": "all", "focus_names": [], "limit": 10}, "list of indexes"),
]


@pytest.mark.parametrize(("op", "payload", "message"), HOSTILE, ids=[f"{op}-{i}" for i, (op, *_) in enumerate(HOSTILE)])
async def test_a_malformed_request_is_refused_with_a_reason(
    session: Session, op: str, payload: dict[str, Any], message: str
) -> None:
    """Wrong types, huge caps and file indexes off the table are RLMErrors that say what was wrong."""
    with pytest.raises(RLMError, match=message.replace("(", r"\(")):
        await session.serve_sandbox(op, payload)


async def test_a_request_never_returns_more_than_its_cap(session: Session) -> None:
    """max_hits bounds the records sent back; total and truncated report the rest."""
    answer = await session.serve_sandbox(
        wire.Op.REFS, {"name": "parse_shape", "calls": False, "files": None, "max_hits": 2}
    )
    assert len(answer["refs"]["rows"]) == 2 and answer["total"] == 4 and answer["truncated"] is True
