"""Framing of the host <-> sandbox channel, sandbox side (standard library only).

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON (one object;
lone surrogates, which UTF-8 cannot carry, are sent as '?').
Requests carry {"id", "op", ...}; replies carry {"re": id, "ok": bool, "result" | "error"}.
Both ends may send requests at any time; ids are per sender. The host side lives in
rlm_mcp/backends/channel.py and speaks exactly this format.
"""

from __future__ import annotations

import json
import struct
import threading
from typing import Any, BinaryIO

HEADER = struct.Struct(">I")
MAX_FRAME_BYTES = 64 * 1024 * 1024
_DISCARD_CHUNK = 1024 * 1024


class FrameError(Exception):
    """A frame could not be decoded; the stream is still aligned on the next frame."""


def encode_frame(message: dict[str, Any]) -> bytes:
    """Serialise one message into a length-prefixed frame.

    A lone surrogate (from surrogateescape-decoded bytes, say) has no UTF-8 form and could not
    reach the agent anyway: it becomes '?' rather than failing the whole reply.
    """
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=repr).encode("utf-8", "replace")
    return HEADER.pack(len(body)) + body


class FrameReader:
    """Reads frames from a blocking binary stream; None means the peer closed it."""

    def __init__(self, stream: BinaryIO, max_bytes: int = MAX_FRAME_BYTES) -> None:
        self._stream = stream
        self._max_bytes = max_bytes

    def _read_exactly(self, size: int) -> bytes | None:
        data = self._stream.read(size)
        if data is None or len(data) < size:
            return None
        return data

    def read(self) -> dict[str, Any] | None:
        """Return the next message, None at end of stream; raise FrameError for a bad frame."""
        header = self._read_exactly(HEADER.size)
        if header is None:
            return None
        (size,) = HEADER.unpack(header)
        if size > self._max_bytes:
            self._discard(size)
            raise FrameError(f"frame of {size} bytes exceeds the {self._max_bytes}-byte limit")
        body = self._read_exactly(size)
        if body is None:
            return None
        try:
            message = json.loads(body)
        except ValueError as exc:
            raise FrameError(f"frame is not valid JSON: {exc}") from None
        if not isinstance(message, dict):
            raise FrameError("frame must hold a JSON object")
        return message

    def _discard(self, size: int) -> None:
        # Skipping the oversized body keeps the stream aligned so the session can go on.
        while size > 0:
            chunk = self._stream.read(min(size, _DISCARD_CHUNK))
            if not chunk:
                return
            size -= len(chunk)


class FrameWriter:
    """Writes frames to a blocking binary stream; safe to call from several threads."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def write(self, message: dict[str, Any]) -> None:
        frame = encode_frame(message)
        with self._lock:
            self._stream.write(frame)
            self._stream.flush()
