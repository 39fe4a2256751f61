"""Protocol Buffers without a grammar: a scanner of messages, enums, services and their rpcs.

PyPI has no tree-sitter wheel for proto files (only for textproto and unrelated ``.proto`` dialects),
and the language's outline is simple: named blocks in braces, nested, with comments and strings
that must be skipped. The definitions found serve both as symbols and as the file's chunk outline.
"""

from __future__ import annotations

import bisect
import re

from rlm_mcp.corpus.symbols import CLASS, METHOD, Definition

_TOKENS = re.compile(
    rb"//[^\n]*|/\*.*?(?:\*/|\Z)|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'"
    rb"|\b(message|enum|service|extend|rpc)\s+([A-Za-z_][\w.]*)|[{};]",
    re.DOTALL,
)
_KINDS = {b"message": CLASS, b"enum": CLASS, b"service": CLASS, b"extend": CLASS, b"rpc": METHOD}


def proto_definitions(data: bytes) -> list[Definition]:
    """Every message, enum, service, extend and rpc, with dotted names (``Outer.Inner``, ``Service.Call``)."""
    newlines = [found.start() for found in re.finditer(rb"\n", data)]

    def line_of(offset: int) -> int:  # 1-based line of the byte at ``offset``
        return bisect.bisect_left(newlines, offset) + 1

    definitions: list[Definition] = []
    scopes: list[tuple[int, int]] = []  # per open brace: the definition it opened (or -1), the nearest one open
    pending: tuple[str, str, int] | None = None  # kind, name, start of a definition before its brace
    for token in _TOKENS.finditer(data):
        text = token.group()
        if token.group(1):
            pending = (_KINDS[token.group(1)], token.group(2).decode("utf-8", "replace"), token.start())
        elif text == b"{" or (text == b";" and pending is not None and pending[0] == METHOD):
            parent = scopes[-1][1] if scopes else -1
            opened = -1
            if pending:
                kind, name, begin = pending
                name = f"{definitions[parent].name}.{name}" if parent >= 0 else name
                definitions.append(
                    Definition(begin, token.end(), kind, name, line_of(begin), line_of(token.end() - 1), parent)
                )
                opened = len(definitions) - 1
            pending = None
            if text == b"{":
                scopes.append((opened, opened if opened >= 0 else parent))
        elif text == b"}" and scopes:
            closing = scopes.pop()[0]
            if closing >= 0:
                definitions[closing] = definitions[closing]._replace(
                    end_byte=token.end(), end_line=line_of(token.end() - 1)
                )
        elif text == b";":
            pending = None
    return definitions


def outline_starts(data: bytes, definitions: list[Definition]) -> list[Definition]:
    """The definitions with each start moved to its line's start, above the comment lines right before it."""
    moved = []
    above_comments: dict[int, int] = {}  # line start -> start of the comment lines above it, walked once per line
    for definition in definitions:
        line_start = data.rfind(b"\n", 0, definition.start_byte) + 1
        start = above_comments.get(line_start, line_start)
        while line_start not in above_comments and start > 0:
            above = data.rfind(b"\n", 0, start - 1) + 1
            if not data[above:start].lstrip().startswith(b"//"):
                break
            start = above
        above_comments[line_start] = start
        moved.append(definition._replace(start_byte=start))
    return moved
