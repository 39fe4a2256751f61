"""Chart specifications: what static/charts.js draws with Chart.js, as plain JSON-able data.

Python decides what each chart shows; the page's script only maps a spec onto Chart.js options, so the
trajectory report and the benchmark report share one small renderer and no page builds markup from data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from rlm_mcp.report.steps import Trajectory

Value = float | None


@dataclass(frozen=True)
class Series:
    """One dataset: a name, a value per label, and how it is drawn."""

    name: str
    values: list[Value]
    type: str = "bar"
    """"bar" or "line"."""
    axis: str = "y"
    """"y", or "y2" for the right-hand axis."""
    dashed: bool = False


@dataclass(frozen=True)
class Chart:
    """One chart: labels along x, one or more series, a unit per axis."""

    title: str
    labels: list[str]
    series: list[Series]
    unit: str = ""
    unit2: str = ""
    stacked: bool = False
    log: bool = False
    steps: list[int] = field(default_factory=list)
    """The timeline step each label starts at, when clicking a bar should open it; else empty."""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


MAX_BARS = 200
"""Most bars a per-step chart draws: past that, consecutive steps share a bar (summed, or their worst)."""


def trajectory_charts(trajectory: Trajectory) -> list[Chart]:
    """Time per step, the sub-call fan-out per step, the latency histogram and the spend over the steps."""
    steps = trajectory.steps
    if not steps:
        return []
    size = -(-len(steps) // MAX_BARS)
    bins = [range(start, min(start + size, len(steps))) for start in range(0, len(steps), size)]
    labels = [str(b.start + 1) if len(b) == 1 else f"{b.start + 1}-{b.stop}" for b in bins]
    first = [b.start + 1 for b in bins]
    per = "per step" if size == 1 else f"per {size} steps"

    def total(values: list[Value]) -> list[Value]:
        return [_fold([values[i] for i in b], sum) for b in bins]

    def worst(values: list[Value]) -> list[Value]:
        return [_fold([values[i] for i in b], max) for b in bins]

    rest = [
        max(step.elapsed_s - (step.root_s or 0.0) - (step.exec_s or 0.0), 0.0) if step.elapsed_s is not None else None
        for step in steps
    ]
    time = [
        Series("root model", total([step.root_s for step in steps])),
        Series("code in the sandbox", total([step.exec_s for step in steps])),
        Series("tool call / other", total(rest)),
    ]
    note = "Iterations split into the root model's call and the code it wrote; click a bar for its step."
    charts = [Chart(f"Time {per}", labels, time, unit="s", stacked=True, steps=first, note=note)]
    subs = [step.sub for step in steps]
    if any(sub is not None and (sub.made or sub.refused) for sub in subs):
        fan_out = [
            Series("answered", total([sub.calls if sub else None for sub in subs])),
            Series("cache hits", total([sub.cache_hits if sub else None for sub in subs])),
            Series("failed", total([sub.failures if sub else None for sub in subs])),
            Series("refused (budget)", total([sub.refused if sub else None for sub in subs])),
            Series("p90 latency", worst([_quantile(s.latency, "p90") if s else None for s in subs]), "line", "y2"),
        ]
        note = "An rlm_ask tool call repeats the sub-calls of its iterations."
        charts.append(
            Chart(f"Sub-calls {per}", labels, fan_out, unit="calls", unit2="s", stacked=True, steps=first, note=note)
        )
    histogram = _histogram(trajectory)
    if histogram is not None:
        charts.append(histogram)
    tokens, cost = _spend(trajectory)
    spend = [
        Series("tokens", [tokens[b.stop - 1] for b in bins], "line"),
        Series("cost (USD)", [cost[b.stop - 1] for b in bins], "line", "y2", dashed=True),
    ]
    charts.append(Chart("Tokens and cost so far", labels, spend, unit="tokens", unit2="USD", steps=first))
    return charts


def _fold(values: list[Value], how: Callable[[list[float]], float]) -> Value:
    """`how` of the known values, None when none is known."""
    known = [value for value in values if value is not None]
    return how(known) if known else None


def _histogram(trajectory: Trajectory) -> Chart | None:
    latency = trajectory.sub_call_total().latency
    edges, counts = latency.get("edges"), latency.get("counts")
    if not latency.get("n") or not isinstance(edges, list) or not isinstance(counts, list):
        return None
    labels = [f"≤ {_seconds(edge)}" for edge in edges] + [f"> {_seconds(edges[-1])}"]
    return Chart(
        f"Sub-call latency, all {latency['n']:,} answered calls",
        labels,
        [Series("calls", [float(count) for count in counts])],
        unit="calls",
    )


def _spend(trajectory: Trajectory) -> tuple[list[float], list[float]]:
    """Tokens and cost summed up to each step, root and sub-calls, each sub-call counted once."""
    tokens: list[float] = []
    cost: list[float] = []
    total_tokens, total_cost = 0.0, 0.0
    for step in trajectory.steps:
        total_tokens += step.root_tokens
        total_cost += step.root_cost_usd
        if step.sub is not None and trajectory.counts_sub_calls(step):
            total_tokens += step.sub.tokens
            total_cost += step.sub.cost_usd
        tokens.append(total_tokens)
        cost.append(round(total_cost, 6))
    return tokens, cost


def _quantile(latency: dict[str, Any], name: str) -> Value:
    value = latency.get(name)
    return float(value) if isinstance(value, int | float) else None


def _seconds(value: Any) -> str:
    seconds = float(value)
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:g} s"
