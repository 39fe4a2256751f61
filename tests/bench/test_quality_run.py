"""`python -m bench.quality --quick`: three arms on the quick questions with the scripted root, intervals printed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.quality import baseline, stats

ROOT = Path(__file__).resolve().parents[2]


def test_quick_runs_the_three_arms_and_prints_accuracy_with_intervals(tmp_path: Path) -> None:
    """Every arm answers every quick question; the scripted RLM arms are right, the cut baseline is not."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("RLM_") or "IMAGE" in name}
    env["RLM_CACHE_DIR"] = str(tmp_path / "cache")
    command = [sys.executable, "-m", "bench.quality", "--quick", "--out", str(tmp_path / "out")]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    summary = report["summary"]
    assert report["root_model"] == "scripted" and summary["rlm"]["n"] == summary["baseline"]["n"] >= 10
    assert summary["rlm"]["accuracy"] == summary["rlm_repl"]["accuracy"] == 1.0
    assert summary["baseline"]["accuracy"] < summary["baseline"]["accuracy_ci95"][1] <= 1.0
    rows = report["questions"]
    assert all(row["rlm"]["sub_calls"] > 0 and row["rlm_repl"]["sub_calls"] == 0 for row in rows)
    assert all(Path(row[arm]["trajectory"]).is_file() for row in rows for arm in ("rlm", "rlm_repl", "baseline"))
    assert "accuracy [95% CI]" in done.stdout and "long context, cut" in done.stdout and "REPL only" in done.stdout


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [(0, 10, 0.0, 0.2775), (5, 10, 0.2366, 0.7634), (10, 10, 0.7225, 1.0), (81, 263, 0.2553, 0.3662)],
)
def test_wilson_intervals_match_the_published_formula(successes: int, trials: int, low: float, high: float) -> None:
    """The Wilson score interval at 95%, checked against values computed by hand from the formula."""
    assert stats.wilson(successes, trials) == pytest.approx((low, high), abs=1e-4)


def test_the_bootstrap_interval_is_reproducible_and_holds_the_mean() -> None:
    """Same scores, same interval; the interval contains the mean, and one constant score has no width."""
    scores = [1.0, 0.0, 0.5, 0.75, 1.0, 0.0, 1.0, 0.5]
    low, high = stats.bootstrap_mean(scores)
    assert (low, high) == stats.bootstrap_mean(scores) and low < sum(scores) / len(scores) < high
    assert stats.bootstrap_mean([1.0] * 5) == (1.0, 1.0)


def test_the_baseline_prompt_fits_the_window_with_room_for_the_answer() -> None:
    """At 3 bytes a token the whole chat, the question included, leaves ANSWER_TOKENS of the window free."""
    sources = {f"copy0/m{n:03}.py": f"def f{n}():\n    return {n}\n" * 200 for n in range(200)}
    chat = baseline.messages(sources, "Which?", window_tokens=8000)
    size = sum(len(str(message["content"])) for message in chat)
    assert size <= (8000 - baseline.ANSWER_TOKENS) * baseline.PROMPT_BYTES_PER_TOKEN
    shown = baseline.visible_sources(str(chat[-1]["content"]))
    assert 0 < len(shown) < len(sources) and str(chat[-1]["content"]).endswith("<question>\nWhich?\n</question>")
