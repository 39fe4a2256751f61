"""The manifest: a bounded summary of a corpus to hand to the agent.

Its size does not grow with the repository: languages are a small closed set, and the
largest files, top folders and skipped samples are capped.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

from rlm_mcp.corpus.junk import JUNK_REASONS
from rlm_mcp.corpus.languages import structured
from rlm_mcp.corpus.partition import BYTES_PER_TOKEN, estimate_tokens

if TYPE_CHECKING:
    from rlm_mcp.corpus.model import Corpus

LARGEST_FILES = 10
TOP_FOLDERS = 15
SKIPPED_SAMPLES = 5
WITHHELD_FILES = 20
WITHHELD_SPANS = 10
JUNK_NOTE = "vendored, generated, lock and minified files are not indexed; include=[...] loads those skipped by name"


def build_manifest(corpus: Corpus) -> dict[str, Any]:
    """Summarise ``corpus``: totals, per-language and per-folder breakdowns, largest files, skips."""
    languages: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    folders: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for info in corpus.files:
        for bucket in (languages[info.language], folders[_top_folder(info.path)]):
            bucket[0] += 1
            bucket[1] += info.size
    largest = sorted(corpus.files, key=lambda info: -info.size)[:LARGEST_FILES]
    reasons = Counter(item.reason for item in corpus.skipped)
    samples: dict[str, list[str]] = defaultdict(list)
    for item in corpus.skipped:
        if len(samples[item.reason]) < SKIPPED_SAMPLES:
            samples[item.reason].append(item.path)
    chunk_count = sum(len(parsed.chunks) for parsed in corpus.parsed)
    symbol_count = sum(len(parsed.symbols) for parsed in corpus.parsed)
    return {
        "source": corpus.source,
        "root": str(corpus.root) if corpus.root is not None else None,
        "files": len(corpus.files),
        "bytes": corpus.total_bytes,
        "tokens": corpus.total_tokens,
        "token_estimate": f"bytes / {BYTES_PER_TOKEN}, rounded up",
        "chunks": chunk_count,
        "chunk_tokens": corpus.chunk_tokens,
        "symbols": symbol_count,
        "languages": _breakdown(languages, len(languages)),
        "top_folders": _breakdown(folders, TOP_FOLDERS),
        "more_folders": max(0, len(folders) - TOP_FOLDERS),
        "largest_files": [{"path": info.path, "tokens": estimate_tokens(info.size)} for info in largest],
        "skipped": {
            "total": len(corpus.skipped),
            "by_reason": dict(reasons.most_common()),
            "samples": dict(samples),
            **({"junk_note": JUNK_NOTE} if JUNK_REASONS & reasons.keys() else {}),
        },
        "withheld_lines": _withheld_lines(corpus),
        **_partial(corpus),
        "caps": {
            "max_file_bytes": corpus.options.max_file_bytes,
            "max_total_bytes": corpus.options.max_total_bytes,
        },
        "load": {
            "seconds": round(corpus.stats.seconds, 3),
            "parsed_files": corpus.stats.parsed_files,
            "reused_files": corpus.stats.reused_files,
        },
    }


def _partial(corpus: Corpus) -> dict[str, Any]:
    """Where the index is partial: files with no grammar (line windows, no symbols), and files that did not parse."""
    no_grammar: Counter[str] = Counter()
    unparsed: Counter[str] = Counter()
    no_grammar_bytes = 0
    for info, parsed in zip(corpus.files, corpus.parsed, strict=True):
        if not structured(info.language):
            no_grammar[info.language] += 1
            no_grammar_bytes += info.size
        elif parsed.parse_error:
            unparsed[info.language] += 1
    partial: dict[str, Any] = {}
    if no_grammar:
        partial["no_grammar_bytes_share"] = round(no_grammar_bytes / max(corpus.total_bytes, 1), 3)
        partial["no_grammar_files"] = dict(no_grammar.most_common(TOP_FOLDERS))
        partial["note"] = "these files are chunked by lines and have no symbols; grep and read still see them whole"
    if unparsed:
        partial["parse_errors"] = dict(unparsed.most_common(TOP_FOLDERS))
        partial["parse_errors_note"] = "files with syntax errors: their symbols and chunk boundaries may be incomplete"
    return {"partial": partial} if partial else {}


def _withheld_lines(corpus: Corpus) -> dict[str, Any]:
    """Files whose secret lines were replaced by a marker, and which lines (first files and spans only)."""
    withheld = corpus.withheld_lines
    return {
        "files": len(withheld),
        "lines": sum(span.end - span.start + 1 for item in withheld for span in item.spans),
        "samples": {
            item.path: [
                {"lines": f"{span.start}-{span.end}" if span.end > span.start else str(span.start), "kind": span.rule}
                for span in item.spans[:WITHHELD_SPANS]
            ]
            for item in withheld[:WITHHELD_FILES]
        },
    }


def _top_folder(path: str) -> str:
    head, slash, _ = path.partition("/")
    return head + "/" if slash else "."


def _breakdown(buckets: dict[str, list[int]], limit: int) -> dict[str, dict[str, int]]:
    """The ``limit`` biggest buckets by bytes, as ``{name: {files, tokens}}``."""
    ranked = sorted(buckets.items(), key=lambda item: -item[1][1])[:limit]
    return {name: {"files": files, "tokens": estimate_tokens(size)} for name, (files, size) in ranked}
