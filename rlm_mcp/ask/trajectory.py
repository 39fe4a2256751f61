"""Trajectory logs: one JSONL file per session, a line per tool call and per rlm_ask iteration.

Files go to `<trajectory_dir>/<session>-<created>.jsonl` (default `<cache_dir>/trajectories`,
setting RLM_TRAJECTORY_DIR), 0600 in a 0700 folder; RLM_TRAJECTORIES=false writes none. Every text
in them is bounded: code, outputs and answers are clipped, and the context itself never appears,
only what a tool returned about it.
"""

from __future__ import annotations

import bisect
import json
import logging
import time
from collections.abc import Awaitable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mcp.types import CallToolResult, TextContent

from rlm_mcp.ask.limits import difference
from rlm_mcp.config import Settings
from rlm_mcp.errors import RLMError
from rlm_mcp.llm.ledger import Ledger
from rlm_mcp.private_files import open_private_append
from rlm_mcp.render import clip
from rlm_mcp.session import looks_like_path

if TYPE_CHECKING:
    from rlm_mcp.session import Session, Sessions

log = logging.getLogger(__name__)

T = TypeVar("T")
TEXT_CHARS = 4000
"""Longest text kept for one field of a record."""
LATENCY_EDGES_S = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0)
"""Upper bounds of the sub-call latency buckets a record counts (the last bucket is open)."""


def folder(settings: Settings) -> Path:
    """Where this configuration writes its trajectories."""
    return Path(settings.trajectory_dir or Path(settings.cache_dir) / "trajectories")


def path_for(session: Session) -> Path:
    """The session's trajectory file: named after it and the moment it was created."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(session.created))
    return folder(session.settings) / f"{session.name}-{stamp}.jsonl"


def location(session: Session) -> str:
    """Where the session's trajectory goes, as the agent is told it, or why there is none."""
    return str(path_for(session)) if session.settings.trajectories else "off (RLM_TRAJECTORIES=false)"


def bounded(value: Any) -> Any:
    """`value` with every string clipped; anything else not JSON-able becomes its bounded str()."""
    if isinstance(value, str):
        return clip(value, TEXT_CHARS, "cut in the trajectory log")
    if isinstance(value, Mapping):
        return {str(key): bounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [bounded(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return bounded(str(value))


def write(session: Session, record: dict[str, Any]) -> None:
    """Append one record, unless trajectories are off; a log that cannot be written is reported, never fatal."""
    if not session.settings.trajectories:
        return
    target = path_for(session)
    line = json.dumps({"t": round(time.time(), 3), "session": session.name, **record}, default=str)
    try:
        with open_private_append(target) as out:
            out.write(line + "\n")
    except OSError as exc:
        log.warning("could not write the trajectory log %s: %s", target, exc)


def sub_calls(ledger: Ledger, before: Ledger) -> dict[str, Any]:
    """Sub-calls recorded in `ledger` since the copy `before`: totals, per model, and their latencies."""
    lines = {
        model: difference(usage, before.by_model[model]).to_dict()
        for model, usage in ledger.by_model.items()
        if usage != before.by_model.get(model)
    }
    total = difference(ledger.total, before.total)
    answered = list(ledger.latencies)[len(ledger.latencies) - min(total.calls, len(ledger.latencies)) :]
    return {**total.to_dict(), "by_model": lines, "latency_s": latency_summary(answered)}


def latency_summary(seconds: list[float]) -> dict[str, Any]:
    """A bounded picture of call latencies: count, quantiles, and counts per LATENCY_EDGES_S bucket."""
    if not seconds:
        return {"n": 0}
    ordered = sorted(seconds)
    counts = [0] * (len(LATENCY_EDGES_S) + 1)
    for value in ordered:
        counts[bisect.bisect_left(LATENCY_EDGES_S, value)] += 1

    def quantile(share: float) -> float:
        return round(ordered[min(int(len(ordered) * share), len(ordered) - 1)], 4)

    return {
        "n": len(ordered),
        "p50": quantile(0.5),
        "p90": quantile(0.9),
        "max": quantile(1.0),
        "edges": list(LATENCY_EDGES_S),
        "counts": counts,
    }


def snapshot(ledger: Ledger) -> Ledger:
    """A frozen copy of `ledger`, to diff against later."""
    copy = Ledger()
    copy.total = replace(ledger.total)
    for model, usage in ledger.by_model.items():
        copy.by_model[model] = replace(usage)
    return copy


def _seen(result: Any) -> Any:
    """What the agent got back: a tool result's text (its structured copy would repeat it), else `result`."""
    if isinstance(result, CallToolResult):
        return "\n".join(part.text for part in result.content if isinstance(part, TextContent))
    return result


def _shown_arguments(tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """`arguments` as logged: a raw-text context (told apart as Session.load does) becomes its size."""
    source, kind = arguments.get("source"), arguments.get("kind", "auto")
    if tool != "rlm_load_context" or not isinstance(source, str):
        return arguments
    if kind == "text" or (kind == "auto" and not looks_like_path(source)):
        return {**arguments, "source": f"[raw text, {len(source)} chars: not logged]"}
    return arguments


def _existing(sessions: Sessions, name: Any) -> Session | None:
    return sessions.get(name, create=False) if isinstance(name, str) and name in sessions.names() else None


async def log_tool_call(sessions: Sessions, tool: str, arguments: dict[str, Any], call: Awaitable[T]) -> T:
    """Await one tool call and append it (arguments, output or error, timing, sub-calls) to its session's log."""
    name = arguments.get("session")
    before = _existing(sessions, name)
    ledger_before = snapshot(before.broker.ledger) if before is not None else Ledger()
    started = time.perf_counter()
    record: dict[str, Any] = {"kind": "tool", "tool": tool, "arguments": bounded(_shown_arguments(tool, arguments))}
    try:
        result = await call
        record["output"] = bounded(_seen(result))
        structured = result.structured_content if isinstance(result, CallToolResult) else None
        if isinstance(structured, dict) and isinstance(structured.get("ok"), bool):
            record["ok"] = structured["ok"]  # False: the code raised (rlm_exec)
        return result
    except Exception as exc:
        # The MCP layer re-raises our errors as ToolError `from None`; the context still names the kind.
        origin = exc.__context__ if isinstance(exc.__context__, RLMError) else exc
        record["error"] = bounded(f"{type(origin).__name__}: {exc}")
        raise
    finally:
        # The call may have created the session (load) or dropped it (reset): log where it lived.
        session = _existing(sessions, name) or before
        if session is not None:
            record["elapsed_s"] = round(time.perf_counter() - started, 4)
            record["sub_calls"] = sub_calls(session.broker.ledger, ledger_before)
            record["budget"] = session.broker.budget.snapshot()
            write(session, record)
