"""Running the MCP server on stdio or streamable HTTP until the client leaves or SIGINT/SIGTERM arrives.

Either way the server's lifespan closes every session, so its sandboxes are gone when the process
exits; a signal stops it within seconds even while the client keeps stdin open, with no traceback.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager

import anyio
import uvicorn

from rlm_mcp.config import Settings
from rlm_mcp.errors import ConfigError
from rlm_mcp.hosts import is_loopback
from rlm_mcp.http_auth import HttpAccess, http_access, token_path
from rlm_mcp.server import build_server

log = logging.getLogger(__name__)
_GRACEFUL_HTTP_S = 3
"""Seconds open HTTP requests (and clients' standing event streams) get to finish once a stop is asked."""


def run_server(settings: Settings, transport: str = "stdio", host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve until the client goes away or SIGTERM/SIGINT arrives; sandboxes are stopped either way."""
    if transport == "http":
        access = http_access(settings, host, port)
        listener = _listen(host, port)
        _announce(settings, access, host)
        anyio.run(_serve_http, settings, access, host, port, listener)
    else:
        anyio.run(_serve_stdio, settings)


async def _serve_stdio(settings: Settings) -> None:
    server = build_server(settings)
    with _stdin_feed() as end_of_input, anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with anyio.create_task_group() as tasks:

            def stop() -> None:
                end_of_input()  # the SDK's blocking read of stdin returns, so its reader can finish
                tasks.cancel_scope.cancel()  # calls in flight stop; the lifespan's cleanup is shielded

            tasks.start_soon(_on_signal, signals, stop)
            await server.run_stdio_async()
            tasks.cancel_scope.cancel()


def _listen(host: str, port: int) -> socket.socket:
    """The HTTP port, bound before anything is announced: taken or forbidden, it is one line, not a traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise ConfigError(
                f"port {port} on {host or 'every address'} is in use (another rlm-mcp serve?): "
                f"pick a free one with --port, or stop what listens there (`ss -ltnp 'sport = :{port}'` names it)"
            ) from None
        raise ConfigError(f"cannot listen on {host or 'every address'} port {port}: {exc.strerror or exc}") from None


async def _serve_http(settings: Settings, access: HttpAccess, host: str, port: int, listener: socket.socket) -> None:
    server = build_server(settings, access)
    app = server.streamable_http_app(transport_security=access.security, host=host)
    web = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=_GRACEFUL_HTTP_S)
    )

    def stop() -> None:
        web.should_exit = True  # uvicorn's graceful stop runs the app's shutdown, which closes the sessions

    # Opened before uvicorn starts: uvicorn takes the signals while it serves and hands them back after.
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_on_signal, signals, stop)
            await web.serve(sockets=[listener])
            tasks.cancel_scope.cancel()


async def _on_signal(signals: AsyncIterator[signal.Signals], stop: Callable[[], None]) -> None:
    async for received in signals:
        log.info("got %s: stopping sandboxes and exiting", received.name)
        stop()


@contextmanager
def _stdin_feed() -> Iterator[Callable[[], None]]:
    """Put a pipe we control on fd 0, fed from the real stdin; yield the call that gives its reader EOF.

    The SDK reads stdin in a worker thread that cancellation cannot interrupt, so with the client's
    stdin still open a stop would wait for the client forever. A daemon thread copies the real stdin
    into the pipe; ending the input points the pipe's only write end at /dev/null (the descriptor
    number stays valid for the copying thread, so no other file can take it).
    """
    source = os.dup(0)
    read_end, write_end = os.pipe()
    os.dup2(read_end, 0)
    os.close(read_end)

    def end_of_input() -> None:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, write_end)
        os.close(null)

    def copy() -> None:
        try:
            while chunk := os.read(source, 65536):
                while chunk:
                    chunk = chunk[os.write(write_end, chunk) :]
        except OSError:  # the server stopped reading: nothing more to hand on
            pass
        end_of_input()

    threading.Thread(target=copy, name="rlm-mcp stdin", daemon=True).start()
    try:
        yield end_of_input
    finally:
        end_of_input()
        os.dup2(source, 0)


def _announce(settings: Settings, access: HttpAccess, host: str) -> None:
    """Tell the user, once on stderr, where to connect and how to authenticate."""
    lines = [f"rlm-mcp: serving MCP over streamable HTTP at {access.url}"]
    if settings.http_token:
        lines.append("rlm-mcp: clients must send  Authorization: Bearer <the value of RLM_HTTP_TOKEN>")
    elif access.token_is_new:
        lines.append(f"rlm-mcp: clients must send  Authorization: Bearer {access.token}")
        lines.append(f"rlm-mcp: (a new token, shown only now; it is kept 0600 in {token_path(settings)})")
    else:
        lines.append(f"rlm-mcp: clients must send  Authorization: Bearer <the token in {token_path(settings)}>")
    if not is_loopback(host):
        lines.append(
            f"rlm-mcp: WARNING: listening on {host or 'every address'}, reachable from other machines over plain "
            "HTTP: anyone on the network path can read the token and every result. Prefer 127.0.0.1 with an SSH "
            "tunnel or a TLS proxy."
        )
    print("\n".join(lines), file=sys.stderr, flush=True)
