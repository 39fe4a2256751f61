"""Charts of a benchmark run (bench/results/latest.json), inferred from the shape of each section's figures.

Sections are added by many hands, so nothing here names one. Units come from key suffixes (`_ms`,
`_s`, `_mb`, `_mb_s`, ratios); sibling records that share figures (`ours` and `reference`, `docker`
and `local`, `idle` and `attacked`) become one grouped chart, ours against each baseline of the same
run; a record's own figures of one unit become one chart; a list of rows becomes one chart per unit.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from typing import Any

from rlm_mcp.report.charts import Chart, Series, Value
from rlm_mcp.report.steps import number

_UNITS = (
    (re.compile(r"(^|_)mb_s$"), "MB/s"),
    (re.compile(r"(^|_)ms$"), "ms"),
    (re.compile(r"(^|_)mb$"), "MB"),
    (re.compile(r"(^|_)(s|seconds)$"), "s"),
    (re.compile(r"ratio|speedup|_vs_|(^|_)x$"), "x"),
    (re.compile(r"precision|recall|share|rate"), "share"),
)
_SKIPPED = {"n", "cores", "quick"}
"""Keys that are a sample count or a setting, not a figure worth a bar."""
_LOG_SPREAD = 30.0
"""A chart whose largest bar is this many times its smallest gets a log scale."""


def unit_of(key: str) -> str | None:
    """The unit a figure's key names, or None for a plain count or anything else."""
    for pattern, unit in _UNITS:
        if pattern.search(key):
            return unit
    return None


def section_charts(name: str, figures: Any) -> list[Chart]:
    """Every chart the figures of section `name` give, in the order their records appear."""
    if not isinstance(figures, dict) or "skipped" in figures:
        return []
    return list(_charts(name, name, figures))


def _charts(section: str, where: str, record: dict[str, Any]) -> Iterator[Chart]:
    yield from _own_figures(section, where, record)
    compared = yield from _siblings(section, where, record)
    for key, value in record.items():
        if isinstance(value, dict) and key not in compared:
            yield from _charts(section, f"{where}.{key}", value)
        elif isinstance(value, list) and len(value) > 1:
            yield from _rows(section, f"{where}.{key}", value)


def _own_figures(section: str, where: str, record: dict[str, Any]) -> Iterator[Chart]:
    """A record's own numbers, one chart per unit with two or more of them."""
    by_unit: dict[str, list[tuple[str, float]]] = {}
    for key, value in record.items():
        unit = unit_of(key)
        if unit is not None and number(value) is not None and key not in _SKIPPED:
            by_unit.setdefault(unit, []).append((key, float(value)))
    for unit, figures in by_unit.items():
        if len(figures) > 1:
            values: list[Value] = [value for _, value in figures]
            yield _chart(f"{where} ({unit})", [key for key, _ in figures], [Series(section, values)], unit)


def _siblings(section: str, where: str, record: dict[str, Any]) -> Generator[Chart, None, set[str]]:
    """Records side by side (ours, a baseline): figures two or more share, by unit; returns their names."""
    children = {key: _leaves(value) for key, value in record.items() if isinstance(value, dict)}
    if len(children) < 2:
        return set()
    shared: dict[str, list[str]] = {}
    for path in dict.fromkeys(path for leaves in children.values() for path in leaves):
        holders = [name for name, leaves in children.items() if path in leaves]
        if len(holders) > 1 and path.rsplit(".", 1)[-1] not in _SKIPPED:
            shared.setdefault(unit_of(path.rsplit(".", 1)[-1]) or "", []).append(path)
    names = [
        name for name, leaves in children.items() if any(path in leaves for paths in shared.values() for path in paths)
    ]
    for unit, paths in shared.items():
        series = [Series(name, [children[name].get(path) for path in paths]) for name in names]
        yield _chart(f"{where}: {' vs '.join(names)}" + (f" ({unit})" if unit else ""), paths, series, unit)
    return set(names)


def _rows(section: str, where: str, rows: list[Any]) -> Iterator[Chart]:
    """A list of rows (one per size, say) along x by its first distinct numeric key; or a list of numbers."""
    if all(number(value) is not None for value in rows):
        yield _chart(where, [str(i + 1) for i in range(len(rows))], [Series(section, [float(v) for v in rows])], "")
        return
    if not all(isinstance(row, dict) for row in rows):
        return
    keys = [key for key in rows[0] if all(number(row.get(key)) is not None for row in rows)]
    along = next((key for key in keys if len({row[key] for row in rows}) == len(rows)), None)
    if along is None:
        return
    by_unit: dict[str, list[str]] = {}
    for key in keys:
        if key != along and key not in _SKIPPED:
            by_unit.setdefault(unit_of(key) or "", []).append(key)
    labels = [f"{along} {row[along]:,}" for row in rows]
    for unit, names in by_unit.items():
        series = [Series(key, [float(row[key]) for row in rows]) for key in names]
        yield _chart(f"{where} by {along}" + (f" ({unit})" if unit else ""), labels, series, unit)


def _leaves(record: dict[str, Any], prefix: str = "") -> dict[str, Value]:
    """Numeric figures under `record`, by dotted path."""
    found: dict[str, Value] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            found.update(_leaves(value, f"{prefix}{key}."))
        elif number(value) is not None:
            found[f"{prefix}{key}"] = float(value)
    return found


def _chart(title: str, labels: list[str], series: list[Series], unit: str) -> Chart:
    positive = [v for s in series for v in s.values if v is not None and v > 0]
    log = bool(positive) and max(positive) / min(positive) >= _LOG_SPREAD
    return Chart(title, labels, series, unit=unit, log=log)
