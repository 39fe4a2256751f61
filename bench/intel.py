"""Code intelligence: refs, callers and imports scored against `ast` on the standard library; index cost.

Precision and recall are over (file, line, name) for refs and callers and (file, module) for imports,
on every stdlib .py file `ast` parses. The index's build time and memory are then measured on the
~10M-token repository of bench/corpus.py (~1M tokens with --quick), with a few query timings.
Run: python -m bench.intel [--quick]
"""

from __future__ import annotations

import argparse
import ast
import gc
import json
import sysconfig
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from rlm_mcp._sandbox import wire
from rlm_mcp.corpus import Corpus, LoadOptions, load_corpus
from rlm_mcp.corpus.queries import answer
from rlm_mcp.corpus.references import build_index

from .corpus import FULL_TEXT_BYTES, build_repository

QUICK_TEXT_BYTES = 4_000_000
Key = tuple[int, int, str]


def _ast_facts(tree: ast.AST, file: int) -> tuple[set[Key], set[Key], set[tuple[int, str]]]:
    """(identifier occurrences, callees, imported modules) of one module, as `ast` sees them."""
    names: set[Key] = set()
    calls: set[Key] = set()
    modules: set[tuple[int, str]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add((file, node.lineno, node.id))
        elif isinstance(node, ast.Attribute):
            names.add((file, node.end_lineno or node.lineno, node.attr))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add((file, node.lineno, node.name))
        elif isinstance(node, ast.arg | ast.keyword) and node.arg:
            names.add((file, node.lineno, node.arg))
        elif isinstance(node, ast.alias):
            for part in [*node.name.split("."), *([node.asname] if node.asname else [])]:
                if part != "*":
                    names.add((file, node.lineno, part))
        elif isinstance(node, ast.Global | ast.Nonlocal):
            names.update((file, node.lineno, name) for name in node.names)
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            names.add((file, node.lineno, node.name))
        if isinstance(node, ast.ImportFrom):
            modules.add((file, "." * node.level + (node.module or "")))
            names.update((file, node.lineno, part) for part in (node.module or "").split(".") if part)
        elif isinstance(node, ast.Import):
            modules.update((file, alias.name) for alias in node.names)
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name):
                calls.add((file, node.func.lineno, node.func.id))
            elif isinstance(node.func, ast.Attribute):
                calls.add((file, node.func.end_lineno or node.func.lineno, node.func.attr))
    return names, calls, modules


def _score(found: set[Any], expected: set[Any]) -> dict[str, float | int]:
    common = len(found & expected)
    return {
        "precision": round(common / len(found), 4) if found else 1.0,
        "recall": round(common / len(expected), 4) if expected else 1.0,
        "found": len(found),
        "expected": len(expected),
    }


def score_stdlib() -> dict[str, Any]:
    """Precision and recall of refs, callers and imports against `ast` over the standard library."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    corpus = load_corpus(stdlib, LoadOptions(exclude=("site-packages/",), gitignore=False, secret_patterns=()))
    index = build_index(corpus, corpus.files)
    expected_names: set[Key] = set()
    expected_calls: set[Key] = set()
    expected_modules: set[tuple[int, str]] = set()
    scored: set[int] = set()
    for file, info in enumerate(corpus.files):
        if info.language != "python":
            continue
        try:
            tree = ast.parse(_source(corpus, info))
        except (SyntaxError, ValueError):
            continue  # test data with deliberate syntax errors: scored by neither side
        scored.add(file)
        names, calls, modules = _ast_facts(tree, file)
        expected_names |= names
        expected_calls |= calls
        expected_modules |= modules
    found_names: set[Key] = set()
    found_calls: set[Key] = set()
    for name in index.postings:
        for occurrence in index.occurrences(name):
            if occurrence.file in scored:
                found_names.add((occurrence.file, occurrence.line, name))
                if occurrence.call:
                    found_calls.add((occurrence.file, occurrence.line, name))
    found_modules = {
        (file, item.module) for file, items in index.imports.by_file.items() if file in scored for item in items
    }
    return {
        "files": len(scored),
        "bytes": sum(corpus.files[file].size for file in scored),
        "refs": _score(found_names, expected_names),
        "callers": _score(found_calls, expected_calls),
        "imports": _score(found_modules, expected_modules),
    }


def _source(corpus: Corpus, info: wire.FileRecord) -> bytes:
    assert corpus.root is not None
    return corpus.redacted.get(info.path) or (corpus.root / info.path).read_bytes()


def index_cost(quick: bool) -> dict[str, Any]:
    """Build time and retained memory of the index on the bench repository, and query timings."""
    with tempfile.TemporaryDirectory(prefix="rlm-intel-bench-") as scratch:
        repository = Path(scratch, "repo")
        text_bytes = build_repository(repository, QUICK_TEXT_BYTES if quick else FULL_TEXT_BYTES)
        corpus = load_corpus(repository, LoadOptions(cache_dir=Path(scratch, "cache")))
        started = time.perf_counter()
        corpus.code_index.get(corpus)
        build_seconds = time.perf_counter() - started
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        measured = build_index(corpus, corpus.files)
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0] - before
        tracemalloc.stop()
        occurrences = sum(len(values) for values in measured.postings.values())
        del measured
        timings = {}
        for label, op, payload in (
            ("refs('self') 1,000", wire.Op.REFS, {"name": "self", "calls": False, "files": None, "max_hits": 1000}),
            ("callers('join') 1,000", wire.Op.REFS, {"name": "join", "calls": True, "files": None, "max_hits": 1000}),
            ("importers('os')", wire.Op.IMPORTS, {"module": "os", "path": None, "max_hits": 1000}),
            ("repo_map (first)", wire.Op.REPO_MAP, {"focus_files": [], "focus_names": [], "limit": 300}),
            ("repo_map (again)", wire.Op.REPO_MAP, {"focus_files": [0], "focus_names": ["Path"], "limit": 300}),
        ):
            started = time.perf_counter()
            answer(op, corpus, payload)
            timings[label] = round(time.perf_counter() - started, 3)
        return {
            "text_bytes": text_bytes,
            "files": len(corpus.files),
            "occurrences": occurrences,
            "names": len(corpus.code_index.get(corpus).postings),
            "build_seconds": round(build_seconds, 2),
            "retained_mb": round(retained / 1e6, 1),
            "query_seconds": timings,
        }


def run(quick: bool) -> dict[str, Any]:
    """Every figure of this bench."""
    return {"stdlib": score_stdlib(), "index": index_cost(quick)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a ~1M-token repository for the index cost")
    figures = run(parser.parse_args().quick)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
