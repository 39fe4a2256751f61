"""Charts of a benchmark run, inferred from the figures' shape: ours against each baseline of the same run."""

from __future__ import annotations

from rlm_mcp.report.bench import section_charts, unit_of
from tests.bench.test_report import RESULTS


def titles(name: str, figures: object) -> list[str]:
    return [chart.title for chart in section_charts(name, figures)]


def test_units_come_from_key_suffixes() -> None:
    """_ms, _s, _mb, _mb_s and ratios name their unit; a plain count has none."""
    assert [unit_of(key) for key in ("p50_ms", "cold_load_s", "peak_mb", "partition_mb_s", "speedup_empty")] == [
        "ms",
        "s",
        "MB",
        "MB/s",
        "x",
    ]
    assert unit_of("files") is None


def test_ours_and_the_reference_share_one_chart_per_unit() -> None:
    """reference vs ours: one chart of their shared seconds, one of their shared latencies, log scale for 300x."""
    charts = {chart.title: chart for chart in section_charts("reference", RESULTS["reference"])}
    latency = charts["reference: reference vs ours (ms)"]
    assert latency.labels == ["empty.p50_ms", "loaded.p50_ms"]
    assert [series.name for series in latency.series] == ["reference", "ours"]
    assert latency.series[0].values == [170.0, 1000.0] and latency.log
    assert charts["reference: reference vs ours (s)"].labels == ["start_s", "load_s"]
    assert "reference.reference.empty (ms)" not in charts  # the compared records are not charted again alone


def test_a_records_own_figures_of_one_unit_make_one_chart() -> None:
    """fanout's raw HTTP, litellm and broker times side by side; corpus's cold, warm and incremental loads."""
    fanout = {chart.title: chart for chart in section_charts("fanout", RESULTS["fanout"])}
    assert fanout["fanout (ms)"].labels == ["overhead_ms", "raw_http_ms", "litellm_ms", "broker_ms"]
    corpus = {chart.title: chart for chart in section_charts("corpus", RESULTS["corpus"])}
    assert {"cold_load_s", "warm_reload_s", "incremental_reload_s"} <= set(corpus["corpus (s)"].labels)


def test_a_new_section_is_charted_without_code_for_it() -> None:
    """A section nobody told the report about: sibling records, and rows by their first distinct key."""
    figures = {
        "ours": {"p50_ms": 1.0, "found": 10},
        "ripgrep": {"p50_ms": 3.0, "found": 10},
        "rows": [{"items": 1000, "wall_s": 1.0, "peak_mb": 5.0}, {"items": 100000, "wall_s": 9.0, "peak_mb": 50.0}],
    }
    assert titles("search", figures) == [
        "search: ours vs ripgrep (ms)",
        "search: ours vs ripgrep",
        "search.rows by items (s)",
        "search.rows by items (MB)",
    ]


def test_a_skipped_section_has_no_chart() -> None:
    """A section that could not run is shown by its reason only."""
    assert section_charts("memory", {"skipped": "no docker"}) == []
