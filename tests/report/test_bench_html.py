"""`python -m bench --html FILE`: the figures of the last run drawn as one page, no benchmark run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import main
from tests.bench.test_report import RESULTS


def test_html_draws_the_figures_file_into_one_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Each section gets its table rows and its charts; the page's path is printed."""
    figures = tmp_path / "latest.json"
    figures.write_text(json.dumps(RESULTS))
    assert main(["--json", str(figures), "--html", str(tmp_path / "bench.html")]) == 0
    html = (tmp_path / "bench.html").read_text()
    assert capsys.readouterr().out.strip() == str(tmp_path / "bench.html")
    assert html.count('<section class="bench-section"') == len(RESULTS) - 1
    assert "reference: reference vs ours (ms)" in html and "<strong>500x faster</strong>" in html


def test_html_without_figures_says_to_run_the_suite_first(tmp_path: Path) -> None:
    """No figures file yet: the message says to run the suite or name the file."""
    with pytest.raises(SystemExit, match="run the suite first"):
        main(["--json", str(tmp_path / "none.json"), "--html", str(tmp_path / "bench.html")])


def test_html_runs_nothing_so_it_takes_no_suite_flags(tmp_path: Path) -> None:
    """--html with --quick, --only or --update-readme is refused rather than half obeyed."""
    with pytest.raises(SystemExit):
        main(["--quick", "--html", str(tmp_path / "bench.html")])
