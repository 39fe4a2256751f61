"""The loaded corpus and its records: files, chunks, symbols, skipped paths, load figures."""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from rlm_mcp._sandbox import wire
from rlm_mcp.corpus.exposure import Exposure
from rlm_mcp.corpus.manifest import build_manifest
from rlm_mcp.corpus.options import LoadOptions
from rlm_mcp.corpus.partition import ChunkRow, ParsedFile, SymbolRow, estimate_tokens
from rlm_mcp.corpus.references import LazyIndex
from rlm_mcp.corpus.secrets import Span

PAYLOAD_FORMAT = 2


FileInfo = wire.FileRecord
"""One loaded file: posix path relative to the root, language, bytes, lines, content hash."""


class Chunk(NamedTuple):
    """A contiguous byte range of one file; a file's chunks in order rebuild it exactly."""

    id: str
    path: str
    language: str
    kind: str
    symbol: str
    start_line: int
    end_line: int
    start_byte: int
    end_byte: int
    tokens: int


class Symbol(NamedTuple):
    """One definition: dotted qualified name (``Class.method``), kind and 1-based lines."""

    name: str
    kind: str
    path: str
    start_line: int
    end_line: int


class Skipped(NamedTuple):
    """A path left out of the corpus and why (``gitignored``, ``binary``, ``secret``, ...)."""

    path: str
    reason: str


class WithheldLines(NamedTuple):
    """A loaded file whose secret lines were replaced by a marker: which lines, and what each span held."""

    path: str
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class LoadStats:
    """What a load cost and how much of the previous index it reused."""

    seconds: float
    walk_seconds: float
    parse_seconds: float
    parsed_files: int
    """Files read and partitioned by this load."""
    reused_files: int
    """Files taken from the cache without reading them (same size, mtime and ctime), skipped ones included."""
    rehashed_files: int
    """Files whose mtime or ctime changed but whose content hash matched the cache: read, not parsed."""
    workers: int


@dataclass(frozen=True)
class Corpus:
    """A loaded context: the files kept, their chunks and symbols, what was skipped and why.

    ``root`` is ``None`` for raw text, whose single virtual file is held in ``text``.
    """

    source: str
    root: Path | None
    options: LoadOptions
    files: tuple[FileInfo, ...]
    parsed: tuple[ParsedFile, ...]
    """Per file, in the order of ``files``: its chunks (at ``options.chunk_tokens``) and symbols."""
    skipped: tuple[Skipped, ...]
    stats: LoadStats
    text: str | None = None
    exposure: Exposure | None = None
    """What the sandbox may see of ``root`` (``None`` for raw text): mount that, hide the rest."""
    redacted: Mapping[str, bytes] = field(default_factory=dict)
    """Path -> the text the sandbox must be given for each file in ``withheld_lines`` (it is hidden in the mount)."""
    withheld_lines: tuple[WithheldLines, ...] = ()
    code_index: LazyIndex = field(default_factory=LazyIndex, compare=False, repr=False)
    """Identifiers, calls and imports, indexed on first use (a re-partition shares it: same files)."""

    @property
    def chunk_tokens(self) -> int:
        """The chunk budget these chunks were cut with."""
        return self.options.chunk_tokens

    @property
    def total_bytes(self) -> int:
        """Bytes of all loaded files."""
        return sum(info.size for info in self.files)

    @property
    def total_tokens(self) -> int:
        """Estimated tokens of all loaded files."""
        return estimate_tokens(self.total_bytes)

    @functools.cached_property
    def chunks(self) -> list[Chunk]:
        """Every chunk, file by file in order."""
        return [
            Chunk(
                record.id,
                info.path,
                info.language,
                record.kind,
                record.symbol,
                record.start_line,
                record.end_line,
                record.start_byte,
                record.end_byte,
                record.tokens,
            )
            for info, record in self._chunk_records()
        ]

    @functools.cached_property
    def symbols(self) -> list[Symbol]:
        """Every definition found, file by file in source order."""
        return [
            Symbol(record.name, record.kind, info.path, record.start_line, record.end_line)
            for info, record in self._symbol_records()
        ]

    def manifest(self) -> dict[str, Any]:
        """A bounded summary for the agent: sizes, languages, largest files, skips."""
        return build_manifest(self)

    def _chunk_records(self) -> list[tuple[FileInfo, wire.ChunkRecord]]:
        return [
            (info, chunk_record(row, index))
            for index, (info, parsed) in enumerate(zip(self.files, self.parsed, strict=True))
            for row in parsed.chunks
        ]

    def _symbol_records(self) -> list[tuple[FileInfo, wire.SymbolRecord]]:
        return [
            (info, symbol_record(row, index))
            for index, (info, parsed) in enumerate(zip(self.files, self.parsed, strict=True))
            for row in parsed.symbols
        ]

    def file_records(self) -> dict[str, Any]:
        """Files as a wire table of FileRecord."""
        return wire.table(self.files, wire.FileRecord)

    def chunk_records(self) -> dict[str, Any]:
        """Chunks as a wire table of ChunkRecord; ``file`` indexes ``file_records()``."""
        return wire.table((record for _, record in self._chunk_records()), wire.ChunkRecord)

    def symbol_records(self) -> dict[str, Any]:
        """Symbols as a wire table of SymbolRecord; ``file`` indexes ``file_records()``."""
        return wire.table((record for _, record in self._symbol_records()), wire.SymbolRecord)

    def payload(self) -> dict[str, Any]:
        """Everything the sandbox needs as one JSON-serialisable frame (no file text)."""
        return {
            "format": PAYLOAD_FORMAT,
            "root": str(self.root) if self.root is not None else None,
            "chunk_tokens": self.chunk_tokens,
            "files": self.file_records(),
            "chunks": self.chunk_records(),
            "symbols": self.symbol_records(),
            "redacted": {path: base64.b64encode(data).decode("ascii") for path, data in self.redacted.items()},
        }


def chunk_record(row: ChunkRow, file_index: int) -> wire.ChunkRecord:
    """The wire record of one partition row (the only place that knows the row's field order)."""
    chunk_id, start_byte, end_byte, start_line, end_line, kind, symbol, tokens = row
    return wire.ChunkRecord(chunk_id, file_index, kind, symbol, start_line, end_line, start_byte, end_byte, tokens)


def symbol_record(row: SymbolRow, file_index: int) -> wire.SymbolRecord:
    """The wire record of one definition row."""
    name, kind, start_line, end_line = row
    return wire.SymbolRecord(name, kind, file_index, start_line, end_line)
