"""grep's literal first pass: only lines holding a literal every match needs are searched, with the same hits.

The results are pinned against the definition of a hit (each line searched alone, first match per
line), over random patterns and texts, so the shortcut can never drop or add a hit.
"""

from __future__ import annotations

import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from rlm_mcp._sandbox import search

_PIECES = ["abc", "ab", "a", "b", "c", "x", ".", r"\w", r"\s", "[ab]", "(", ")", "(?:", "|", "?", "*", "+", "{2}"]
_PIECES += ["^", "$", r"\b", "(?=a)", "(?!b)", "(?i:a)", r"\(", "A", "bca", r"\Z"]
_TEXTS = st.text(alphabet="abcxAB (\n\r.", max_size=200)


def _patterns(draw: st.DrawFn) -> re.Pattern[str] | None:
    source = "".join(draw(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8)))
    flags = re.MULTILINE | (re.IGNORECASE if draw(st.booleans()) else 0)
    try:
        return re.compile(source, flags)
    except re.error:
        return None


patterns = st.composite(_patterns)


def _line_by_line(text: str, pattern: re.Pattern[str]) -> list[tuple[int, str, str]]:
    """The definition of grep's hits: every line searched alone (without its CR), first match per line."""
    hits = []
    start = 0
    for number, line in enumerate(search.split_lines(text), 1):
        end = start + len(line.rstrip("\n"))
        found = pattern.search(text, start, end - 1 if text.endswith("\r", start, end) else end)
        if found is not None:
            hits.append((number, text[start:end].removesuffix("\r"), found.group(0)))
        start += len(line)
    return hits


@settings(max_examples=600, deadline=None)
@given(patterns(), _TEXTS)
def test_every_match_holds_the_required_literal(pattern: re.Pattern[str] | None, text: str) -> None:
    """The literal taken from a pattern's parse tree is inside every match (ignoring case when the pattern does)."""
    if pattern is None:
        return
    literal = search.required_literal(pattern)
    fold = str.lower if pattern.flags & re.IGNORECASE else str
    for found in pattern.finditer(text):
        assert fold(literal) in fold(found.group(0)), (pattern.pattern, found.group(0), literal)


@settings(max_examples=600, deadline=None)
@given(patterns(), _TEXTS)
def test_grep_finds_exactly_the_lines_a_line_by_line_search_finds(pattern: re.Pattern[str] | None, text: str) -> None:
    """Whichever shortcut grep takes (literal first pass, whole-text search, every line), its hits are the same."""
    if pattern is None:
        return
    hits, truncated = search.grep_texts([("f", text)], pattern, 10_000)
    assert not truncated
    assert [(hit.line, hit.text, hit.match) for hit in hits] == _line_by_line(text, pattern)


def test_literals_come_from_the_sequence_every_match_consumes() -> None:
    """Groups continue a literal, repeats and alternatives break it, optional parts are never counted."""
    literal = {source: search.required_literal(re.compile(source)) for source in _LITERALS}
    assert literal == _LITERALS


_LITERALS = {
    r"\w+Exception\(": "Exception(",
    r"public (static )?void \w+": "public ",
    r"^class Broker\b": "class Broker",
    r"(abc)d": "abcd",
    r"ab?cd": "cd",
    r"(?:abc)+d": "abc",
    r"foo|bar": "",
    r"a(?i:bc)d": "a",
    r"(?x) d e f  # comment": "def",
}


def test_a_costly_pattern_only_runs_on_lines_with_its_literal() -> None:
    """`\\w+Exception\\(` over 1,000 long words without "Exception(" is instant (it took seconds line by line)."""
    text = ("x" * 1000 + "\n") * 1000 + 'raise KafkaException("boom")\n'
    started = time.perf_counter()
    hits, _ = search.grep_texts([("big.py", text)], re.compile(r"\w+Exception\(", re.MULTILINE), 10)
    assert time.perf_counter() - started < 0.5
    assert [(hit.where, hit.match) for hit in hits] == [("big.py:1001", "KafkaException(")]


def test_a_literal_twice_on_a_line_is_one_hit_and_the_cap_still_stops_grep() -> None:
    """First hit per line, and max_hits cuts the list and says it did, on the literal path too."""
    text = "needle needle\nhay\nneedle\nneedle again\n"
    hits, truncated = search.grep_texts([("a", text), ("b", text)], re.compile("needle", re.MULTILINE), 4)
    assert [hit.where for hit in hits] == ["a:1", "a:3", "a:4", "b:1"]
    assert truncated


def test_ignore_case_literals_match_in_any_case() -> None:
    """An ignore-case pattern's literal is searched ignoring case, so `Error` finds `ERROR` and `error`."""
    text = "an ERROR here\nnothing\nsome error: x\n"
    hits, _ = search.grep_texts([("log", text)], search.compile_pattern(r"error\b", ignore_case=True), 10)
    assert [(hit.line, hit.match) for hit in hits] == [(1, "ERROR"), (3, "error")]
