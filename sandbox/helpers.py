"""What user code sees besides its own variables (standard library only).

`install` puts these names into the REPL's globals. They are documented in the README
("The REPL namespace"); anything that needs keys, network or tree-sitter is a request
to the host through HostLink.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bounded import bounded_repr
from host import HostError

if TYPE_CHECKING:
    from repl import Repl

_PREVIEW_CHARS = 80


class UserError(Exception):
    """A helper was called wrongly; the message says how to call it."""


class LLMFailure:
    """Stands in the slot of a failed sub-call in `llm_batch` results (it is not raised)."""

    def __init__(self, kind: str, message: str) -> None:
        self.kind = kind
        self.message = message

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return f"LLMFailure({self.kind}: {self.message})"


def describe_variables(variables: dict[str, Any]) -> list[dict[str, Any]]:
    """Name, type, size and a short preview of each variable."""
    rows = []
    for name, value in variables.items():
        try:
            size: int | None = len(value)
        except Exception:
            size = None
        preview = bounded_repr(value, _PREVIEW_CHARS).replace("\n", " ")
        if len(preview) > _PREVIEW_CHARS:
            preview = preview[: _PREVIEW_CHARS - 3] + "..."
        rows.append({"name": name, "type": type(value).__name__, "len": size, "preview": preview})
    return rows


def install(repl: Repl) -> dict[str, Any]:
    """Define the helpers in the REPL's globals and return them by name."""
    host = repl.host

    def SHOW_VARS() -> None:  # noqa: N802 - the name the RLM paper's prompts use
        """Print your variables: name, type, length and a short preview."""
        rows = describe_variables(repl.user_variables())
        if not rows:
            print("(no variables yet)")
        for row in rows:
            size = "" if row["len"] is None else f" len={row['len']:,}"
            print(f"{row['name']}: {row['type']}{size} = {row['preview']}")

    def llm_batch(prompts: list[str], model: str | None = None, **params: Any) -> list[Any]:
        """Ask the sub-LLM every prompt concurrently; answers come back in order.

        A failed item holds an LLMFailure (falsy) in its slot; the others are strings.
        """
        if isinstance(prompts, str) or not hasattr(prompts, "__iter__"):
            raise UserError("llm_batch takes a list of prompt strings; use llm_query for one prompt")
        items = [str(p) for p in prompts]
        if not items:
            return []
        try:
            answers = host.request("llm", prompts=items, model=model, params=params)
        except HostError as exc:
            raise UserError(str(exc)) from None
        return [a["text"] if a.get("ok") else LLMFailure(a.get("type", "Error"), a["error"]) for a in answers]

    def llm_query(prompt: str, model: str | None = None, **params: Any) -> str:
        """Ask the sub-LLM one prompt and return its answer; raises on failure."""
        (answer,) = llm_batch([prompt], model=model, **params)
        if isinstance(answer, LLMFailure):
            raise UserError(f"sub-LLM call failed: {answer.kind}: {answer.message}")
        return str(answer)

    names: dict[str, Any] = {
        "SHOW_VARS": SHOW_VARS,
        "llm_query": llm_query,
        "llm_batch": llm_batch,
        "LLMFailure": LLMFailure,
    }
    repl.namespace.update(names)
    return names
