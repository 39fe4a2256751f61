"""grep over the loaded context, with path:line results (standard library only)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable


class Hit:
    """One matching line: path, 1-based line number, the line's text (and optional neighbours)."""

    __slots__ = ("line", "match", "path", "text")

    def __init__(self, path: str, line: int, text: str, match: str) -> None:
        self.path, self.line, self.text, self.match = path, line, text, match

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def __repr__(self) -> str:
        return f"{self.where}: {self.text.strip()[:200]}"


def compile_pattern(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """Compile or explain: the message names the problem and the fix."""
    try:
        return re.compile(pattern, re.MULTILINE | (re.IGNORECASE if ignore_case else 0))
    except re.error as exc:
        raise ValueError(
            f"invalid regular expression {pattern!r}: {exc}. Escape literal text with re.escape(...) "
            "or pass fixed=True."
        ) from None


def grep_texts(texts: Iterable[tuple[str, str]], pattern: re.Pattern[str], max_hits: int) -> tuple[list[Hit], bool]:
    """Matching lines over (path, text) pairs, first hit per line, in file order; (hits, truncated)."""
    hits: list[Hit] = []
    for path, text in texts:
        starts: list[int] | None = None
        last_line = -1
        for found in pattern.finditer(text):
            if starts is None:
                starts = _line_starts(text)
            index = bisect.bisect_right(starts, found.start()) - 1
            if index == last_line:
                continue
            last_line = index
            end = starts[index + 1] - 1 if index + 1 < len(starts) else len(text)
            hits.append(Hit(path, index + 1, text[starts[index] : end], found.group(0)))
            if len(hits) >= max_hits:
                return hits, True
    return hits, False


def _line_starts(text: str) -> list[int]:
    starts = [0]
    position = text.find("\n")
    while position != -1:
        starts.append(position + 1)
        position = text.find("\n", position + 1)
    return starts
