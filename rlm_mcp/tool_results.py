"""The typed results of the MCP tools: their published outputSchema and the structuredContent they carry.

Clients such as Claude Code and VS Code hand the model only `structuredContent` when a result has
one, so every model here carries what the agent must read (the capped `output` text, the answer,
the manifest) and stays within the same cap as the text block beside it.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel, ConfigDict, Field

from rlm_mcp.repl_client import ExecResult

_NAMES_SHOWN = 30
_NAME_CHARS = 100
"""Characters kept of a variable or exception type name."""
_ERROR_MESSAGE_CHARS = 500


def _compact(schema: dict[str, Any]) -> None:
    """Leave out what only repeats a name or the tool's description: tools/list is read on every connect."""
    schema.pop("description", None)
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)


class _Output(BaseModel):
    model_config = ConfigDict(json_schema_extra=_compact)


class LoadOutput(_Output):
    """rlm_load_context: the manifest of what was loaded, never the content."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_compact)
    session: str = Field(description="The name later calls pass (over HTTP a private handle).")
    source: str
    files: int
    bytes: int
    tokens: int = Field(description="Estimated tokens (see token_estimate).")
    chunks: int
    symbols: int
    languages: dict[str, Any] = Field(description="Per language: files and tokens.")
    skipped: dict[str, Any] = Field(description="What was left out: total, by_reason, samples.")


class ErrorSummary(_Output):
    """The error the code raised; the whole traceback is in `output`."""

    type: str
    message: str


class ExecOutput(_Output):
    """rlm_exec: the capped text of stdout, stderr, value and error, and the facts about the run."""

    output: str = Field(description="stdout, stderr, the value and the error as one capped text (cuts say where)")
    ok: bool = Field(description="False when the code raised or hit its time limit.")
    error: ErrorSummary | None = None
    timed_out: bool = False
    stdout_chars: int = Field(description="The true length of stdout (the whole of it is in `_stdout`).")
    stderr_chars: int
    value_chars: int
    changed: list[str] = Field(description=f"Variables created or changed (first {_NAMES_SHOWN}).")
    deleted: list[str] = Field(description=f"Variables deleted (first {_NAMES_SHOWN}).")
    elapsed_ms: float


class QueryOutput(_Output):
    """rlm_query: where the answers are stored, a capped preview, failures and usage."""

    output: str = Field(description="A capped preview of the answers, the failures and the usage.")
    variable: str = Field(description="The REPL variable holding the answers.")
    items: int
    failed: int
    elapsed_s: float
    usage: dict[str, Any]


class AskOutput(_Output):
    """rlm_ask: the answer of the whole RLM loop and how it went."""

    answer: str
    finished: bool
    stop_reason: Literal["answered", "max_iterations", "max_seconds", "max_tokens", "max_cost_usd", "root_failed"]
    note: str
    iterations: int
    elapsed_s: float
    usage: dict[str, Any]
    trajectory: str = Field(description="The JSONL file holding every iteration.")


class StatusOutput(_Output):
    """rlm_status: the backend, its isolation, and each session's context, variables and usage."""

    backend: str
    isolation: str
    sessions: list[dict[str, Any]]
    notice: str | None = None
    sessions_note: str | None = None


class ResetOutput(_Output):
    """rlm_reset: what was dropped."""

    output: str
    scope: Literal["variables", "session"]
    dropped: list[str] = Field(default_factory=list, description=f"Variables dropped (first {_NAMES_SHOWN}).")


def with_text(model: BaseModel, text: str | None = None) -> CallToolResult:
    """A tool result whose structuredContent is `model` and whose text block is `text` (else its JSON)."""
    structured = model.model_dump(mode="json", exclude_none=True)
    shown = text if text is not None else json.dumps(structured, indent=1, ensure_ascii=False)
    return CallToolResult(content=[TextContent(type="text", text=shown)], structured_content=structured)


def exec_output(result: ExecResult, rendered: str) -> ExecOutput:
    """The typed form of one exec: `rendered` is the capped text render.exec_result made of it."""
    error, summary = result.error, None
    if error is not None:
        summary = ErrorSummary(type=error["type"][:_NAME_CHARS], message=error["message"][:_ERROR_MESSAGE_CHARS])
    return ExecOutput(
        output=rendered,
        ok=error is None and not result.timed_out,
        error=summary,
        timed_out=result.timed_out,
        stdout_chars=result.stdout_chars,
        stderr_chars=result.stderr_chars,
        value_chars=result.value_chars,
        changed=shown_names(result.changed),
        deleted=shown_names(result.deleted),
        elapsed_ms=round(result.elapsed_s * 1000, 3),
    )


def query_output(outcome: dict[str, Any], rendered: str) -> QueryOutput:
    """The typed form of one rlm_query: `rendered` is the capped preview render.query_result made."""
    return QueryOutput(
        output=rendered,
        variable=outcome["variable"],
        items=outcome["items"],
        failed=outcome["failed"],
        elapsed_s=outcome["elapsed_s"],
        usage=outcome["usage"],
    )


def reset_output(scope: Literal["variables", "session"], text: str, dropped: list[str]) -> ResetOutput:
    return ResetOutput(output=text, scope=scope, dropped=shown_names(dropped))


def shown_names(names: list[str]) -> list[str]:
    """The first names of a list the code run made, each cut to a bound (the code may make them any length)."""
    return [name[:_NAME_CHARS] for name in names[:_NAMES_SHOWN]]
