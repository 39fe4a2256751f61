"""External question sets, read from the files users download: LongBench-v2's code subset and RepoQA's needles."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bench.quality import external
from bench.quality.scoring import choice, score
from bench.quality.suite import run
from rlm_mcp.config import Settings
from rlm_mcp.errors import RLMError

SAMPLES = Path(external.__file__).parent / "samples"


def test_longbench_keeps_the_code_repository_items_with_their_choices() -> None:
    """Only the Code Repository Understanding domain is kept; the context is one file, the answer a letter."""
    (item,) = external.load("longbench", SAMPLES / "longbench_v2.json")
    assert item.question.expected == "C" and item.question.scoring == "choice"
    assert "(C) clamp" in item.question.question and "letter" in item.question.question
    assert list(item.files) == ["context.txt"] and "def percent" in item.files["context.txt"]


def test_repoqa_asks_one_question_per_needle_over_the_repository_files() -> None:
    """Each needle's description becomes a question over the repository's files, answered by the name."""
    items = external.load("repoqa", SAMPLES / "repoqa.json")
    assert [item.question.expected for item in items] == ["scale", "percent"]
    assert all(set(item.files) == {"tiny/numbers.py", "tiny/report.py"} for item in items)
    assert "Multiplies every number" in items[0].question.question


def test_a_gzipped_release_file_reads_the_same(tmp_path: Path) -> None:
    """RepoQA ships `.jsonl.gz`: the gzip of the same object loads to the same items."""
    packed = tmp_path / "repoqa-2024-04-20.jsonl.gz"
    packed.write_bytes(gzip.compress((SAMPLES / "repoqa.json").read_bytes()))
    assert external.load("repoqa", packed) == external.load("repoqa", SAMPLES / "repoqa.json")


def test_a_file_in_another_format_is_refused_with_what_was_expected(tmp_path: Path) -> None:
    """A LongBench file passed as RepoQA (or a missing file) is an RLMError naming the format."""
    with pytest.raises(RLMError, match="not in the repoqa format"):
        external.load("repoqa", SAMPLES / "longbench_v2.json")
    with pytest.raises(RLMError, match="cannot read the longbench file"):
        external.load("longbench", tmp_path / "missing.json")


@pytest.mark.parametrize("path", ["../outside.py", "/tmp/outside.py", "a/../../outside.py", ""])
def test_a_repoqa_path_that_leaves_the_repository_folder_is_refused(tmp_path: Path, path: str) -> None:
    """The suite writes each repository's files under its own folder: a path escaping it is an RLMError."""
    hostile = tmp_path / "repoqa.json"
    repository = {"repo": "x/y", "content": {path: "def f(): pass\n"}, "needles": [{"name": "f", "description": "d"}]}
    hostile.write_text(json.dumps({"python": [repository]}))
    with pytest.raises(RLMError, match="would leave the repository's folder"):
        external.load("repoqa", hostile)


@pytest.mark.parametrize(
    ("answer", "letter"),
    [("C", "C"), ("(B).", "B"), ("The correct answer is (D)", "D"), ("I pick (A) because", "A"), ("A guess", None)],
)
def test_a_choice_is_read_as_longbench_reads_it(answer: str, letter: str | None) -> None:
    """A bare letter, 'answer is (X)', or the first '(X)'; prose starting with the article A picks nothing."""
    assert choice(answer) == letter
    assert score("choice", answer, "C") == float(letter == "C")


def test_external_sets_run_through_the_three_arms(tmp_path: Path, make_settings: Callable[..., Settings]) -> None:
    """Each item is its own tree; the report sums them per set, and every arm leaves a trajectory per item."""
    sets = [("repoqa", SAMPLES / "repoqa.json"), ("longbench", SAMPLES / "longbench_v2.json")]
    report = run(False, settings=make_settings(backend="local"), out=tmp_path / "out", external=sets, log=print)
    assert list(report["groups"]) == ["repoqa", "longbench"]
    assert [report["by_group"][name]["rlm"]["n"] for name in ("repoqa", "longbench")] == [2, 1]
    rows = report["questions"]
    assert all(Path(row[arm]["trajectory"]).is_file() for row in rows for arm in ("rlm", "rlm_repl", "baseline"))
    assert {row["rlm"]["stop_reason"] for row in rows} == {"answered"}
