"""The host's answers to the sandbox's code-intelligence requests: refs, imports, repo map.

Every field of a request comes from the sandbox and is checked here before any work; every
answer is bounded (a hit cap, and `truncated` says when it was reached). Blocking: the first
request builds the corpus's index, so call these in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rlm_mcp._sandbox import wire
from rlm_mcp.corpus.model import Corpus
from rlm_mcp.corpus.repo_map import rank
from rlm_mcp.errors import ContextError, ProtocolError

MAX_HITS = 100_000
"""No answer carries more records than this, whatever the sandbox asks for."""
MAX_NAME_CHARS = 256
MAX_FOCUS = 1_000
_MAX_STALE_SHOWN = 20


def answer(op: str, corpus: Corpus, payload: dict[str, Any]) -> dict[str, Any]:
    """The answer to one code-intelligence request (`op` is one of `OPS`)."""
    return OPS[op](corpus, payload)


def _refs(corpus: Corpus, payload: dict[str, Any]) -> dict[str, Any]:
    name = _name(payload.get("name"), "refs(name)")
    calls = payload.get("calls")
    if not isinstance(calls, bool):
        raise ProtocolError("refs requests carry `calls`, true or false")
    files = _file_set(payload.get("files"), len(corpus.files))
    max_hits = _max_hits(payload.get("max_hits"))
    index = corpus.code_index.get(corpus)
    found: list[wire.RefRecord] = []
    total = 0
    for occurrence in index.occurrences(name):
        if (calls and not occurrence.call) or (files is not None and occurrence.file not in files):
            continue
        total += 1
        if len(found) < max_hits:
            found.append(wire.RefRecord(*occurrence))
    return {
        "refs": wire.table(found, wire.RefRecord),
        "total": total,
        "truncated": total > len(found),
        "stale": index.stale[:_MAX_STALE_SHOWN],
    }


def _imports(corpus: Corpus, payload: dict[str, Any]) -> dict[str, Any]:
    count = len(corpus.files)
    graph = corpus.code_index.get(corpus).imports
    max_hits = _max_hits(payload.get("max_hits"))
    if "file" in payload:
        file = _file_index(payload.get("file"), count)
        hits = [(file, item) for item in graph.by_file.get(file, [])]
    else:
        module = _name(payload.get("module"), "importers(module)")
        path = payload.get("path")
        hits = graph.importers(module, None if path is None else _file_index(path, count))
    records = [
        wire.ImportRecord(file, item.module, item.line, graph.resolved.get((file, item.module), -1))
        for file, item in hits[:max_hits]
    ]
    return {"imports": wire.table(records, wire.ImportRecord), "total": len(hits), "truncated": len(hits) > max_hits}


def _repo_map(corpus: Corpus, payload: dict[str, Any]) -> dict[str, Any]:
    count = len(corpus.files)
    focus_files = _file_set(payload.get("focus_files") or [], count) or set()
    names = payload.get("focus_names") or []
    if not isinstance(names, list) or len(names) > MAX_FOCUS:
        raise ContextError(f"repo_map(focus=...) takes at most {MAX_FOCUS} paths or symbol names")
    focus_names = {_name(name, "repo_map(focus)") for name in names}
    limit = _max_hits(payload.get("limit"))
    symbols = wire.rows(corpus.symbol_records(), wire.SymbolRecord)
    best_symbols, best_files = rank(corpus.code_index.get(corpus), symbols, count, focus_files, focus_names, limit)
    return {"symbols": best_symbols, "files": best_files}


OPS: dict[str, Callable[[Corpus, dict[str, Any]], dict[str, Any]]] = {
    wire.Op.REFS: _refs,
    wire.Op.IMPORTS: _imports,
    wire.Op.REPO_MAP: _repo_map,
}


def _name(value: Any, helper: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= MAX_NAME_CHARS:
        raise ContextError(f"{helper} takes a non-empty name of at most {MAX_NAME_CHARS} characters")
    return value


def _max_hits(value: Any) -> int:
    if type(value) is not int or not 1 <= value <= MAX_HITS:
        raise ContextError(f"max_hits must be a whole number from 1 to {MAX_HITS:,}")
    return value


def _file_index(value: Any, count: int) -> int:
    if type(value) is not int or not 0 <= value < count:
        raise ProtocolError("code-intelligence requests name files by their index in the loaded file list")
    return value


def _file_set(value: Any, count: int) -> set[int] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) > count:
        raise ProtocolError("code-intelligence requests name files as a list of indexes in the loaded file list")
    return {_file_index(item, count) for item in value}
