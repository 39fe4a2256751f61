"""Reports opened in a real headless Chromium: they draw without console errors and run nothing they show."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from rlm_mcp.report import bench_page, read, trajectory_page, write
from tests.report.conftest import Opened
from tests.report.recording import HOSTILE, write_long_trajectory

MAX_PAGE_BYTES = 5_000_000


def step_records(path: Path) -> int:
    """Lines of a trajectory that are steps: every record but an ask's start and end."""
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return sum(not (r["kind"] == "ask" and r["event"] in ("start", "end")) for r in records)


def test_a_recorded_session_opens_without_errors_with_one_timeline_entry_per_step(
    recorded_trajectory: Path, open_report: Callable[[Path], Opened], tmp_path: Path
) -> None:
    """A real session's report: no console errors, one entry per step, every chart drawn, a screenshot kept."""
    page_file = write(tmp_path / "report.html", trajectory_page(read(recorded_trajectory)))
    opened = open_report(page_file)
    assert opened.errors == []
    assert opened.page.locator("#steps > li").count() == step_records(recorded_trajectory)
    charts = opened.page.locator("canvas").count()
    assert charts >= 3 and opened.page.get_attribute("html", "data-rendered") == str(charts)
    assert opened.page.locator("#steps > li.failed").count() == 2  # the raising exec, the restart
    assert opened.page.locator("#steps > li.restart").count() == 1
    opened.page.click("text=expand all")
    screenshot = tmp_path / "trajectory-report.png"
    opened.page.screenshot(path=str(screenshot), full_page=True)
    print(f"screenshot: {screenshot}")
    assert screenshot.stat().st_size > 10_000


def test_hostile_sandbox_output_is_shown_as_text_and_never_runs(
    recorded_trajectory: Path, open_report: Callable[[Path], Opened], tmp_path: Path
) -> None:
    """`</script><script>alert(1)</script>` and an onerror image in sandbox output are text: no dialog, no element."""
    assert HOSTILE in recorded_trajectory.read_text()  # in outputs, code, the question and the answer's trail
    opened = open_report(write(tmp_path / "report.html", trajectory_page(read(recorded_trajectory))))
    opened.page.click("text=expand all")
    assert not [message for message in opened.messages if message.startswith("dialog")]
    assert opened.page.locator("img").count() == 0
    assert opened.page.locator("script").count() == 3  # the data island, Chart.js, ours
    assert HOSTILE in opened.page.locator("#steps").inner_text()
    assert HOSTILE in opened.page.locator(".question").inner_text()


def test_a_thousand_step_report_is_under_5_mb_and_its_render_time_is_printed(
    tmp_path: Path, open_report: Callable[[Path], Opened]
) -> None:
    """1,000 iterations with every text at the writer's cap still make a page under 5 MB that draws cleanly."""
    long = write_long_trajectory(tmp_path / "long.jsonl", steps=1000)
    page_file = write(tmp_path / "long.html", trajectory_page(read(long)))
    size = page_file.stat().st_size
    assert size < MAX_PAGE_BYTES
    opened = open_report(page_file)
    assert opened.errors == []
    assert opened.page.locator("#steps > li").count() == 1000
    print(f"1,000-step report: {size / 1e6:.2f} MB, loaded and drawn in {opened.seconds:.2f} s")


def test_the_benchmark_report_draws_every_section(open_report: Callable[[Path], Opened], tmp_path: Path) -> None:
    """A benchmark run's page: no console errors, a section per benchmark, its charts drawn."""
    from tests.bench.test_report import RESULTS

    opened = open_report(write(tmp_path / "bench.html", bench_page(RESULTS, {"exec": [("round trip", "1 ms", "")]})))
    assert opened.errors == []
    assert opened.page.locator("section.bench-section").count() == len(RESULTS) - 1
    charts = opened.page.locator("canvas").count()
    assert charts >= 5 and opened.page.get_attribute("html", "data-rendered") == str(charts)
