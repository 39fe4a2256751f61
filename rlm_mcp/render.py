"""Turning session results into the bounded text an agent reads.

Every function here returns at most the cap it is given; a cut says where the full value
is kept in the REPL and how to page through it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from rlm_mcp.config import HARD_MAX_OUTPUT_CHARS
from rlm_mcp.repl_client import ExecResult
from rlm_mcp.tool_results import shown_names

if TYPE_CHECKING:
    from rlm_mcp.session import Session

_PREVIEW_ANSWERS = 5
_TABLE_NOTICE_ROOM = 80


def output_cap(requested: int | None, default: int) -> int:
    """The cap for one call: the request, else the default, never above the hard maximum."""
    return max(200, min(requested or default, HARD_MAX_OUTPUT_CHARS))


def clip(text: str, cap: int, where: str) -> str:
    """`text` cut to `cap` characters (head, then tail), naming where the whole of it is."""
    if len(text) <= cap:
        return text
    notice = f"\n... [{len(text) - cap:,} more chars cut; {where}] ...\n"
    head = max((cap - len(notice)) * 2 // 3, 0)
    tail = max(cap - len(notice) - head, 0)
    return text[:head] + notice + (text[len(text) - tail :] if tail else "")


_NOTICE_ROOM = 200
"""Characters kept free for each part's cut notice."""


class _Part:
    """One stream of an exec result: what the sandbox sent, its true length, how to page through it."""

    def __init__(self, label: str, head: str, total: int, page: str) -> None:
        self.label, self.head, self.total, self.page = label, head, max(total, len(head)), page

    def render(self, room: int) -> str:
        shown = self.head[:room]
        if len(shown) >= self.total:
            return f"[{self.label}]\n{shown.rstrip()}"
        next_call = self.page.format(start=len(shown), end=len(shown) + max(room, 1000))
        notice = f"... [{self.label}: showing chars 0-{len(shown):,} of {self.total:,}; next: {next_call}]"
        return f"[{self.label}]\n{shown}\n{notice}"


def exec_result(result: ExecResult, cap: int) -> str:
    """stdout, stderr, value, error and what changed, as one text of at most `cap` characters.

    Only here is anything cut (the sandbox sends heads with their true lengths), and a cut part
    names the exact call that shows what comes next.
    """
    parts = [
        part
        for part in (
            _Part("stdout", result.stdout, result.stdout_chars, "print(_stdout[{start}:{end}])"),
            _Part("stderr", result.stderr, result.stderr_chars, "print(_stderr[{start}:{end}])"),
            _Part(
                "value", result.value or "", result.value_chars, "the value is in `_`: print(repr(_)[{start}:{end}])"
            ),
        )
        if part.head or (part.label == "value" and result.value is not None)
    ]
    fixed = []
    if result.error is not None:
        headline = f"[error] {result.error['type']}: {result.error['message']}"
        if result.timed_out:
            headline += " (time limit reached; raise timeout_s if the work needs longer)"
        error = f"{headline}\n{result.error.get('traceback', '').rstrip()}"
        fixed.append(error if len(error) <= cap // 2 else error[: cap // 2 - 40] + "\n... [error cut]")
    footer = [f"{result.elapsed_s * 1000:.1f} ms"]
    if result.changed:
        footer.insert(0, "changed: " + ", ".join(result.changed[:30]) + (" ..." if len(result.changed) > 30 else ""))
    if result.deleted:
        footer.insert(1, "deleted: " + ", ".join(result.deleted[:30]) + (" ..." if len(result.deleted) > 30 else ""))
    fixed.append("(" + " | ".join(footer) + ")")
    room = cap - sum(len(text) + 1 for text in fixed) - len(parts) * (_NOTICE_ROOM + 12)
    rendered = [part.render(share) for part, share in zip(parts, _shares([p.total for p in parts], room), strict=True)]
    body = "\n".join(rendered + fixed) if parts else "(no output)\n" + "\n".join(fixed)
    return body if len(body) <= cap else body[: cap - 20] + "\n... [cut]"


def _shares(sizes: list[int], room: int) -> list[int]:
    """Split `room` characters between parts of these sizes: small ones whole, the rest evenly."""
    shares = [0] * len(sizes)
    left, pending = max(room, 0), sorted(range(len(sizes)), key=lambda i: sizes[i])
    while pending:
        even = left // len(pending)
        index = pending.pop(0)
        shares[index] = min(sizes[index], even)
        left -= shares[index]
    return shares


def usage_line(usage: dict[str, Any]) -> str:
    total = usage.get("total", {})
    budget = usage.get("budget", {})
    left = [
        f"{label} left {budget[key]:,}" if isinstance(budget.get(key), int) else f"{label} left {budget[key]}"
        for key, label in (
            ("remaining_calls", "calls"),
            ("remaining_tokens", "tokens"),
            ("remaining_cost_usd", "USD"),
        )
        if budget.get(key) is not None
    ]
    text = (
        f"usage this session: {total.get('calls', 0)} calls, {total.get('cache_hits', 0)} cache hits, "
        f"{total.get('total_tokens', 0):,} tokens, ${total.get('cost_usd', 0):.4f}"
    )
    return text + (f" ({'; '.join(left)})" if left else "")


def query_result(outcome: dict[str, Any], cap: int) -> str:
    """Where the answers are, a preview of the first few, the failures, and the usage."""
    name, answers = outcome["variable"], outcome["answers"]
    lines = [
        f"stored {outcome['items']} answer(s) in `{name}` ({outcome['failed']} failed) in {outcome['elapsed_s']} s"
    ]
    preview_cap = max(cap // (2 * max(min(len(answers), _PREVIEW_ANSWERS), 1)), 100)
    if len(answers) == 1 and answers[0]["ok"]:
        lines.append(clip(answers[0]["text"], cap * 3 // 4, f"the whole answer is in `{name}`"))
    else:
        for index, answer in enumerate(answers[:_PREVIEW_ANSWERS]):
            text = answer["text"] if answer["ok"] else f"FAILED {answer['type']}: {answer['error']}"
            lines.append(f"[{index}] " + clip(text, preview_cap, f"see {name}[{index}]"))
        if len(answers) > _PREVIEW_ANSWERS:
            lines.append(f"... {len(answers) - _PREVIEW_ANSWERS} more in `{name}`")
    failures = [(i, a) for i, a in enumerate(answers) if not a["ok"]]
    if failures and len(answers) > 1:
        shown = "; ".join(f"[{i}] {a['type']}: {a['error'][:120]}" for i, a in failures[:5])
        lines.append(f"failures: {shown}" + (" ..." if len(failures) > 5 else ""))
    lines.append(usage_line(outcome["usage"]))
    return clip("\n".join(lines), cap, f"the answers are in `{name}`")


def bounded_json(report: dict[str, Any], cap: int) -> dict[str, Any]:
    """A status report that fits the cap: variable lists become their first names, then only their count."""
    if _fits(report, cap):
        return report
    listed = [session for session in report.get("sessions", []) if isinstance(session.get("variables"), list)]
    for session in listed:
        variables = session["variables"]
        session["variables"] = shown_names([str(row.get("name", "")) for row in variables])
        session["variables_note"] = f"{len(variables)} variables; call SHOW_VARS() in rlm_exec for all"
    if not _fits(report, cap):
        for session in listed:
            session["variables"] = []
    return report


def _fits(report: dict[str, Any], cap: int) -> bool:
    return len(json.dumps(report, default=str)) <= cap


def manifest_json(session: Session) -> str:
    if session.corpus is None:
        return json.dumps({"session": session.name, "context": None, "hint": "call rlm_load_context first"})
    return json.dumps(session.corpus.manifest(), indent=1)


def chunk_table(session: Session, cap: int) -> str:
    """id, path:lines, kind, symbol, tokens, one chunk a line, whole rows up to `cap` characters."""
    if session.corpus is None:
        return "no context loaded: call rlm_load_context first"
    chunks = session.corpus.chunks
    rows = ["id\twhere\tkind\tsymbol\ttokens"]
    room = cap - _TABLE_NOTICE_ROOM - len(rows[0])
    for shown, c in enumerate(chunks):
        row = f"{c.id}\t{c.path}:{c.start_line}-{c.end_line}\t{c.kind}\t{c.symbol}\t{c.tokens}"
        room -= len(row) + 1
        if room < 0:
            rows.append(f"... {len(chunks) - shown:,} more chunks: list them with `chunks` in rlm_exec")
            break
        rows.append(row)
    return "\n".join(rows)
