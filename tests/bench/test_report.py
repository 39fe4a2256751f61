"""The suite's report: one markdown table from the figures, written into the README between markers."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from bench.__main__ import END_MARKER, START_MARKER, main, render, update_readme

_LATENCY = {"p50_ms": 0.4, "p99_ms": 3.0, "n": 200}
RESULTS: dict[str, Any] = {
    "machine": {
        "date": "2026-01-02",
        "command": "python -m bench --quick",
        "cores": 2,
        "platform": "Linux x86_64",
        "python": "3.11.7",
        "docker": "20.10",
        "base_image": "rlm-mcp-base:bookworm",
        "duration_s": 30.0,
    },
    "exec": {
        "local": {**_LATENCY, "p50_ms": 0.12, "start_to_first_exec_s": 0.05},
        "docker": {
            **_LATENCY,
            "start_to_first_exec_s": 0.25,
            "docker_exec": {"p50_ms": 100.0, "p99_ms": 150.0, "n": 20},
            "speedup_vs_docker_exec": 250.0,
        },
    },
    "corpus": {
        "text_bytes": 4_000_000,
        "files": 149,
        "tokens": 1_000_000,
        "workers": 2,
        "cold_load_s": 1.0,
        "cold_load_one_worker_s": 1.6,
        "workers_vs_one": 0.62,
        "raw_parse_s": 0.9,
        "raw_parse_workers_s": 0.5,
        "cold_vs_raw_parse": 1.1,
        "cold_vs_raw_parse_same_workers": 2.0,
        "warm_reload_s": 0.03,
        "raw_parse_mb_s": 8.0,
        "partition_mb_s": 6.0,
        "partition_vs_parse": 1.3,
        "incremental_reload_s": 0.05,
        "incremental_parsed_files": 1,
        "index_memory_mb": 2.0,
        "index_memory_vs_corpus": 0.5,
    },
    "fanout": {
        "latency_s": 0.2,
        "rows": [{"calls": 200, "concurrency": 32, "wall_s": 1.5, "ideal_s": 1.25, "ratio": 1.2, "raw_ratio": 1.1}],
        "overhead_ms": 3.5,
        "raw_http_ms": 0.9,
        "litellm_ms": 3.0,
        "broker_ms": 3.4,
    },
    "memory": {
        "tokens": 1_000_000,
        "backend": "docker",
        "server_before_load_mb": 77.0,
        "server_peak_rss_mb": 84.0,
        "sandbox_peak_rss_mb": 21.0,
        "container_peak_mb": None,
    },
    "reference": {
        "context_bytes": 20_000_000,
        "reference": {"start_s": 0.5, "load_s": 1.0, "empty": {"p50_ms": 170.0}, "loaded": {"p50_ms": 1000.0}},
        "ours": {"start_s": 0.25, "load_s": 0.5, "empty": {"p50_ms": 0.34}, "loaded": {"p50_ms": 0.5}},
        "speedup_empty": 500.0,
        "speedup_loaded": 2000.0,
    },
}


def test_render_makes_one_table_with_a_row_per_figure() -> None:
    """Caption, header, and the rows of every section, with the reference ratios in bold."""
    lines = render(RESULTS).splitlines()
    assert lines[0].startswith("`python -m bench --quick` on 2 cores, 2026-01-02")
    table = [line for line in lines if line.startswith("|")]
    assert len(table) == len(lines) - 2  # the caption and one blank line, then only table rows
    assert len(table) == 2 + 4 + 6 + 2 + 2 + 3
    assert any("**500x faster** (target 20x)" in row for row in table)
    assert any("**2000x faster** (target 100x)" in row for row in table)


def test_a_skipped_section_keeps_its_row_and_reason() -> None:
    """A section that could not run shows why, and the other sections still render."""
    results = copy.deepcopy(RESULTS)
    results["reference"] = {"skipped": "RuntimeError: pip install failed | no network"}
    text = render(results)
    assert "| reference | skipped | RuntimeError: pip install failed / no network |" in text
    assert "exec round trip, docker backend" in text


def test_a_section_whose_figures_changed_points_to_the_json() -> None:
    """A script that renamed a figure does not break the table."""
    results = copy.deepcopy(RESULTS)
    del results["fanout"]["overhead_ms"]
    assert "| fanout | see the JSON file | no figure 'overhead_ms' to show |" in render(results)


def test_update_readme_replaces_only_the_marked_block(tmp_path: Path) -> None:
    """Text outside the markers is kept; the old table between them is gone."""
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\n{START_MARKER}\nold table\n{END_MARKER}\n\n## next\n")
    update_readme("new table", readme)
    assert readme.read_text() == f"# title\n\n{START_MARKER}\nnew table\n{END_MARKER}\n\n## next\n"


def test_update_readme_without_markers_fails_clearly(tmp_path: Path) -> None:
    """A README without the markers is left alone, with an error naming them."""
    readme = tmp_path / "README.md"
    readme.write_text("# title\n")
    with pytest.raises(SystemExit, match="bench:start"):
        update_readme("new table", readme)
    assert readme.read_text() == "# title\n"


def test_update_readme_refuses_a_partial_suite() -> None:
    """The README table always comes from the whole suite."""
    with pytest.raises(SystemExit):
        main(["--only", "corpus", "--update-readme"])
