"""One self-contained HTML file per report: Jinja templates, the vendored Chart.js and our script inlined.

Every value from a trajectory reaches the page through Jinja's autoescaping or its `tojson` filter (which
escapes `<`, `>` and `&`), and the page's Content-Security-Policy runs only the two scripts it ships, by
hash, and allows no network at all: hostile text from sandbox output can neither run nor call out.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
from collections.abc import Iterable
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from rlm_mcp import __version__
from rlm_mcp.errors import RLMError
from rlm_mcp.private_files import write_private
from rlm_mcp.render import clip
from rlm_mcp.report import bench, charts
from rlm_mcp.report.steps import Ask, Step, Trajectory, number

PAGE_TEXT_CHARS = 3_000_000
"""Escaped characters of step text a page holds at most: 1,000 full steps still make a page under 5 MB."""
LONG_TEXT_LINES = 12
"""A text with more lines than this (or over 1,200 characters) starts collapsed."""
CHART_JS = "chart.umd.min.js"
"""Chart.js 4.6.1, the npm package's dist/chart.umd.min.js (MIT; its LICENSE.md beside it)."""

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("rlm_mcp.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_WHOLE_TEXT = "the whole text is in the trajectory file"
_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)
_MARKDOWN = re.compile(r"\*\*(.+?)\*\*|`([^`]+)`")


def trajectory_page(trajectory: Trajectory) -> str:
    """The HTML report of one trajectory."""
    _fit(trajectory.steps, PAGE_TEXT_CHARS)
    total = trajectory.sub_call_total()
    times = [step.at for step in trajectory.steps if step.at is not None]
    started = min(times) - (trajectory.steps[0].elapsed_s or 0.0) if times else None
    return _render(
        "trajectory.html.j2",
        title=f"rlm-mcp trajectory: {trajectory.session or trajectory.path.name}",
        trajectory=trajectory,
        started=started,
        duration=(max(times) - started) if started is not None else None,
        errors=sum(step.error is not None for step in trajectory.steps),
        restarts=sum(step.restart for step in trajectory.steps),
        total=total,
        root_tokens=sum(step.root_tokens for step in trajectory.steps),
        root_cost=sum(step.root_cost_usd for step in trajectory.steps),
        ask_meters={ask.id: _ask_meters(ask) for ask in trajectory.asks},
        budget_meters=_budget_meters(trajectory.budget),
        charts=charts.trajectory_charts(trajectory),
    )


def bench_page(results: dict[str, Any], rows: dict[str, list[tuple[str, str, str]]]) -> str:
    """The HTML report of one benchmark run: its table rows and the charts each section's figures give."""
    sections = [
        {
            "name": name,
            "rows": rows.get(name, []),
            "charts": bench.section_charts(name, figures),
            "skipped": figures.get("skipped") if isinstance(figures, dict) else None,
            "figures": figures,
        }
        for name, figures in results.items()
        if name != "machine"
    ]
    return _render(
        "bench.html.j2",
        title="rlm-mcp benchmarks",
        machine=results.get("machine", {}),
        sections=sections,
        charts=[chart for section in sections for chart in section["charts"]],
    )


def write(path: Path, html: str) -> Path:
    """Write `html` to `path`, 0600 like the trajectory it shows (exec output); RLMError when it cannot be written."""
    try:
        write_private(path, html.encode("utf-8"))
    except OSError as exc:
        raise RLMError(f"cannot write the report to {path}: {exc.strerror or exc}; pass another -o path") from None
    return path


def _render(template: str, *, charts: list[charts.Chart], **context: Any) -> str:
    scripts = [_SOURCE_MAP.sub("", _asset(CHART_JS)).strip(), _asset("charts.js").strip()]
    policy = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in scripts)
    return _ENV.get_template(template).render(
        **context,
        charts=[chart.to_dict() for chart in charts],
        scripts=[Markup(script) for script in scripts],  # our own files, shipped in the package
        script_hashes=Markup(policy),  # base64 digests in quotes, ours
        style=Markup(_asset("report.css")),
        version=__version__,
        made=datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _asset(name: str) -> str:
    return (resources.files("rlm_mcp.report") / "static" / name).read_text(encoding="utf-8")


def _fit(steps: Iterable[Step], budget: int) -> None:
    """Cut the longest step texts, evenly, until all of them escape to at most `budget` characters."""
    blocks = [(step, index, len(escape(block.text))) for step in steps for index, block in enumerate(step.blocks)]
    sizes = sorted(size for _, _, size in blocks)
    cap, left = None, budget
    for position, size in enumerate(sizes):
        share = left // (len(sizes) - position)
        if size > share:
            cap = share
            break
        left -= size
    if cap is None:
        return
    for step, index, size in blocks:
        if size > cap:
            block = step.blocks[index]
            chars = max(cap * len(block.text) // size, 200)
            step.blocks[index] = replace(block, text=clip(block.text, chars, _WHOLE_TEXT))


def _ask_meters(ask: Ask) -> list[dict[str, Any]]:
    """An ask's spend against each of its limits."""
    end, limits = ask.end or {}, ask.limits
    usage = end["usage"] if isinstance(end.get("usage"), dict) else {}
    spent = {
        "max_iterations": ("iterations", end.get("iterations", len(ask.steps)), "{:,.0f}"),
        "max_seconds": ("seconds", end.get("elapsed_s"), "{:,.1f} s"),
        "max_tokens": ("tokens", usage.get("total_tokens"), "{:,.0f}"),
        "max_cost_usd": ("cost", usage.get("cost_usd"), "${:,.4f}"),
    }
    return [_meter(label, used, limits.get(name), shown) for name, (label, used, shown) in spent.items()]


def _budget_meters(budget: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The session's sub-call budgets: used = limit minus what the last tool call left."""
    if not budget:
        return []
    meters = []
    budgets = (("calls", "sub-calls", "{:,.0f}"), ("tokens", "tokens", "{:,.0f}"), ("cost_usd", "cost", "${:,.4f}"))
    for name, label, shown in budgets:
        limit, left = number(budget.get(f"max_{name}")), number(budget.get(f"remaining_{name}"))
        if limit is not None and left is not None:
            meters.append(_meter(label, limit - left, limit, shown))
    return meters


def _meter(label: str, used: Any, limit: Any, shown: str) -> dict[str, Any]:
    used_number, limit_number = number(used), number(limit)
    return {
        "label": label,
        "used": used_number,
        "limit": limit_number,
        "text": (shown.format(used_number) if used_number is not None else "?")
        + (f" of {shown.format(limit_number)}" if limit_number is not None else " (no limit)"),
        "over": used_number is not None and limit_number is not None and used_number >= limit_number,
    }


def _markdown(text: str) -> Markup:
    """A bench table cell: escaped, then its **bold** and `code` spans marked up."""

    def span(match: re.Match[str]) -> str:
        return f"<strong>{match.group(1)}</strong>" if match.group(1) is not None else f"<code>{match.group(2)}</code>"

    return Markup(_MARKDOWN.sub(span, str(escape(text))))  # spans of already escaped text


def _seconds(value: Any) -> str:
    if number(value) is None:
        return ""
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:,.1f} s" if value < 600 else f"{value / 60:,.1f} min"


def _moment(value: float | None) -> str:
    if value is None:
        return "?"
    return datetime.datetime.fromtimestamp(value, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _collapsed(text: str) -> bool:
    return len(text) > 1200 or text.count("\n") > LONG_TEXT_LINES


_ENV.filters.update(markdown=_markdown, seconds=_seconds, moment=_moment)
_ENV.tests.update(long=_collapsed)
