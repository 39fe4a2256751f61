"""Bounding what user code produces, while it is produced (standard library only).

A 1 GB print must not grow memory without bound, and nothing unbounded may cross the
channel: output keeps a head and a rolling tail, reprs are cut before they are built.
"""

from __future__ import annotations

import io
from collections import deque
from itertools import chain, islice
from typing import Any

_OMITTED = "\n... [{omitted:,} chars omitted{where}] ...\n"
_BIG_CONTAINER = 10_000
_CONTAINERS = (dict, list, tuple, set, frozenset, deque)
_BRACKETS = {
    dict: ("{", "}"),
    list: ("[", "]"),
    tuple: ("(", ")"),
    set: ("{", "}"),
    frozenset: ("{", "}"),
    deque: ("[", "]"),
}
_LEAF_CHARS = 200
_MAX_DEPTH = 4
_OVERSHOOT = 64
"""How far past its budget a shortened repr may end: the `...` and closing brackets of each open level."""


class CapturedText(io.TextIOBase):
    """A text stream that keeps the first and last `keep_chars // 2` characters written."""

    def __init__(self, keep_chars: int) -> None:
        self._half = max(keep_chars // 2, 1)
        self._head: list[str] = []
        self._head_len = 0
        self._tail: list[str] = []
        self._tail_len = 0
        self.total_chars = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        size = len(text)
        self.total_chars += size
        room = self._half - self._head_len
        if room > 0:
            piece = text[:room]
            self._head.append(piece)
            self._head_len += len(piece)
            text = text[room:]
        if text:
            self._push_tail(text[-self._half :])
        return size

    def _push_tail(self, text: str) -> None:
        self._tail.append(text)
        self._tail_len += len(text)
        if self._tail_len > 2 * self._half:
            joined = "".join(self._tail)[-self._half :]
            self._tail = [joined]
            self._tail_len = len(joined)

    def getvalue(self) -> str:
        """Everything kept, with a marker where characters were dropped."""
        head = "".join(self._head)
        tail = "".join(self._tail)[-self._half :]
        omitted = self.total_chars - len(head) - len(tail)
        if omitted <= 0:
            return head + tail
        return head + _OMITTED.format(omitted=omitted, where="") + tail


def clip(text: str, max_chars: int, where: str = "") -> str:
    """Cut `text` to about `max_chars`: two thirds from the head, one third from the tail."""
    if len(text) <= max_chars:
        return text
    head = max_chars * 2 // 3
    tail = max_chars - head
    omitted = len(text) - head - tail
    note = f"; {where}" if where else ""
    return text[:head] + _OMITTED.format(omitted=omitted, where=note) + text[len(text) - tail :]


class _Shortener:
    """A repr of nested containers written into a character budget; whatever does not fit becomes `...`.

    Our own rather than reprlib's: Repr() takes keyword limits only from 3.12, and its limits are per
    level, so 200 lists of 200 lists still build 40,000 reprs.
    """

    def __init__(self, budget: int) -> None:
        self.left = budget
        self._open: set[int] = set()  # containers being written: met again, they are a cycle

    def repr(self, value: object, depth: int = 0) -> str:
        """`value` written into what is left of the budget; a leaf keeps at most _LEAF_CHARS."""
        if isinstance(value, _CONTAINERS):
            return self._container(value, depth)
        room = max(min(_LEAF_CHARS, self.left), 1)
        if isinstance(value, str | bytes | bytearray) and len(value) > room:
            text = repr(value[:room]) + "..."  # sliced first: a 1 GB string is never copied whole
        else:
            text = repr(value)
            if len(text) > room:
                text = text[:room] + "..."
        self.left -= len(text)
        return text

    def _container(self, value: Any, depth: int) -> str:
        kind = next(kind for kind in _CONTAINERS if isinstance(value, kind))
        name = type(value).__name__
        if kind in (set, frozenset) and not value:
            return f"{name}()"
        opening, closing = _BRACKETS[kind]
        if type(value) is not kind or kind in (frozenset, deque):
            opening, closing = f"{name}({opening}", f"{closing})"
        if kind is tuple and len(value) == 1:
            closing = "," + closing
        if id(value) in self._open:
            return f"{opening}...{closing}"
        self._open.add(id(value))
        pieces: list[str] = []
        for member in value.items() if isinstance(value, dict) else value:
            if self.left <= 0 or depth >= _MAX_DEPTH:
                pieces.append("...")
                break
            if isinstance(value, dict):
                pieces.append(f"{self.repr(member[0], depth + 1)}: {self.repr(member[1], depth + 1)}")
            else:
                pieces.append(self.repr(member, depth + 1))
            self.left -= 4 if isinstance(value, dict) else 2  # ", " and ": "
        self._open.discard(id(value))
        self.left -= len(opening) + len(closing)
        return opening + ", ".join(pieces) + closing


def _is_small(value: object, max_chars: int) -> bool:
    """True when `value` holds at most _BIG_CONTAINER items and a few times `max_chars` of text in all.

    The walk itself is bounded: it stops as soon as either budget is spent, whatever `len()` claims.
    A cyclic container is never small; it is shortened like a big one.
    """
    items, chars = _BIG_CONTAINER, 4 * max_chars
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str | bytes | bytearray):
            chars -= len(item)
        elif isinstance(item, _CONTAINERS):  # shared or cyclic members count at every visit, as repr writes them
            members = islice(chain(item.keys(), item.values()) if isinstance(item, dict) else item, items + 1)
            before = len(pending)
            pending.extend(members)
            items -= len(pending) - before
        if items < 0 or chars < 0:
            return False
    return True


def bounded_repr(value: object, max_chars: int) -> str:
    """repr() that never builds more than a few times `max_chars` for str, bytes or big (nested) containers."""
    try:
        if isinstance(value, str | bytes | bytearray) and len(value) > max_chars:
            shown = repr(value[:max_chars])
            return f"{shown} ... [{len(value):,} {'chars' if isinstance(value, str) else 'bytes'} in all]"
        if isinstance(value, _CONTAINERS) and not _is_small(value, max_chars):
            count = len(value)
            note = f" [{count:,} {'item' if count == 1 else 'items'} in all]"
            budget = max(max_chars - len(note) - _OVERSHOOT, _LEAF_CHARS // 4)
            return _Shortener(budget).repr(value) + note
        return repr(value)
    except Exception as exc:  # a broken __repr__ (or __len__, __iter__) must not break the exec result
        return f"<repr failed: {type(exc).__name__}: {exc}>"
