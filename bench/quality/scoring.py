"""Scores in [0, 1] for an answer against a task's expected answer, as in the RLM paper.

exact: the expected code appears in the answer as a whole token; numeric: 0.75 ** |error| on the
first integer of the answer (OOLONG); one_of: the first path named is one of the expected ones
(ties); f1: the F1 of the listed items (one per line) against the expected items.
"""

from __future__ import annotations

import re

from .tasks import Scoring

_INTEGER = re.compile(r"-?\d[\d,]*")
_PATH = re.compile(r"[\w./-]+\.py")
_LIST_MARK = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s*")


def score(scoring: Scoring, answer: str, expected: str) -> float:
    """How well `answer` matches `expected` under `scoring`."""
    if scoring == "exact":
        return float(re.search(rf"(?<![\w-]){re.escape(expected)}(?![\w-])", answer) is not None)
    if scoring == "numeric":
        found = _INTEGER.search(answer)
        return 0.75 ** abs(int(found.group().replace(",", "")) - int(expected)) if found else 0.0
    if scoring == "one_of":
        named = _PATH.search(answer)
        return float(named is not None and named.group() in expected.splitlines())
    return f1(items(answer), set(expected.splitlines()) - {""})


def items(answer: str) -> set[str]:
    """The items of a one-per-line answer: list marks, backticks, quotes and trailing prose dropped."""
    found = set()
    for line in answer.splitlines():
        words = _LIST_MARK.sub("", line).strip().strip("`'\"").split()
        if words:
            found.add(words[0].strip("`'\",;"))
    return found


def f1(predicted: set[str], expected: set[str]) -> float:
    """The F1 of two sets; two empty sets agree perfectly."""
    if not predicted and not expected:
        return 1.0
    hits = len(predicted & expected)
    if not hits:
        return 0.0
    precision, recall = hits / len(predicted), hits / len(expected)
    return 2 * precision * recall / (precision + recall)
