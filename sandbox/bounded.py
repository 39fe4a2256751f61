"""Bounding what user code produces, while it is produced (standard library only).

A 1 GB print must not grow memory without bound, and nothing unbounded may cross the
channel: output keeps a head and a rolling tail, reprs are cut before they are built.
"""

from __future__ import annotations

import io
import reprlib

_OMITTED = "\n... [{omitted:,} chars omitted{where}] ...\n"
_BIG_CONTAINER = 10_000


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


def bounded_repr(value: object, max_chars: int) -> str:
    """repr() that never builds more than a few times `max_chars` for str, bytes or big containers."""
    if isinstance(value, str | bytes | bytearray) and len(value) > max_chars:
        shown = repr(value[:max_chars])
        return f"{shown} ... [{len(value):,} {'chars' if isinstance(value, str) else 'bytes'} in all]"
    if isinstance(value, list | tuple | set | frozenset | dict) and len(value) > _BIG_CONTAINER:
        shortener = reprlib.Repr(maxlevel=3, maxlist=200, maxtuple=200, maxset=200, maxdict=100)
        shortener.maxstring = shortener.maxother = 200
        return f"{shortener.repr(value)} [{len(value):,} items in all]"
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not break the exec result
        text = f"<repr failed: {type(exc).__name__}: {exc}>"
    return text
