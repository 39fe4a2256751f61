"""What the trajectory writer records for the report, read from the raw JSONL of a real session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_each_step_records_its_sub_call_latencies(recorded_trajectory: Path) -> None:
    """A fan-out's line holds the count, quantiles and bucket counts of its answered calls' latencies."""
    query = next(r for r in records(recorded_trajectory) if r.get("tool") == "rlm_query")
    latency = query["sub_calls"]["latency_s"]
    assert latency["n"] == 2 and 0 < latency["p50"] <= latency["max"]
    assert len(latency["counts"]) == len(latency["edges"]) + 1 and sum(latency["counts"]) == 2


def test_an_iteration_records_the_root_call_and_each_code_run(recorded_trajectory: Path) -> None:
    """The root call's time, and per code block its time, error type and whether it timed out."""
    iteration = next(r for r in records(recorded_trajectory) if r.get("event") == "iteration")
    assert iteration["root"]["elapsed_s"] > 0
    [run] = iteration["exec"]
    assert run["error"] is None and run["timed_out"] is False and run["elapsed_s"] > 0


def test_a_tool_line_holds_the_text_the_agent_got_and_the_session_budget(recorded_trajectory: Path) -> None:
    """The output is the text returned (not an object's repr); a raising exec says ok false; budgets come along."""
    lines = [r for r in records(recorded_trajectory) if r.get("tool") == "rlm_exec"]
    assert lines[0]["output"].startswith("[stdout]") and lines[0]["ok"] is True
    assert lines[1]["ok"] is False and "[error] ValueError" in lines[1]["output"]
    assert lines[0]["budget"]["max_calls"] == 50


def test_a_tool_error_names_the_kind_behind_it(recorded_trajectory: Path) -> None:
    """A sandbox that died mid-exec is recorded as SandboxRestarted, not as the MCP layer's ToolError."""
    restart = [r for r in records(recorded_trajectory) if r.get("tool") == "rlm_exec"][-1]
    assert restart["error"].startswith("SandboxRestarted: ")
