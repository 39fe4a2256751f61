"""Splitting text that has no grammar: line windows, and Markdown and reStructuredText by headings.

Both return cut positions (byte offsets) rather than pieces, so the caller can always
rebuild the file byte for byte from consecutive ranges.
"""

from __future__ import annotations

import itertools
import re
from typing import NamedTuple

from rlm_mcp.corpus.fragments import WITHIN_LINES, Cut, fragment_bytes
from rlm_mcp.corpus.symbols import Definition

SECTION = "section"

_HEADING = re.compile(rb" {0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$")
_FENCE = re.compile(rb" {0,3}(`{3,}|~{3,})")
# A reST adornment: one punctuation character repeated, at least three times.
_RST_ADORNMENT = re.compile(rb"""([!-/:-@\[-`{-~])\1{2,}""")


def line_cuts(data: bytes, start: int, end: int, budget: int) -> list[int]:
    """Cut ``data[start:end]`` into windows of at most ``budget`` bytes, ending at line ends.

    A single line longer than the budget is cut inside, never in the middle of a UTF-8 character.
    """
    cuts: list[int] = []
    position = start
    while end - position > budget:
        limit = position + budget
        newline = data.rfind(b"\n", position, limit)
        if newline >= 0:
            cut = newline + 1
        else:
            cut = limit
            while cut > position + 1 and data[cut] & 0xC0 == 0x80:  # UTF-8 continuation byte
                cut -= 1
        cuts.append(cut)
        position = cut
    return cuts


class Heading(NamedTuple):
    """A heading as a scanner finds it: where its section starts, its 1-based line, level and title."""

    start_byte: int
    line: int
    level: int
    title: str


def markdown_headings(data: bytes) -> list[Definition]:
    """Every ATX heading outside fenced code blocks, named by its path (``Guide > Install``)."""
    found: list[Heading] = []
    fence = b""
    position = 0
    for line_number, line in enumerate(data.split(b"\n"), 1):
        start, position = position, position + len(line) + 1
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            if not fence:
                fence = marker
            elif marker[:1] == fence[:1] and len(marker) >= len(fence):
                fence = b""
            continue
        heading = None if fence else _HEADING.match(line.rstrip(b"\r"))
        if heading is not None:
            title = heading.group(2).decode("utf-8", "replace")
            found.append(Heading(start, line_number, len(heading.group(1)), title))
    return _nested(data, found)


def rst_headings(data: bytes) -> list[Definition]:
    """Every reStructuredText section title (a line underlined, maybe overlined, by one punctuation mark).

    Levels follow the order in which adornment styles first appear, as docutils assigns them.
    """
    lines = data.split(b"\n")
    starts = list(itertools.accumulate((len(line) + 1 for line in lines), initial=0))
    styles: list[tuple[bytes, bool]] = []
    found: list[Heading] = []
    index = 1
    while index < len(lines):
        title, under = lines[index - 1].rstrip(), lines[index].rstrip()
        if not (title and not title[:1].isspace() and _RST_ADORNMENT.fullmatch(under) and len(under) >= len(title)):
            index += 1
            continue
        over = index >= 2 and lines[index - 2].rstrip() == under
        style = (under[:1], over)
        if style not in styles:
            styles.append(style)
        first = index - 2 if over else index - 1
        found.append(Heading(starts[first], first + 1, styles.index(style), title.decode("utf-8", "replace")))
        index += 2
    return _nested(data, found)


def _nested(data: bytes, found: list[Heading]) -> list[Definition]:
    """Headings as definitions nested by level, each section running to the next peer or higher heading."""
    headings: list[Definition] = []
    levels: list[int] = []
    open_scopes: list[int] = []
    for heading in found:
        while open_scopes and levels[open_scopes[-1]] >= heading.level:
            _close(headings, open_scopes.pop(), heading.start_byte, heading.line - 1)
        parent = open_scopes[-1] if open_scopes else -1
        name = f"{headings[parent].name} > {heading.title}" if parent >= 0 else heading.title
        start = heading.start_byte
        headings.append(Definition(start, start, SECTION, name, heading.line, heading.line, parent))
        levels.append(heading.level)
        open_scopes.append(len(headings) - 1)
    last_line = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    for index in open_scopes:
        _close(headings, index, len(data), last_line)
    return headings


def _close(headings: list[Definition], index: int, end_byte: int, end_line: int) -> None:
    """Extend a heading's section up to the byte and line where the next peer heading starts."""
    headings[index] = headings[index]._replace(end_byte=end_byte, end_line=max(end_line, headings[index].start_line))


def section_cuts(data: bytes, headings: list[Definition], budget: int) -> list[Cut]:
    """Cut Markdown at headings, merging small neighbouring sections up to ``budget`` bytes.

    A cut before a heading is as deep as the heading is nested; a small run of sections before
    an oversized one rides into its first line window, and a parent's heading into its first
    subsection's chunk, so a lone heading is not a chunk.
    """
    depths: list[int] = []
    for heading in headings:
        depths.append(depths[heading.parent] + 1 if heading.parent >= 0 else 0)
    bounds = [(0, 0), *((h.start_byte, depth) for h, depth in zip(headings, depths, strict=True) if h.start_byte > 0)]
    bounds.append((len(data), 0))
    small = fragment_bytes(budget)
    cuts: list[Cut] = []
    group_start = 0
    previous: Cut = (0, 0)  # where the section before this one starts, and its depth
    for (start, depth), (end, next_depth) in itertools.pairwise(bounds):
        header, previous = previous, (start, depth)
        if end - start > budget:
            if start - group_start >= small:
                cuts.append((start, depth))
                group_start = start
            cuts.extend((at, WITHIN_LINES) for at in line_cuts(data, group_start, end, budget))
            cuts.append((end, next_depth))
            group_start = end
        elif end - group_start > budget:
            # The heading of a parent whose first subsection this is goes to the new chunk with it.
            cut = header if header[1] < depth and group_start < header[0] and end - header[0] <= budget else previous
            cuts.append(cut)
            group_start = cut[0]
    return cuts
