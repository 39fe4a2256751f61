"""Rank files and definitions over the reference graph (PageRank, as Aider's repository map does).

A file that uses a name defined in another file gets an edge to it, weighted by the square root
of the uses; names defined in many files or private ones count less, focused names more, and the
random walk restarts at focused files. Definitions then share their file's incoming rank by name.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

from rlm_mcp._sandbox import wire
from rlm_mcp.corpus.references import CodeIndex

_DAMPING = 0.85
_ITERATIONS = 40
_FOCUS_WEIGHT = 10.0
_COMMON_DEFINERS = 5
_DISCOUNT = 0.1


def short_name(qualified: str) -> str:
    """The last component of a dotted qualified name (`A.b` -> `b`)."""
    return qualified.rsplit(".", 1)[-1]


def reference_counts(index: CodeIndex, names: set[str]) -> dict[str, dict[int, int]]:
    """For each of `names`: file index -> how many times that file mentions it."""
    counts: dict[str, dict[int, int]] = {}
    for name in names:
        per_file: dict[int, int] = defaultdict(int)
        for occurrence in index.occurrences(name):
            per_file[occurrence.file] += 1
        if per_file:
            counts[name] = dict(per_file)
    return counts


def rank(
    index: CodeIndex,
    symbols: Sequence[wire.SymbolRecord],
    file_count: int,
    focus_files: set[int],
    focus_names: set[str],
    limit: int,
) -> tuple[list[int], list[int]]:
    """(symbol indexes best first, file indexes best first), at most `limit` of each."""
    definers: dict[str, set[int]] = defaultdict(set)
    for record in symbols:
        definers[short_name(record.name)].add(record.file)
    counts = index.defined_reference_counts
    if counts is None:  # the definitions of a corpus never change: count their uses once
        counts = index.defined_reference_counts = reference_counts(index, set(definers))
    focus_short = {short_name(name) for name in focus_names}
    edges: dict[tuple[int, int], dict[str, float]] = defaultdict(dict)
    for name, per_file in counts.items():
        defined_in = definers[name]
        weight = _FOCUS_WEIGHT if name in focus_short else 1.0
        if name.startswith("_"):
            weight *= _DISCOUNT
        if len(defined_in) > _COMMON_DEFINERS:
            weight *= _DISCOUNT
        for referrer, uses in per_file.items():
            for definer in defined_in:
                if definer != referrer:
                    edges[(referrer, definer)][name] = weight * math.sqrt(uses)
    restart = set(focus_files) | {file for name in focus_short for file in definers.get(name, ())}
    file_rank = _pagerank(file_count, edges, restart)
    symbol_rank = _share(file_rank, edges, file_count)
    scores = [
        symbol_rank.get((record.file, short_name(record.name)), 0.0) + file_rank[record.file] * 1e-3
        for record in symbols
    ]
    best_symbols = sorted(range(len(symbols)), key=lambda i: (-scores[i], i))[:limit]
    best_files = sorted(range(file_count), key=lambda i: (-file_rank[i], i))[:limit]
    return best_symbols, best_files


def _pagerank(count: int, edges: dict[tuple[int, int], dict[str, float]], restart: set[int]) -> list[float]:
    """Power iteration over weighted edges; the walk restarts at `restart` (everywhere when empty)."""
    if count == 0:
        return []
    personal = [0.0] * count
    for file in restart or range(count):
        personal[file] = 1.0 / (len(restart) or count)
    out_weight: dict[int, float] = defaultdict(float)
    links: list[tuple[int, int, float]] = []
    for (source, target), names in edges.items():
        weight = sum(names.values())
        out_weight[source] += weight
        links.append((source, target, weight))
    ranks = personal[:]
    for _ in range(_ITERATIONS):
        dangling = sum(ranks[file] for file in range(count) if file not in out_weight)
        following = [0.0] * count
        for source, target, weight in links:
            following[target] += ranks[source] * weight / out_weight[source]
        ranks = [
            (1 - _DAMPING) * personal[file] + _DAMPING * (following[file] + dangling * personal[file])
            for file in range(count)
        ]
    return ranks


def _share(
    file_rank: list[float], edges: dict[tuple[int, int], dict[str, float]], count: int
) -> dict[tuple[int, str], float]:
    """Each file's rank split over its out-edges, credited to (target file, name)."""
    out_weight = [0.0] * count
    for (source, _), names in edges.items():
        out_weight[source] += sum(names.values())
    shared: dict[tuple[int, str], float] = defaultdict(float)
    for (source, target), names in edges.items():
        for name, weight in names.items():
            shared[(target, name)] += file_rank[source] * weight / out_weight[source]
    return shared
