"""Fixtures for the security suite: a tripwire server standing in for an attacker's URL."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator

import pytest


class Tripwire:
    """A TCP server on 127.0.0.1 that records every connection made to it and the bytes sent, then hangs up.

    It stands for any URL sandbox code might name: a request for it must never leave the host.
    """

    def __init__(self) -> None:
        self.received: list[bytes] = []
        """What each connection sent (request line, headers and body), in arrival order."""
        tripwire = self

        class Record(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                self.request.settimeout(2.0)
                data = b""
                try:
                    while b"\r\n\r\n" not in data and (chunk := self.request.recv(65536)):
                        data += chunk
                except OSError:
                    pass
                tripwire.received.append(data)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Record)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="tripwire", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Tripwire:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def tripwire() -> Iterator[Tripwire]:
    """An attacker's URL on this machine that records anything sent to it."""
    wire = Tripwire().start()
    yield wire
    wire.stop()
