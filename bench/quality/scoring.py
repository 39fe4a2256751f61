"""Scores in [0, 1] for an answer against a task's expected answer, as in the RLM paper.

exact: one expected line appears in the answer as a whole token; numeric: 0.75 ** |error| on the
first integer of the answer (OOLONG); one_of: the first path named is one of the expected ones
(ties); f1: the F1 of the listed items (one per line) against the expected items; pairs / edges:
the F1 of the `A <-> B` (unordered) or `A -> B` (ordered) pairs listed, one per line (OOLONG-Pairs);
choice: the letter picked (a bare letter, "answer is (B)", or the first "(B)"), as LongBench-v2 does.
"""

from __future__ import annotations

import re

from .questions import Scoring

_INTEGER = re.compile(r"-?\d[\d,]*")
_MAX_DIGITS = 18
"""A longer number is wrong for any count (and would overflow 0.75 ** error, or int())."""
_PATH = re.compile(r"[\w./-]+\.py")
_PAIR_SEPARATOR = re.compile(r"<->|<=>|->|=>|\u2192|\u2194|,")
_NAMES = re.compile(r"[A-Za-z_][\w./-]*\w|[A-Za-z_]")
_CHOICES = (
    re.compile(r"^\W*\(?([A-D])\)?\W*$"),
    re.compile(r"answer is:?\s*\(?([A-D])\b", re.IGNORECASE),
    re.compile(r"\(([A-D])\)"),
)
_LIST_MARK = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s*")


def score(scoring: Scoring, answer: str, expected: str) -> float:
    """How well `answer` matches `expected` under `scoring`."""
    if scoring == "exact":
        return float(any(re.search(rf"(?<![\w-]){re.escape(line)}(?![\w-])", answer) for line in expected.splitlines()))
    if scoring == "numeric":
        found = _INTEGER.search(answer)
        digits = found.group().replace(",", "") if found else ""
        return 0.75 ** abs(int(digits) - int(expected)) if 0 < len(digits) <= _MAX_DIGITS else 0.0
    if scoring == "one_of":
        named = _PATH.search(answer)
        return float(named is not None and named.group() in expected.splitlines())
    if scoring == "choice":
        return float(choice(answer) == expected.strip().upper())
    if scoring in ("pairs", "edges"):
        ordered = scoring == "edges"
        return f1(pairs(answer, ordered), pairs(expected, ordered))
    return f1(items(answer), set(expected.splitlines()) - {""})


def choice(answer: str) -> str | None:
    """The letter A-D a multiple-choice answer picks, or None."""
    for pattern in _CHOICES:
        found = pattern.search(answer)
        if found:
            return found.group(1)
    return None


def pairs(answer: str, ordered: bool) -> set[str]:
    """The `A <-> B` / `A -> B` (or `A, B`) pairs of a one-per-line answer, as canonical `A -> B` text."""
    found = set()
    for line in answer.splitlines():
        sides = _PAIR_SEPARATOR.split(line, maxsplit=1)
        if len(sides) != 2:
            continue
        left, right = _NAMES.findall(sides[0]), _NAMES.findall(sides[1])
        if left and right and left[-1] != right[0]:
            a, b = left[-1], right[0]
            found.add(f"{a} -> {b}" if ordered or a < b else f"{b} -> {a}")
    return found


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
