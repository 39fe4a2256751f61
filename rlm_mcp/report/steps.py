"""Reading a trajectory file (rlm_mcp/ask/trajectory.py writes them) into the steps and asks a report shows.

A step is one tool call, one rlm_ask iteration, or an ask's last code-free root call; an ask's start
and end records frame its iterations. Every field is read defensively: the file holds text that came
from sandbox output, and lines written by other versions may lack fields or not parse at all.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rlm_mcp.errors import RLMError

_CODE_FENCE = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
_MODEL_COUNTERS = ("calls", "failures", "refused", "cache_hits", "retries", "total_tokens", "cost_usd")


@dataclass(frozen=True)
class Block:
    """One text of a step: code that ran, what it printed, the root's prose, or a tool's arguments."""

    label: str
    text: str
    kind: str
    """"code", "output", "error" or "text": how the page styles it."""


@dataclass(frozen=True)
class SubCalls:
    """The sub-LLM fan-out of one step: counts, spend and latency distribution (rlm_mcp/ask/trajectory.sub_calls)."""

    calls: int
    failures: int
    refused: int
    cache_hits: int
    retries: int
    tokens: int
    cost_usd: float
    latency: dict[str, Any]
    """{"n", "p50", "p90", "max", "edges", "counts"} in seconds; {"n": 0} when nothing was answered."""
    by_model: dict[str, dict[str, float]]
    """Per model, the counters of _MODEL_COUNTERS."""

    @property
    def made(self) -> int:
        """Calls that reached a model or the cache: what a step's fan-out was."""
        return self.calls + self.failures + self.cache_hits


@dataclass
class Step:
    """One entry of the timeline."""

    index: int
    kind: str
    """"tool", "iteration", "final_request" or "other" (a record this reader does not know)."""
    title: str
    at: float | None
    """When the record was written (the step's end), Unix seconds."""
    elapsed_s: float | None
    ask: str | None = None
    root_s: float | None = None
    exec_s: float | None = None
    root_tokens: int = 0
    root_cost_usd: float = 0.0
    error: str | None = None
    restart: bool = False
    timed_out: bool = False
    blocks: list[Block] = field(default_factory=list)
    sub: SubCalls | None = None


@dataclass
class Ask:
    """One rlm_ask: its question, limits, and how it ended (None fields when the file stops before the end)."""

    id: str
    question: str = ""
    root_model: str = ""
    limits: dict[str, Any] = field(default_factory=dict)
    steps: list[int] = field(default_factory=list)
    """Indexes of its iteration steps."""
    end: dict[str, Any] | None = None
    """The end record as written (iterations, elapsed_s, usage), None when the file stops before it."""
    answer: str = ""
    finished: bool = False
    stop_reason: str = ""
    note: str = ""
    wrapped: bool = False
    """True when an rlm_ask tool call record follows, whose sub-call counts already include this ask's."""


@dataclass
class Trajectory:
    """Everything a report shows about one trajectory file."""

    path: Path
    session: str = ""
    steps: list[Step] = field(default_factory=list)
    asks: list[Ask] = field(default_factory=list)
    budget: dict[str, Any] | None = None
    """The session's sub-call budgets as the last tool call left them (rlm_mcp/llm/budget.Budget.snapshot)."""
    unreadable: int = 0
    """Lines that were not a JSON object."""

    def counts_sub_calls(self, step: Step) -> bool:
        """Whether `step`'s sub-calls are its own: an rlm_ask tool call repeats those of its iterations."""
        if step.kind == "tool":
            return True
        return not any(ask.wrapped for ask in self.asks if ask.id == step.ask)

    def sub_call_total(self) -> SubCalls:
        """All sub-calls of the session, each counted once."""
        return _sum([s.sub for s in self.steps if s.sub is not None and self.counts_sub_calls(s)])


def read(path: Path) -> Trajectory:
    """The trajectory in `path`; RLMError when it cannot be read."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise RLMError(
            f"cannot read the trajectory {path}: {exc.strerror or exc}; pass an existing .jsonl file"
        ) from None
    trajectory = Trajectory(path)
    asks: dict[str, Ask] = {}
    for line in lines:
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            trajectory.unreadable += 1
            continue
        trajectory.session = trajectory.session or _text(record.get("session"))
        _add(trajectory, asks, record)
    return trajectory


def newest(folder: Path) -> Path:
    """The most recently written trajectory in `folder`; RLMError when there is none."""
    found = sorted(folder.glob("*.jsonl"), key=lambda path: path.stat().st_mtime) if folder.is_dir() else []
    if not found:
        raise RLMError(
            f"no trajectory in {folder}: run a tool call or `rlm-mcp ask` first, or pass a .jsonl file "
            "(RLM_TRAJECTORY_DIR / --trajectory-dir says where they are written)"
        )
    return found[-1]


def _add(trajectory: Trajectory, asks: dict[str, Ask], record: dict[str, Any]) -> None:
    """Fold one record into the trajectory: a new step, or an ask's start or end."""
    kind, event, ask_id = record.get("kind"), record.get("event"), _text(record.get("ask"))
    if kind == "ask" and event in ("start", "end"):
        ask = asks.get(ask_id)
        if ask is None:
            ask = asks[ask_id] = Ask(ask_id)
            trajectory.asks.append(ask)
        if event == "start":
            ask.question, ask.root_model = _text(record.get("question")), _text(record.get("root_model"))
            ask.limits = _mapping(record.get("limits"))
        else:
            ask.end = record
            ask.answer, ask.note = _text(record.get("answer")), _text(record.get("note"))
            ask.finished, ask.stop_reason = record.get("finished") is True, _text(record.get("stop_reason"))
        return
    step = Step(len(trajectory.steps) + 1, "other", _text(kind) or "record", number(record.get("t")), None)
    if kind == "tool":
        _tool_step(step, record)
        budget = record.get("budget")
        trajectory.budget = budget if isinstance(budget, dict) else trajectory.budget
        if step.title == "rlm_ask":
            for ask in reversed(trajectory.asks):
                if ask.end is not None and not ask.wrapped:
                    ask.wrapped = True
                    break
    elif kind == "ask" and event in ("iteration", "final_request"):
        _iteration_step(step, record)
        asks.setdefault(ask_id, Ask(ask_id))
        if asks[ask_id] not in trajectory.asks:
            trajectory.asks.append(asks[ask_id])
        asks[ask_id].steps.append(step.index)
    else:
        step.blocks.append(Block("record", _json(record), "text"))
    step.ask = (ask_id or None) if kind == "ask" else None
    trajectory.steps.append(step)


def _tool_step(step: Step, record: dict[str, Any]) -> None:
    step.kind, step.title = "tool", _text(record.get("tool")) or "tool"
    step.elapsed_s = number(record.get("elapsed_s"))
    arguments = {name: value for name, value in _mapping(record.get("arguments")).items() if value is not None}
    code = arguments.pop("code", None)
    if arguments:
        step.blocks.append(Block("arguments", _json(arguments), "text"))
    if isinstance(code, str):
        step.blocks.append(Block("code", code, "code"))
    error = record.get("error")
    if error is not None:
        step.error = _text(error)
        step.restart = step.error.startswith("SandboxRestarted")
        step.blocks.append(Block("error", step.error, "error"))
    elif "output" in record:
        output = record["output"]
        failed = record.get("ok") is False
        step.error = "the code raised" if failed else None
        text = output if isinstance(output, str) else _json(output)
        step.blocks.append(Block("output", text, "error" if failed else "output"))
    step.sub = _sub_calls(record.get("sub_calls"))


def _iteration_step(step: Step, record: dict[str, Any]) -> None:
    if record.get("event") == "final_request":
        step.kind, step.title = "final_request", "final request (no code)"
        step.blocks.append(Block("root's answer", _text(record.get("text")), "text"))
        return
    step.kind, step.title = "iteration", f"iteration {_text(record.get('iteration'))}"
    step.elapsed_s = number(record.get("elapsed_s"))
    root = _mapping(record.get("root"))
    step.root_s = number(root.get("elapsed_s"))
    step.root_tokens = int(number(root.get("tokens")) or 0)
    step.root_cost_usd = number(root.get("cost_usd")) or 0.0
    prose = _CODE_FENCE.sub("[code below]", _text(root.get("text"))).strip()
    if prose and prose != "[code below]":
        step.blocks.append(Block("root model", prose, "text"))
    codes, outputs = _list(record.get("code")), _list(record.get("output"))
    runs = [_mapping(run) for run in _list(record.get("exec"))]
    for position, code in enumerate(codes):
        run = runs[position] if position < len(runs) else {}
        label = f"block {position + 1}" if len(codes) > 1 else "code"
        step.blocks.append(Block(label, _text(code), "code"))
        if position < len(outputs):
            failed = run.get("error") is not None
            step.blocks.append(Block(f"{label} output", _text(outputs[position]), "error" if failed else "output"))
        if run.get("error") is not None and step.error is None:
            step.error = _text(run["error"])
        step.timed_out = step.timed_out or run.get("timed_out") is True
    exec_times = [number(run.get("elapsed_s")) for run in runs]
    step.exec_s = sum(t for t in exec_times if t is not None) if runs else None
    step.sub = _sub_calls(record.get("sub_calls"))


def _sub_calls(value: Any) -> SubCalls | None:
    if not isinstance(value, dict):
        return None
    count = {name: int(number(value.get(name)) or 0) for name in ("calls", "failures", "refused", "cache_hits")}
    models = _mapping(value.get("by_model"))
    by_model = {
        str(model): {name: number(usage.get(name)) or 0.0 for name in _MODEL_COUNTERS}
        for model, usage in models.items()
        if isinstance(usage, dict)
    }
    return SubCalls(
        retries=int(number(value.get("retries")) or 0),
        tokens=int(number(value.get("total_tokens")) or 0),
        cost_usd=number(value.get("cost_usd")) or 0.0,
        latency=_mapping(value.get("latency_s")) or {"n": 0},
        by_model=by_model,
        **count,
    )


def _sum(parts: list[SubCalls]) -> SubCalls:
    """One SubCalls adding `parts` up; the latency histogram too when their buckets agree."""
    histograms = [p.latency for p in parts if p.latency.get("n")]
    edges = histograms[0].get("edges") if histograms else None
    counts = [0] * (len(edges) + 1) if isinstance(edges, list) else []
    for histogram in histograms:
        if histogram.get("edges") == edges and isinstance(histogram.get("counts"), list):
            counts = [a + int(number(b) or 0) for a, b in zip(counts, histogram["counts"], strict=False)]
    latency = {"n": sum(counts), "edges": edges, "counts": counts} if counts else {"n": 0}
    return SubCalls(
        calls=sum(p.calls for p in parts),
        failures=sum(p.failures for p in parts),
        refused=sum(p.refused for p in parts),
        cache_hits=sum(p.cache_hits for p in parts),
        retries=sum(p.retries for p in parts),
        tokens=sum(p.tokens for p in parts),
        cost_usd=sum(p.cost_usd for p in parts),
        latency=latency,
        by_model={},
    )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else _json(value)


def number(value: Any) -> float | None:
    """A JSON number as a float; None for anything else (booleans included)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _json(value: Any) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False, default=str)
