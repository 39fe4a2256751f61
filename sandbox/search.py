"""grep over the loaded context, with path:line results (standard library only).

Lines are counted by "\\n" alone, as chunks, `read` and the host's line counts do, so a hit's
line number names the same line everywhere (a form feed, lone CR or U+2028 starts no line).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from typing import Any

MAX_CONTEXT = 50
"""The most neighbouring lines `grep(context=N)` shows on each side of a hit."""


class Hit:
    """One matching line: path, 1-based line number, its text, the match, and neighbours when asked."""

    __slots__ = ("after", "before", "line", "match", "path", "text")

    def __init__(
        self, path: str, line: int, text: str, match: str, before: tuple[str, ...] = (), after: tuple[str, ...] = ()
    ) -> None:
        self.path, self.line, self.text, self.match = path, line, text, match
        self.before, self.after = before, after

    @property
    def where(self) -> str:
        """`path:line`, the citation form."""
        return f"{self.path}:{self.line}"

    @property
    def lines(self) -> str:
        """The hit with its neighbouring lines, numbered as grep -n -C does (`:` the hit, `-` context)."""
        first = self.line - len(self.before)
        numbered = [
            f"{self.path}:{first + offset}{':' if first + offset == self.line else '-'} {text}"
            for offset, text in enumerate((*self.before, self.text, *self.after))
        ]
        return "\n".join(numbered)

    def __repr__(self) -> str:
        if self.before or self.after:
            return self.lines
        return f"{self.where}: {self.text.strip()[:200]}"


def split_lines(text: str) -> list[str]:
    """The lines of `text` with their "\n" (the last may lack one), split at "\n" only."""
    lines = text.split("\n")
    last = lines.pop()
    return [line + "\n" for line in lines] + ([last] if last else [])


def compile_pattern(pattern: str, ignore_case: bool, multiline: bool = False) -> re.Pattern[str]:
    """Compile or explain: the message names the problem and the fix."""
    flags = re.MULTILINE | (re.IGNORECASE if ignore_case else 0) | (re.DOTALL if multiline else 0)
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise ValueError(
            f"invalid regular expression {pattern!r}: {exc}. Escape literal text with re.escape(...) "
            "or pass fixed=True."
        ) from None


def grep_texts(
    texts: Iterable[tuple[str, str]],
    pattern: re.Pattern[str],
    max_hits: int,
    *,
    context: int = 0,
    multiline: bool = False,
) -> tuple[list[Hit], bool]:
    """Matching lines over (path, text) pairs, first hit per line, in file order; (hits, truncated).

    A match lies within one line unless `multiline`, when it may span lines (the hit is its first line).
    """
    hits: list[Hit] = []
    finder = None if multiline else _literal_finder(pattern)
    for path, text in texts:
        line, counted_to = 1, 0
        matches = _line_matches(text, pattern, multiline) if finder is None else _lines_holding(text, pattern, finder)
        for start, end, found in matches:
            line, counted_to = line + text.count("\n", counted_to, start), start
            before, after = _neighbours(text, start, end, context)
            hits.append(Hit(path, line, _strip_cr(text[start:end]), found, before, after))
            if len(hits) >= max_hits:
                return hits, True
    return hits, False


_LINE_END_SENSITIVE = ("\\Z", "(?=", "(?!")
"""Pattern parts that may match at a line's end yet not in the whole text (`$` too, before a CR)."""


def _line_matches(text: str, pattern: re.Pattern[str], multiline: bool) -> Iterable[tuple[int, int, str]]:
    """(line start, line end, matched text) of each line holding a match, in order.

    The whole-text search finds the leftmost possible start fast; the line it falls on is then
    searched alone (bounded by `endpos`), so no match crosses a newline, and the scan resumes on the
    next line, so a match that crossed lines cannot hide a later one. A pattern that can match at a
    line's end but not in the whole text is searched on every line instead.
    """
    source = pattern.pattern
    every_line = not multiline and (
        any(part in source for part in _LINE_END_SENSITIVE) or ("$" in source and "\r" in text)
    )
    position = 0
    while position <= len(text):
        found = pattern.search(text, position) if not every_line else None
        at = found.start() if found is not None else position
        if (found is None and not every_line) or (at == len(text) and (not text or text[-1] == "\n")):
            return  # nothing, or only the empty "line" after a final newline
        start, end = _line_around(text, at)
        if multiline and found is not None:
            yield start, end, found.group(0)
        else:
            in_line = _search_line(text, pattern, start, end)
            if in_line is not None:
                yield start, end, in_line.group(0)
        position = end + 1


Finder = Callable[[str, int], int]
"""Where a literal occurs in a text from a position on, or -1."""


def _lines_holding(text: str, pattern: re.Pattern[str], finder: Finder) -> Iterable[tuple[int, int, str]]:
    """(line start, line end, matched text) of each line holding a match, found through a literal it must contain.

    Only the lines where `finder` sees the literal are searched, each alone (as `_line_matches`
    does), so the regex engine never walks the text between them.
    """
    position = finder(text, 0)
    while position >= 0:
        start, end = _line_around(text, position)
        in_line = _search_line(text, pattern, start, end)
        if in_line is not None:
            yield start, end, in_line.group(0)
        position = finder(text, end + 1)


def _line_around(text: str, at: int) -> tuple[int, int]:
    """(start, end) of the "\\n"-delimited line holding offset `at`, the end before its newline."""
    end = text.find("\n", at)
    return text.rfind("\n", 0, at) + 1, len(text) if end == -1 else end


def _search_line(text: str, pattern: re.Pattern[str], start: int, end: int) -> re.Match[str] | None:
    """`pattern` searched within the line [start, end) alone; a CRLF line without its CR, so `$` matches at its end."""
    return pattern.search(text, start, end - 1 if text.endswith("\r", start, end) else end)


_MIN_LITERAL = 3
"""Shorter required literals occur on too many lines to be worth a first pass."""


def _literal_finder(pattern: re.Pattern[str]) -> Finder | None:
    """A fast search for a literal every line match of `pattern` contains, or None when it has none worth it.

    The literal is the longest run of plain characters that every match consumes in a row; it
    is found by `str.find` (or a case-insensitive search of the literal alone), far faster than
    the regex engine trying the whole pattern at every position of the text.
    """
    literal = required_literal(pattern)
    if len(literal) < _MIN_LITERAL:
        return None
    if not pattern.flags & re.IGNORECASE:
        return lambda text, position: text.find(literal, position)
    searcher = re.compile(re.escape(literal), pattern.flags & (re.IGNORECASE | re.ASCII | re.UNICODE))

    def find(text: str, position: int) -> int:
        found = searcher.search(text, position)
        return found.start() if found is not None else -1

    return find


def _sre_parser() -> Any:
    """The standard library's regex parser (re._parser since 3.11, sre_parse before), or None."""
    for name in ("re._parser", "sre_parse"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


_PARSER = _sre_parser()


def required_literal(pattern: re.Pattern[str]) -> str:
    """The longest literal every match of `pattern` holds, from its parse tree; "" when unsure."""
    if _PARSER is None:
        return ""
    runs: list[str] = []
    try:
        runs.append(_literal_runs(_PARSER.parse(pattern.pattern, pattern.flags), runs))
    except Exception:  # the parser of another Python version: no shortcut, same results
        return ""
    return max(runs, key=len)


_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


def _literal_runs(items: Iterable[tuple[Any, Any]], runs: list[str], run: str = "") -> str:
    """Add to `runs` each run of literals every match of `items` consumes in a row; return the open run.

    A group's contents continue the sequence; a repeat's body is required (at least once) but not
    next to its neighbours; zero-width anchors break nothing; anything else ends the run.
    """
    for op, argument in items:
        name = getattr(op, "name", "")
        if name == "LITERAL":
            run += chr(argument)
        elif name == "SUBPATTERN" and not argument[1] and not argument[2]:  # a group adding no flags
            run = _literal_runs(argument[3], runs, run)
        elif name != "AT":
            runs.append(run)
            run = ""
            if name in _REPEATS and argument[0] >= 1:
                runs.append(_literal_runs(argument[2], runs))
    return run


def _neighbours(text: str, start: int, end: int, count: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Up to `count` lines before the line at [start, end) and after it."""
    if count <= 0:
        return (), ()
    before: list[str] = []
    cursor = start
    while len(before) < count and cursor > 0:
        previous = text.rfind("\n", 0, cursor - 1) + 1
        before.append(_strip_cr(text[previous : cursor - 1]))
        cursor = previous
    after: list[str] = []
    cursor = end
    while len(after) < count and cursor + 1 < len(text):  # a text ending in "\n" has no line after it
        following = text.find("\n", cursor + 1)
        following = len(text) if following == -1 else following
        after.append(_strip_cr(text[cursor + 1 : following]))
        cursor = following
    return tuple(reversed(before)), tuple(after)


def _strip_cr(line: str) -> str:
    return line[:-1] if line.endswith("\r") else line
