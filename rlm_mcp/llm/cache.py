"""On-disk response cache: sqlite (WAL) keyed by the sha256 of the request's canonical JSON.

Only deterministic requests are cached (temperature unset or 0, one choice): caching a sampled
answer would silently turn "ask again" into "repeat". Errors are never stored. Lookups (~3 us)
and inserts (~35 us) are fast enough to run inline: a worker-thread hop costs ~130 us.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rlm_mcp.llm.results import Message, Reply
from rlm_mcp.private_files import private_file

log = logging.getLogger(__name__)

_KEY_VERSION = 1
"""Bump when the key or the stored value changes shape, so old rows are never misread."""


def is_deterministic(params: Mapping[str, Any]) -> bool:
    """Whether a request with ``params`` should give the same answer each time it is made."""
    return params.get("temperature") in (None, 0) and params.get("n") in (None, 1)


def cache_key(model: str, api_base: str | None, messages: Sequence[Message], params: Mapping[str, Any]) -> str:
    """sha256 of everything that shapes the answer (never the API key)."""
    request = {
        "v": _KEY_VERSION,
        "model": model,
        "api_base": api_base,
        "messages": messages,
        "params": params,
    }
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class ResponseCache:
    """One sqlite file under ``directory``, shared safely by every broker that opens it.

    Opened past ``max_bytes`` (None: no bound), it first drops its oldest answers down to 3/4 of it.
    """

    def __init__(self, directory: Path, max_bytes: int | None = None) -> None:
        # Created 0600 in a 0700 folder before sqlite opens it: sqlite gives its -wal and -shm files the same mode.
        self.path = private_file(directory / "llm-responses.sqlite3")
        # Autocommit: every insert is its own short transaction, so other sessions never wait long.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA busy_timeout = 5000")
        self._db.execute("PRAGMA journal_mode = WAL")
        # A lost last write after a power cut only costs a repeated call.
        self._db.execute("PRAGMA synchronous = NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL)"
        )
        if max_bytes is not None and self.path.stat().st_size > max_bytes:
            self._keep_newest(max_bytes * 3 // 4)

    def _keep_newest(self, budget: int) -> None:
        """Drop the oldest answers so the rest fit in about ``budget`` bytes, then give the space back.

        Best effort: another process holding the file busy only postpones it to the next open.
        """
        kept, cutoff = 0, None
        rows = self._db.execute("SELECT created, length(key) + length(value) FROM responses ORDER BY created DESC")
        for created, size in rows:
            kept += size
            if kept > budget:
                cutoff = created
                break
        rows.close()
        try:
            if cutoff is not None:
                self._db.execute("DELETE FROM responses WHERE created <= ?", (cutoff,))
            self._db.execute("VACUUM")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # in WAL mode the file shrinks only here
        except sqlite3.OperationalError as exc:
            log.warning("the sub-call cache %s could not be trimmed now: %s", self.path, exc)

    def get(self, key: str) -> Reply | None:
        """The stored reply for ``key``, if any."""
        row = self._db.execute("SELECT value FROM responses WHERE key = ?", (key,)).fetchone()
        return None if row is None else Reply(**json.loads(row[0]))

    def put(self, key: str, reply: Reply) -> None:
        """Store a successful reply under ``key``."""
        value = json.dumps(
            {
                "text": reply.text,
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
                "cost_usd": reply.cost_usd,
            }
        )
        self._db.execute("INSERT OR REPLACE INTO responses VALUES (?, ?, ?)", (key, value, time.time()))

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()
