"""The loaded context as user code sees it: files, chunks, symbols (standard library only).

The host ships only metadata (paths, byte and line ranges, symbol names); text is read
lazily from the read-only mount, or held in memory for a raw-text context. Paths are
always relative to the root, and only files of the manifest can be read.
"""

from __future__ import annotations

import base64
import os
import posixpath
import sys
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import wire

FILE_CACHE_BYTES = 256 * 1024 * 1024
"""What the sandbox keeps of file bytes and texts by default; the load payload's `cache_bytes` overrides it."""


class ContextError(Exception):
    """A path or range that the loaded context does not have; the message says what exists."""


class _FileCache:
    """Recently used file bytes and decoded texts, bounded by the memory they hold; the least recently used go first.

    Decoding is most of the cost of a repeated scan over `f.text`, so texts are kept as well as bytes.
    An item larger than the whole budget is returned without being kept.
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.used = 0
        self._entries: OrderedDict[tuple[str, str], tuple[bytes | str, int]] = OrderedDict()

    def get(self, key: tuple[str, str], load: Callable[[], bytes | str]) -> bytes | str:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            return entry[0]
        value = load()
        cost = sys.getsizeof(value)
        if cost <= self.budget:
            self._entries[key] = (value, cost)
            self.used += cost
            while self.used > self.budget:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.used -= dropped
        return value


class File:
    """One file of the context; `.text` is read on first use."""

    __slots__ = ("_store", "language", "lines", "path", "sha", "size")

    def __init__(self, store: Store, path: str, language: str, size: int, lines: int, sha: str) -> None:
        self._store = store
        self.path, self.language, self.size, self.lines, self.sha = path, language, size, lines, sha

    @property
    def data(self) -> bytes:
        return self._store.read_bytes(self.path)

    @property
    def text(self) -> str:
        return self._store.read_text(self.path)

    def __repr__(self) -> str:
        return f"File({self.path!r}, {self.language}, {self.size:,} bytes, {self.lines:,} lines)"


class Chunk:
    """A syntax-aware piece of one file (a function, a class, a section, a window of lines)."""

    __slots__ = (
        "_store",
        "end_byte",
        "end_line",
        "id",
        "kind",
        "language",
        "path",
        "start_byte",
        "start_line",
        "symbol",
        "tokens",
    )

    def __init__(self, store: Store, record: wire.ChunkRecord, file: File) -> None:
        self._store = store
        self.id, self.kind, self.symbol, self.tokens = record.id, record.kind, record.symbol, record.tokens
        self.start_line, self.end_line = record.start_line, record.end_line
        self.start_byte, self.end_byte = record.start_byte, record.end_byte
        self.path, self.language = file.path, file.language

    @property
    def text(self) -> str:
        return self._store.read_bytes(self.path)[self.start_byte : self.end_byte].decode("utf-8", errors="replace")

    @property
    def where(self) -> str:
        """`path:start-end`, the citation form."""
        return f"{self.path}:{self.start_line}-{self.end_line}"

    def __str__(self) -> str:
        label = f" {self.symbol}" if self.symbol else ""
        return f"# {self.where} ({self.kind}{label})\n{self.text}"

    def __repr__(self) -> str:
        label = f" {self.symbol!r}" if self.symbol else ""
        return f"Chunk({self.where}, {self.kind}{label}, ~{self.tokens} tokens)"


class Symbol:
    """A definition (function, class, method, ...): qualified name, kind, enclosing definition, location.

    `parent` is the qualified name of the enclosing definition (None at top level); `signature` is
    the definition's first line, trimmed and cut to SIGNATURE_CHARS; `where` is `path:line`.
    """

    __slots__ = ("end_line", "file", "kind", "name", "parent", "start_line")

    def __init__(self, record: wire.SymbolRecord, file: File) -> None:
        self.name, self.kind = record.name, record.kind
        self.start_line, self.end_line = record.start_line, record.end_line
        self.file = file
        self.parent: str | None = None

    @property
    def path(self) -> str:
        return self.file.path

    @property
    def where(self) -> str:
        return f"{self.path}:{self.start_line}"

    @property
    def signature(self) -> str:
        """The definition's first line (`def f(x):`, `class A(B):`), trimmed and bounded."""
        text = line_of(self.file.data, self.start_line).strip()
        return text if len(text) <= SIGNATURE_CHARS else text[: SIGNATURE_CHARS - 3] + "..."

    def __repr__(self) -> str:
        return f"Symbol({self.name!r}, {self.kind}, {self.where})"


SIGNATURE_CHARS = 160


def line_of(data: bytes, line: int) -> str:
    """Line `line` (1-based, lines end at "\n" only, as everywhere else) of `data`, without its newline."""
    start = 0
    for _ in range(line - 1):
        start = data.find(b"\n", start) + 1
        if start == 0:
            return ""
    end = data.find(b"\n", start)
    return data[start : end if end != -1 else len(data)].decode("utf-8", errors="replace").rstrip("\r")


def link_parents(symbols: list[Symbol]) -> None:
    """Set each symbol's `parent`: the innermost definition around it in its file, else the one its name extends."""
    open_scopes: dict[str, list[Symbol]] = {}
    names = {(symbol.path, symbol.name) for symbol in symbols}
    for symbol in symbols:  # the host sends them file by file in source order
        scopes = open_scopes.setdefault(symbol.path, [])
        while scopes and scopes[-1].end_line < symbol.end_line:
            scopes.pop()
        if scopes and symbol.name.startswith(scopes[-1].name + "."):
            symbol.parent = scopes[-1].name
        elif "." in symbol.name and (symbol.path, symbol.name.rsplit(".", 1)[0]) in names:
            symbol.parent = symbol.name.rsplit(".", 1)[0]  # a Go method names its receiver type
        scopes.append(symbol)


class Store:
    """Reads file bytes from the mount (or the in-memory text), refusing anything off the manifest."""

    def __init__(
        self,
        root: str | None,
        text: str | None,
        redacted: dict[str, str] | None = None,
        cache_bytes: int = FILE_CACHE_BYTES,
    ) -> None:
        self.root = root
        self.text_bytes = text.encode() if text is not None else None
        self._redacted = {path: base64.b64decode(body) for path, body in (redacted or {}).items()}
        """Files whose secret lines the host withheld: their real bytes are masked in the mount."""
        self.files: dict[str, File] = {}
        self.cache = _FileCache(cache_bytes)
        self._real_root = os.path.realpath(root) if root is not None else ""

    def check(self, path: str) -> str:
        """The manifest path for `path`, or a ContextError that says what is available."""
        if type(path) is str and path in self.files:
            return path  # manifest paths are already normal and inside
        normal = posixpath.normpath(str(path).replace("\\", "/"))
        if normal.startswith("/") or normal == ".." or normal.startswith("../"):
            raise ContextError(f"{path!r} is outside the loaded context; use a path relative to its root")
        if normal not in self.files:
            near = [p for p in self.files if p.endswith(normal.rsplit("/", 1)[-1])][:5]
            hint = f" Did you mean: {', '.join(near)}?" if near else " See `files` for what is loaded."
            raise ContextError(f"{path!r} is not a file of the loaded context.{hint}")
        return normal

    def read_bytes(self, path: str) -> bytes:
        path = self.check(path)
        if self.text_bytes is not None:
            return self.text_bytes
        if path in self._redacted:
            return self._redacted[path]
        assert self.root is not None
        full = posixpath.join(self.root, path)
        data = self.cache.get(("bytes", path), lambda: self._unchanged(path, _read_inside(self._real_root, full)))
        assert isinstance(data, bytes)
        return data

    def read_text(self, path: str) -> str:
        """The file's text (undecodable bytes replaced), decoded once while the cache holds it."""
        path = self.check(path)
        text = self.cache.get(("text", path), lambda: self.read_bytes(path).decode("utf-8", errors="replace"))
        assert isinstance(text, str)
        return text

    def _unchanged(self, path: str, data: bytes) -> bytes:
        """`data` if it is what was indexed; chunk ranges and line numbers of an edited file would lie."""
        indexed = self.files[path]
        if len(data) != indexed.size or wire.content_sha(data) != indexed.sha:
            how = f"{indexed.size:,} bytes then, {len(data):,} now" if len(data) != indexed.size else "same size"
            raise ContextError(
                f"{path} changed since the context was loaded ({how}): call rlm_load_context again to "
                "re-index it (only changed files are re-parsed; variables stay)"
            )
        return data


def _read_inside(real_root: str, full: str) -> bytes:
    """Read `full`, refusing a symlink that resolves outside `real_root` (the root, its symlinks resolved)."""
    real = os.path.realpath(full)
    if real != real_root and not real.startswith(real_root + os.sep):
        raise ContextError(f"{full!r} resolves outside the loaded context (symlink); refused")
    with open(real, "rb") as handle:
        return handle.read()


class Repository:
    """`context` for a folder: the files, chunks and symbols, plus a short summary as repr."""

    def __init__(self, source: str, store: Store, chunks: list[Chunk], symbols: list[Symbol]) -> None:
        self.source = source
        self.root = store.root
        self.files = store.files
        self.chunks = chunks
        self.symbols = symbols

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files.values())

    def __repr__(self) -> str:
        return (
            f"Repository({self.source!r}: {len(self.files):,} files, {self.total_bytes:,} bytes, "
            f"{len(self.chunks):,} chunks, {len(self.symbols):,} symbols)"
        )


def build_chunks(store: Store, file_list: list[File], table: Any) -> list[Chunk]:
    """Chunk objects from the host's chunk table (each record's `file` indexes `file_list`)."""
    return [Chunk(store, record, _file_at(file_list, record.file)) for record in wire.rows(table, wire.ChunkRecord)]


def _file_at(file_list: list[File], index: int) -> File:
    if type(index) is not int or not 0 <= index < len(file_list):
        raise wire.WireError(f"a record names file #{index!r}, which the file table does not have")
    return file_list[index]


def load_payload(payload: dict[str, Any]) -> tuple[Any, Store, list[File], list[Chunk], list[Symbol]]:
    """Turn the host's load payload into (context, store, file list, chunks, symbols)."""
    cache_bytes = payload.get("cache_bytes", FILE_CACHE_BYTES)
    if type(cache_bytes) is not int or cache_bytes < 0:
        raise wire.WireError(f"cache_bytes must be a whole number of bytes, not {cache_bytes!r}")
    store = Store(payload.get("root"), payload.get("text"), payload.get("redacted"), cache_bytes)
    file_list = [File(store, *record) for record in wire.rows(payload["files"], wire.FileRecord)]
    store.files.update((f.path, f) for f in file_list)
    chunks = build_chunks(store, file_list, payload["chunks"])
    symbols = [
        Symbol(record, _file_at(file_list, record.file)) for record in wire.rows(payload["symbols"], wire.SymbolRecord)
    ]
    link_parents(symbols)
    if payload.get("text") is not None:
        context: Any = payload["text"]
    else:
        context = Repository(payload.get("source", ""), store, chunks, symbols)
    return context, store, file_list, chunks, symbols
