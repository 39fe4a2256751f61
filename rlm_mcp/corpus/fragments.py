"""Tidying a split: cuts move to line boundaries, and fragments join a neighbour chunk.

A structural split leaves pieces nobody wants to read alone: a call's head (``describe('x', ``),
a closing ``}`` or ``)``, ``func F() {``. Each cut carries the depth of the split that made it, so a
fragment joins the side it is more tightly bound to (the deeper cut), and only while the budget allows.
"""

from __future__ import annotations

import heapq

Cut = tuple[int, int]
"""A cut position (byte offset) and the nesting depth of the split that made it; deeper is weaker."""

WITHIN_LINES = 1_000_000
"""The depth of a cut between line windows of one node or one section: weaker than any structural cut."""

_FRAGMENT_SHARE = 8
"""A piece under 1/8 of the budget is a fragment, merged into a neighbour where the budget allows."""


def fragment_bytes(budget: int) -> int:
    """The size under which a piece is a fragment that should join a neighbour."""
    return max(1, budget // _FRAGMENT_SHARE)


def tidy(data: bytes, cuts: list[Cut], budget: int) -> list[int]:
    """Cut positions of ``data`` with cuts at line boundaries where they can be and fragments merged."""
    inside: list[Cut] = []
    for at, depth in cuts:
        if 0 < at < len(data) and (not inside or at > inside[-1][0]):
            inside.append((at, depth))
    return _merge_fragments(len(data), _snap_to_lines(data, inside, budget), budget)


def _snap_to_lines(data: bytes, cuts: list[Cut], budget: int) -> list[Cut]:
    """Move each mid-line cut to its line's start or end (whichever moves fewer bytes) when both sides fit."""
    kept: list[Cut] = []
    for index, (at, depth) in enumerate(cuts):
        if data[at - 1] == 0x0A:
            kept.append((at, depth))
            continue
        before = kept[-1][0] if kept else 0
        after = cuts[index + 1][0] if index + 1 < len(cuts) else len(data)
        line_start = max(before, data.rfind(b"\n", 0, at) + 1)
        newline = data.find(b"\n", at, after)
        line_end = after if newline < 0 else newline + 1
        for moved in sorted((line_start, line_end), key=lambda position: (abs(position - at), position)):
            if moved - before <= budget and after - moved <= budget:
                if before < moved < after:
                    kept.append((moved, depth))
                break  # a move onto a neighbouring cut drops this one: the two pieces merge
        else:
            kept.append((at, depth))  # one long line: no line boundary keeps both sides within the budget
    return kept


def _merge_fragments(size: int, cuts: list[Cut], budget: int) -> list[int]:
    """Merge each fragment, smallest first, across its deeper cut, else its other cut, if the result fits."""
    small = fragment_bytes(budget)
    bounds = [0, *(at for at, _ in cuts), size]
    depths = [-1, *(depth for _, depth in cuts), -1]
    previous = list(range(-1, len(bounds) - 1))
    following = list(range(1, len(bounds) + 1))
    alive = [True] * len(bounds)

    def piece(start: int) -> int:
        return bounds[following[start]] - bounds[start]

    pending = [(piece(index), index) for index in range(len(bounds) - 1) if piece(index) < small]
    heapq.heapify(pending)
    while pending:
        length, start = heapq.heappop(pending)
        if not alive[start] or piece(start) != length:
            continue  # this piece has grown since it was queued
        end = following[start]
        sides = [bound for bound in (start, end) if 0 < bound < len(bounds) - 1]
        sides.sort(key=lambda bound: (-depths[bound], bounds[following[bound]] - bounds[previous[bound]]))
        for bound in sides:
            merged_start = previous[bound]
            merged = bounds[following[bound]] - bounds[merged_start]
            if merged <= budget:
                alive[bound] = False
                following[merged_start] = following[bound]
                previous[following[bound]] = merged_start
                if merged < small:
                    heapq.heappush(pending, (merged, merged_start))
                break
    return [bounds[index] for index in range(1, len(bounds) - 1) if alive[index]]
