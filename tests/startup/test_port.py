"""`serve --transport http` on a port something else holds: one line saying so and what to do, exit 2."""

from __future__ import annotations

import socket

from tests.startup.conftest import Command


def test_a_port_in_use_is_one_line_not_a_traceback(rlm_mcp: Command) -> None:
    """The port is taken: exit 2 before any token is announced, with the port, --port, and no traceback."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = rlm_mcp("serve", "--transport", "http", "--port", str(port), "--backend", "local")
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        f"rlm-mcp: port {port} on 127.0.0.1 is in use (another rlm-mcp serve?): pick a free one with --port, "
        f"or stop what listens there (`ss -ltnp 'sport = :{port}'` names it)"
    ]
