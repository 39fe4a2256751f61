"""Identifier occurrences and calls from the syntax tree, indexed once per corpus on first use.

The index is built lazily (the first `refs`, `callers`, `imports` or `repo_map` request) in a worker
thread: one parse per file, one query for identifiers and callees, so comments and strings are out.
Each occurrence is one packed integer (file, line, call flag) under its name: about 8 bytes a hit.
"""

from __future__ import annotations

import functools
import threading
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import tree_sitter

from rlm_mcp._sandbox import wire
from rlm_mcp.corpus.imports import ImportGraph, find_imports
from rlm_mcp.corpus.languages import grammar, parser

if TYPE_CHECKING:
    from rlm_mcp.corpus.model import Corpus

_JS_IDS = "[(identifier) (property_identifier) (shorthand_property_identifier) (private_property_identifier)] @id"
_JS_CALLS = """
(call_expression function: [(identifier) @call (member_expression property: (property_identifier) @call)])
(new_expression constructor: [(identifier) @call (member_expression property: (property_identifier) @call)])
"""
_C_CALLS = "(call_expression function: [(identifier) @call (field_expression field: (field_identifier) @call)])"

# Per language: the identifier-like nodes (@id) and the callee names of call expressions (@call).
_QUERIES: dict[str, str] = {
    "python": "(identifier) @id (call function: [(identifier) @call (attribute attribute: (identifier) @call)])",
    "javascript": _JS_IDS + _JS_CALLS,
    "typescript": _JS_IDS + "(type_identifier) @id" + _JS_CALLS,
    "tsx": _JS_IDS + "(type_identifier) @id" + _JS_CALLS,
    "go": """
        [(identifier) (field_identifier) (type_identifier) (package_identifier)] @id
        (call_expression function: [(identifier) @call (selector_expression field: (field_identifier) @call)])
    """,
    "rust": """
        [(identifier) (field_identifier) (type_identifier) (shorthand_field_identifier)] @id
        (call_expression function: [(identifier) @call (field_expression field: (field_identifier) @call)
                                    (scoped_identifier name: (identifier) @call)])
        (macro_invocation macro: (identifier) @call)
    """,
    "java": """
        [(identifier) (type_identifier)] @id
        (method_invocation name: (identifier) @call)
        (object_creation_expression type: (type_identifier) @call)
    """,
    "c": "[(identifier) (field_identifier) (type_identifier)] @id" + _C_CALLS,
    "cpp": "[(identifier) (field_identifier) (type_identifier) (namespace_identifier)] @id" + _C_CALLS,
    "csharp": "(identifier) @id",
    "ruby": "[(identifier) (constant)] @id",
    "php": "(name) @id",
    "kotlin": "(identifier) @id",
    "swift": "[(simple_identifier) (type_identifier)] @id",
    "scala": "[(identifier) (type_identifier)] @id",
    "bash": "(word) @id",
}
_LINE_BITS = 31
_MAX_NAME_BYTES = 256


@functools.cache
def _query(language: str) -> tree_sitter.Query | None:
    loaded = grammar(language)
    source = _QUERIES.get(language)
    return tree_sitter.Query(loaded, source) if loaded is not None and source is not None else None


class Occurrence(NamedTuple):
    """One identifier occurrence: the file's index in the corpus, its 1-based line, and whether it is a callee."""

    file: int
    line: int
    call: bool


def _pack(file: int, line: int, call: bool) -> int:
    return (file << (_LINE_BITS + 1)) | (min(line, (1 << _LINE_BITS) - 1) << 1) | int(call)


def _unpack(value: int) -> Occurrence:
    return Occurrence(value >> (_LINE_BITS + 1), (value >> 1) & ((1 << _LINE_BITS) - 1), bool(value & 1))


@dataclass
class CodeIndex:
    """Every identifier occurrence of a corpus by name, plus its import graph."""

    postings: dict[str, array[int]] = field(default_factory=dict)
    imports: ImportGraph = field(default_factory=ImportGraph)
    stale: list[str] = field(default_factory=list)
    """Files that changed on disk since the load (not indexed: their lines would not match)."""
    defined_reference_counts: dict[str, dict[int, int]] | None = None
    """Filled by the first repo map: per defined name, file index -> uses."""

    def occurrences(self, name: str) -> Iterator[Occurrence]:
        """The occurrences of `name`, in file then line order."""
        return (_unpack(value) for value in self.postings.get(name, ()))

    def add_file(self, file_index: int, language: str, data: bytes) -> None:
        """Parse one file and add its identifiers and imports."""
        file_parser = parser(language)
        query = _query(language)
        if file_parser is None or query is None:
            return
        root = file_parser.parse(data).root_node
        captures = tree_sitter.QueryCursor(query).captures(root)
        callees = {node.start_byte for node in captures.get("call", ())}
        postings = self.postings
        for node in captures.get("id", ()):
            start, end = node.start_byte, node.end_byte
            if end - start > _MAX_NAME_BYTES:
                continue
            name = data[start:end].decode("utf-8", "replace")
            bucket = postings.get(name)
            if bucket is None:
                bucket = postings[name] = array("Q")
            bucket.append(_pack(file_index, node.start_point[0] + 1, start in callees))
        self.imports.add(file_index, find_imports(language, root))


def file_bytes(corpus: Corpus, info: wire.FileRecord) -> bytes | None:
    """The bytes the sandbox sees for one file (redacted where secret lines were withheld); None if it changed."""
    if corpus.text is not None:
        return corpus.text.encode("utf-8", "replace")
    data = corpus.redacted.get(info.path)
    if data is None:
        assert corpus.root is not None
        try:
            data = (Path(corpus.root) / info.path).read_bytes()
        except OSError:
            return None
    return data if len(data) == info.size and wire.content_sha(data) == info.sha else None


def build_index(corpus: Corpus, files: Sequence[wire.FileRecord]) -> CodeIndex:
    """Index every file of `files` (the corpus's file table): identifiers, callees, imports."""
    index = CodeIndex()
    for file_index, info in enumerate(files):
        if _query(info.language) is None:
            continue
        data = file_bytes(corpus, info)
        if data is None:
            index.stale.append(info.path)
            continue
        index.add_file(file_index, info.language, data)
    index.imports.resolve([info.path for info in files])
    return index


class LazyIndex:
    """A corpus's CodeIndex, built by the first caller that needs it (others wait for that one build)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: CodeIndex | None = None

    def get(self, corpus: Corpus) -> CodeIndex:
        """The index, building it now if this is the first use (blocking: call it in a worker thread)."""
        with self._lock:
            if self._index is None:
                self._index = build_index(corpus, corpus.files)
            return self._index
