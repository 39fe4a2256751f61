"""Reading a trajectory into steps: what the writer records is what the report shows, each sub-call counted once."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from rlm_mcp.errors import RLMError
from rlm_mcp.report import newest, read, trajectory_page
from rlm_mcp.report.page import PAGE_TEXT_CHARS
from tests.report.recording import write_long_trajectory


def lines(path: Path, *records: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def usage(calls: int, **more: Any) -> dict[str, Any]:
    return {"calls": calls, "total_tokens": 10 * calls, "cost_usd": 0.01 * calls, **more}


def test_a_recorded_session_reads_as_its_tool_calls_and_iterations(recorded_trajectory: Path) -> None:
    """Every tool call and ask iteration is a step; the ask keeps its question, answer and limits."""
    trajectory = read(recorded_trajectory)
    titles = [step.title for step in trajectory.steps]
    assert titles[:4] == ["rlm_load_context", "rlm_exec", "rlm_exec", "rlm_query"]
    assert titles[4:7] == ["iteration 1", "iteration 2", "iteration 3"]
    assert titles[7:] == ["rlm_ask", "rlm_exec"]
    [ask] = trajectory.asks
    assert ask.finished and ask.answer.startswith("3 functions") and ask.limits["max_iterations"] > 0
    assert ask.steps == [5, 6, 7] and ask.wrapped


def test_errors_restarts_and_fan_outs_are_taken_from_the_record(recorded_trajectory: Path) -> None:
    """The raising exec and the restart are flagged; the fan-out has its failure and its latencies."""
    steps = read(recorded_trajectory).steps
    raising, query, restart = steps[2], steps[3], steps[8]
    assert raising.error == "the code raised" and not raising.restart
    assert restart.restart and restart.error is not None and restart.error.startswith("SandboxRestarted")
    assert query.sub is not None and (query.sub.calls, query.sub.failures) == (2, 1)
    assert query.sub.latency["n"] == 2 and sum(query.sub.latency["counts"]) == 2
    iteration = steps[5]
    assert iteration.root_s is not None and iteration.exec_s is not None and iteration.sub is not None
    assert iteration.sub.calls == 3


def test_sub_calls_of_an_ask_inside_a_tool_call_are_counted_once(tmp_path: Path) -> None:
    """The rlm_ask tool line repeats its iterations' sub-calls: the total counts them once."""
    path = lines(
        tmp_path / "t.jsonl",
        {"kind": "ask", "ask": "a", "event": "start", "question": "q"},
        {"kind": "ask", "ask": "a", "event": "iteration", "iteration": 1, "sub_calls": usage(3)},
        {"kind": "ask", "ask": "a", "event": "end", "answer": "x", "finished": True},
        {"kind": "tool", "tool": "rlm_ask", "arguments": {}, "output": "x", "sub_calls": usage(3)},
        {"kind": "tool", "tool": "rlm_query", "arguments": {}, "output": "y", "sub_calls": usage(2)},
    )
    assert read(path).sub_call_total().calls == 5


def test_an_ask_run_outside_a_tool_call_counts_its_iterations(tmp_path: Path) -> None:
    """`rlm-mcp ask` writes iterations and no tool lines: their sub-calls are the total."""
    path = lines(
        tmp_path / "ask.jsonl",
        {"kind": "ask", "ask": "a", "event": "iteration", "iteration": 1, "sub_calls": usage(3)},
        {"kind": "ask", "ask": "a", "event": "iteration", "iteration": 2, "sub_calls": usage(4)},
    )
    trajectory = read(path)
    assert trajectory.sub_call_total().calls == 7
    assert trajectory.asks[0].end is None  # the file stops before the ask did


def test_broken_and_unknown_lines_are_counted_or_shown_never_fatal(tmp_path: Path) -> None:
    """A line that is not JSON is counted; a record of an unknown kind, or with odd fields, is still a step."""
    path = tmp_path / "odd.jsonl"
    path.write_text('not json\n[1, 2]\n{"kind": "future", "x": 1}\n{"kind": "tool", "tool": 7, "sub_calls": "?"}\n')
    trajectory = read(path)
    assert trajectory.unreadable == 2
    assert [step.kind for step in trajectory.steps] == ["other", "tool"]
    assert "<html" in trajectory_page(trajectory)


def test_newest_picks_the_latest_written_file_and_says_when_there_is_none(tmp_path: Path) -> None:
    """--latest reads the most recently written .jsonl; an empty folder is an error naming the setting."""
    with pytest.raises(RLMError, match="RLM_TRAJECTORY_DIR"):
        newest(tmp_path)
    older, younger = lines(tmp_path / "b.jsonl", {}), lines(tmp_path / "a.jsonl", {})
    os.utime(older, (1_000, 1_000))
    os.utime(younger, (2_000, 2_000))
    assert newest(tmp_path) == younger


def test_long_texts_are_cut_evenly_to_the_page_budget(tmp_path: Path) -> None:
    """1,000 steps of full-size texts are cut to the page's text budget, each cut naming the trajectory file."""
    trajectory = read(write_long_trajectory(tmp_path / "long.jsonl", steps=1000))
    page = trajectory_page(trajectory)
    shown = sum(len(block.text) for step in trajectory.steps for block in step.blocks)
    assert shown < PAGE_TEXT_CHARS
    assert page.count("the whole text is in the trajectory file") >= 1000
