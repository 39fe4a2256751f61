"""Split one file into chunks (cAST-style split-then-merge) and list its definitions.

Chunks are consecutive byte ranges that cover the file exactly, so joining them rebuilds
it byte for byte. Whole definitions stay together; small neighbours are merged up to the
budget; a node that alone exceeds the budget is split along its children, and the fragments
that leaves (a header, a closing bracket) then join a neighbour (fragments.py). Formats without
a grammar are split along their outline: headings, proto blocks; other text by line windows.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
from collections.abc import Mapping
from typing import NamedTuple

import tree_sitter

from rlm_mcp._sandbox.wire import content_sha
from rlm_mcp.corpus.embedded import Block, embedded_blocks
from rlm_mcp.corpus.fragments import WITHIN_LINES, Cut, fragment_bytes, tidy
from rlm_mcp.corpus.languages import MARKDOWN, MARKUP, NOTEBOOK, PROTO, RST, detect_language, parser
from rlm_mcp.corpus.notebook import is_notebook_json
from rlm_mcp.corpus.proto import outline_starts, proto_definitions
from rlm_mcp.corpus.symbols import Definition, find_definitions
from rlm_mcp.corpus.text_split import SECTION, line_cuts, markdown_headings, rst_headings, section_cuts

MODULE = "module"
LINES = "lines"
BYTES_PER_TOKEN = 4
# Deeper oversized nesting (e.g. a 5,000-term expression) is cut by lines instead of recursing.
_MAX_DEPTH = 200
_BODIES = ("body", "block")
_HEADINGS = {MARKDOWN: markdown_headings, RST: rst_headings}

# (id, start_byte, end_byte, start_line, end_line, kind, symbol, tokens); lines 1-based inclusive.
ChunkRow = tuple[str, int, int, int, int, str, str, int]
# (qualified name, kind, start_line, end_line)
SymbolRow = tuple[str, str, int, int]


class Segment(NamedTuple):
    """One child of a node being split, with the trivia before it: the unit that merging works on."""

    start: int
    end: int
    main: tree_sitter.Node
    child: int
    """The main node's index among its parent's children."""
    own: int
    """Where the main node's own lines begin: past its leading comments, else ``start``."""


class ParsedFile(NamedTuple):
    """What partitioning one file yields: its identity, its chunks and its definitions."""

    sha: str
    language: str
    size: int
    lines: int
    chunks: tuple[ChunkRow, ...]
    symbols: tuple[SymbolRow, ...]
    parse_error: bool = False
    """The grammar could not parse all of it: its symbols (and chunk boundaries) may be partial."""


def estimate_tokens(size: int) -> int:
    """Estimate tokens as bytes / 4 rounded up: the usual BPE ratio for code and English."""
    return -(-size // BYTES_PER_TOKEN)


def partition(path: str, data: bytes, chunk_tokens: int) -> ParsedFile:
    """Chunk ``data`` (the bytes of ``path``) to about ``chunk_tokens`` each, and find its symbols."""
    budget = max(1, chunk_tokens) * BYTES_PER_TOKEN
    language = detect_language(path, data)
    grammar_language = _grammar_language(language, data)
    file_parser = parser(grammar_language)
    definitions: list[Definition] = []
    default_kind = LINES
    parse_error = False
    if file_parser is not None:
        root = file_parser.parse(data).root_node
        parse_error = root.has_error
        blocks = embedded_blocks(data, root) if language in MARKUP else {}
        definitions = _concatenated(
            [find_definitions(grammar_language, root), *(find_definitions(b.language, b.root) for b in blocks.values())]
        )
        cuts = _structure(data, root, budget, blocks)
        default_kind = MODULE
    elif language in _HEADINGS:
        definitions = _HEADINGS[language](data)
        cuts = tidy(data, section_cuts(data, definitions, budget), budget)
        default_kind = SECTION
    elif language == PROTO:
        definitions = proto_definitions(data)
        cuts = tidy(data, section_cuts(data, outline_starts(data, definitions), budget), budget)
        default_kind = MODULE
    else:
        cuts = line_cuts(data, 0, len(data), budget)
    sha = content_sha(data)
    chunks = _chunk_rows(path, sha, data, cuts, definitions, default_kind)
    symbols = tuple((d.name, d.kind, d.start_line, d.end_line) for d in definitions)
    return ParsedFile(sha, language, len(data), count_lines(data), chunks, symbols, parse_error)


def _grammar_language(language: str, data: bytes) -> str:
    """The grammar a file is parsed with: a notebook's cells are Python, its raw JSON (not yet extracted) JSON."""
    if language == NOTEBOOK:
        return "json" if is_notebook_json(data) else "python"
    return language


def _structure(data: bytes, root: tree_sitter.Node, budget: int, blocks: Mapping[int, Block]) -> list[int]:
    """Cut positions along the syntax tree, tidied so no fragment stands alone where it can join a neighbour."""
    cuts: list[Cut] = []
    _split(data, root, 0, len(data), budget, cuts, 0, blocks)
    return tidy(data, cuts, budget)


def _concatenated(lists: list[list[Definition]]) -> list[Definition]:
    """Definitions of consecutive byte regions (a page's script blocks) in one list, parents re-indexed."""
    joined: list[Definition] = []
    for definitions in lists:
        offset = len(joined)
        joined.extend(d._replace(parent=d.parent + offset if d.parent >= 0 else -1) for d in definitions)
    return joined


def count_lines(data: bytes) -> int:
    """Number of lines, counting a last line without a trailing newline."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _cut(cuts: list[Cut], at: int, depth: int) -> None:
    if not cuts or at > cuts[-1][0]:
        cuts.append((at, depth))


def _lines(data: bytes, lo: int, hi: int, budget: int, cuts: list[Cut]) -> None:
    cuts.extend((at, WITHIN_LINES) for at in line_cuts(data, lo, hi, budget))


def _split(
    data: bytes,
    node: tree_sitter.Node,
    lo: int,
    hi: int,
    budget: int,
    cuts: list[Cut],
    depth: int,
    blocks: Mapping[int, Block],
) -> None:
    """Append cuts inside ``[lo, hi)``, the span of ``node`` plus its leading trivia, tagged with ``depth``.

    A text node that ``blocks`` holds (a page's script) is split along that block's own tree.
    """
    segments = _segments(node, lo, hi)
    if not segments or depth > _MAX_DEPTH:
        _lines(data, lo, hi, budget, cuts)
        return
    small = fragment_bytes(budget)
    group = 0  # bytes merged so far into the chunk that starts at group_start
    group_start = lo
    for segment in segments:
        start, end, main, index = segment.start, segment.end, segment.main, segment.child
        if not main.child_count and main.start_byte in blocks:
            main = blocks[main.start_byte].root
        size = end - start
        spills = bool(group) and group + size > budget
        # A body that fits alone but not after its header is split so the header joins it.
        if size <= budget and not (spills and main.child_count and _is_body(node, index, main)):
            if spills:
                # Siblings sharing lines (list items, arguments) are cut where the line starts, if that fits.
                line_start = data.rfind(b"\n", group_start, start) + 1
                group_start = line_start if line_start > group_start and end - line_start <= budget else start
                _cut(cuts, group_start, depth)
                group = start - group_start
            group += size
            continue
        # A header (``class Foo:``, decorators, ``fn f()``, ``describe('x', ``) rides into the first chunk.
        carry = bool(group) and (group < small or _is_body(node, index, main))
        if group and not carry:
            _cut(cuts, start, depth)
        begin = group_start if carry else start
        own = segment.own
        if not carry and own > begin:
            # Leading comments are cut by lines, apart from the node, keeping what fits of their end with it.
            if end - own <= budget:
                own = _next_line_start(data, max(begin, end - budget), own)
            _lines(data, begin, own, budget, cuts)
            _cut(cuts, own, depth + 1)
            begin = own
            if end - own <= budget:
                group, group_start = end - own, own
                continue
        if main.child_count:
            _split(data, main, begin, end, budget, cuts, depth + 1, blocks)
        else:
            _lines(data, begin, end, budget, cuts)
        _cut(cuts, end, depth)
        group, group_start = 0, end


def _next_line_start(data: bytes, at: int, limit: int) -> int:
    """The first line start at or after ``at``, or ``limit`` when none comes before it."""
    if data[at - 1] == 0x0A:
        return at
    newline = data.find(b"\n", at, limit)
    return limit if newline < 0 else newline + 1


def _segments(node: tree_sitter.Node, lo: int, hi: int) -> list[Segment]:
    """Tile ``[lo, hi)`` into one segment per child.

    Leading comments join the node after them, a comment on the line where the previous node
    ends joins that node, and segments start at the beginning of a line when they can.
    """
    starts: list[int] = []
    owns: list[int] = []
    mains: list[tree_sitter.Node] = []
    indexes: list[int] = []
    awaiting_main = False  # the last unit so far holds only leading comments
    previous_end = lo
    previous_row = -1
    for index, child in enumerate(node.children):
        if child.start_byte == child.end_byte:
            continue  # zero-width nodes (MISSING tokens) carry no bytes
        is_comment = "comment" in child.type
        if is_comment and mains and not awaiting_main and child.start_point[0] == previous_row:
            pass  # a trailing comment stays in the unit of the node it follows
        elif awaiting_main:
            mains[-1], indexes[-1] = child, index
            line_start = child.start_byte - child.start_point[1]
            owns[-1] = line_start if line_start >= previous_end else starts[-1]
            awaiting_main = is_comment
        else:
            line_start = child.start_byte - child.start_point[1]
            starts.append(line_start if line_start >= previous_end else child.start_byte)
            owns.append(starts[-1])
            mains.append(child)
            indexes.append(index)
            awaiting_main = is_comment
        previous_end, previous_row = child.end_byte, child.end_point[0]
    if not starts:
        return []
    if owns[0] == starts[0]:
        owns[0] = lo
    starts[0] = lo
    ends = [*starts[1:], hi]
    return [Segment(*fields) for fields in zip(starts, ends, mains, indexes, owns, strict=True)]


def _is_body(parent: tree_sitter.Node, index: int, child: tree_sitter.Node) -> bool:
    """Whether ``child`` is the body-like part of ``parent`` (a field, or a ``*body``/``*block``).

    The children of the root or of a body are statements, never one construct's parts (Lua tags its
    ``local`` statements with a field; HCL calls every ``resource "x" "y" { }`` a ``block``).
    """
    if parent.parent is None or parent.type.endswith(_BODIES):
        return False
    return parent.field_name_for_child(index) is not None or child.type.endswith(_BODIES)


def _chunk_rows(
    path: str, sha: str, data: bytes, cuts: list[int], definitions: list[Definition], default_kind: str
) -> tuple[ChunkRow, ...]:
    """Turn cut positions into chunk rows with lines, a label and a stable id."""
    size = len(data)
    bounds = [0, *(cut for cut in cuts if 0 < cut < size), size] if size else [0]
    starts = [d.start_byte for d in definitions]
    rows: list[ChunkRow] = []
    line = 1
    for a, b in itertools.pairwise(bounds):
        if b <= a:
            continue
        end_line = line + data.count(b"\n", a, b - 1)
        kind, symbol = _label(data, a, b, definitions, starts, default_kind)
        digest = hashlib.blake2b(f"{path}\0{sha}\0{a}\0{b}".encode(), digest_size=6).hexdigest()
        rows.append((digest, a, b, line, end_line, kind, symbol, estimate_tokens(b - a)))
        line = end_line + (1 if data[b - 1] == 0x0A else 0)
    return tuple(rows)


def _label(
    data: bytes, a: int, b: int, definitions: list[Definition], starts: list[int], default_kind: str
) -> tuple[str, str]:
    """Name a chunk after the one definition it holds whole, else the one its code ends inside."""
    first = bisect.bisect_left(starts, a)
    last = bisect.bisect_left(starts, b)

    def held(index: int) -> bool:
        return index >= first and definitions[index].end_byte <= b

    outermost = [i for i in range(first, last) if held(i) and not held(definitions[i].parent)]
    if len(outermost) == 1:
        return definitions[outermost[0]].kind, definitions[outermost[0]].name
    # Trailing blank lines can lie past the end of the enclosing definition: look at the last code byte.
    code_end = a + len(data[a:b].rstrip())
    probe = max(a, code_end - 1)
    index = bisect.bisect_right(starts, probe) - 1
    while index >= 0 and (definitions[index].end_byte <= probe or held(index)):
        index = definitions[index].parent
    if index >= 0:
        return definitions[index].kind, definitions[index].name
    return default_kind, ""
