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
_MAX_DEFINERS = 20
"""A name defined in more files (`__init__`, `run`) says nothing about which one a use means: left out."""


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
    links = [
        (name, per_file, definers[name], _weight(name, len(definers[name]), name in focus_short))
        for name, per_file in counts.items()
        if len(definers[name]) <= _MAX_DEFINERS
    ]
    edges: dict[tuple[int, int], float] = defaultdict(float)
    for _, per_file, defined_in, weight in links:
        for referrer, uses in per_file.items():
            for definer in defined_in:
                if definer != referrer:
                    edges[(referrer, definer)] += weight * math.sqrt(uses)
    restart = set(focus_files) | {file for name in focus_short for file in definers.get(name, ())}
    file_rank = _pagerank(file_count, edges, restart)
    symbol_rank = _share(file_rank, edges, links, file_count)
    scores = [
        symbol_rank.get((record.file, short_name(record.name)), 0.0) + file_rank[record.file] * 1e-3
        for record in symbols
    ]
    best_symbols = sorted(range(len(symbols)), key=lambda i: (-scores[i], i))[:limit]
    best_files = sorted(range(file_count), key=lambda i: (-file_rank[i], i))[:limit]
    return best_symbols, best_files


def _weight(name: str, definers: int, focused: bool) -> float:
    """How much one use of `name` counts: focused names more, private or widely defined ones less."""
    weight = _FOCUS_WEIGHT if focused else 1.0
    if name.startswith("_"):
        weight *= _DISCOUNT
    if definers > _COMMON_DEFINERS:
        weight *= _DISCOUNT
    return weight


def _pagerank(count: int, edges: dict[tuple[int, int], float], restart: set[int]) -> list[float]:
    """Power iteration over weighted edges; the walk restarts at `restart` (everywhere when empty)."""
    if count == 0:
        return []
    personal = [0.0] * count
    for file in restart or range(count):
        personal[file] = 1.0 / (len(restart) or count)
    out_weight = _out_weights(edges, count)
    ranks = personal[:]
    for _ in range(_ITERATIONS):
        dangling = sum(ranks[file] for file in range(count) if not out_weight[file])
        following = [0.0] * count
        for (source, target), weight in edges.items():
            following[target] += ranks[source] * weight / out_weight[source]
        ranks = [
            (1 - _DAMPING) * personal[file] + _DAMPING * (following[file] + dangling * personal[file])
            for file in range(count)
        ]
    return ranks


def _out_weights(edges: dict[tuple[int, int], float], count: int) -> list[float]:
    out_weight = [0.0] * count
    for (source, _), weight in edges.items():
        out_weight[source] += weight
    return out_weight


def _share(
    file_rank: list[float],
    edges: dict[tuple[int, int], float],
    links: list[tuple[str, dict[int, int], set[int], float]],
    count: int,
) -> dict[tuple[int, str], float]:
    """Each file's rank split over its uses of names, credited to (defining file, name)."""
    out_weight = _out_weights(edges, count)
    shared: dict[tuple[int, str], float] = defaultdict(float)
    for name, per_file, defined_in, weight in links:
        for referrer, uses in per_file.items():
            if not out_weight[referrer]:
                continue
            part = file_rank[referrer] * weight * math.sqrt(uses) / out_weight[referrer]
            for definer in defined_in:
                if definer != referrer:
                    shared[(definer, name)] += part
    return shared
