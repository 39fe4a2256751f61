"""Malformed, wrong-typed and deeply nested frames thrown at the runtime: it drops them and goes on."""

from __future__ import annotations

import json
import random

import pytest

from rlm_mcp._sandbox import wire
from rlm_mcp.repl_client import ReplClient

pytestmark = pytest.mark.anyio


def _random_bodies(count: int, seed: int = 7) -> list[bytes]:
    """Bodies a broken or hostile host could send: junk bytes, wrong-typed envelopes, unknown ops, deep nests."""
    rng = random.Random(seed)
    values: list[object] = [None, True, -1, 2**60, 1.5, "x", [], {}, [1, [2]], {"a": {"b": 1}}]
    keys = ["id", "op", "re", "ok", "code", "names", "name", "template", "over", "answers", "context", "max_chars"]
    # Ops that legitimately change state (or end the runtime) are left out: the check is that variables survive.
    changing = {wire.Op.DELETE, wire.Op.EXEC, wire.Op.ASSIGN, wire.Op.LOAD, wire.Op.SHUTDOWN}
    ops = [op for name, op in vars(wire.Op).items() if not name.startswith("_") and op not in changing]
    ops += ["nope", ""]
    bodies = []
    for _ in range(count):
        kind = rng.randrange(4)
        if kind == 0:
            bodies.append(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40))))
        elif kind == 1:
            depth = rng.choice([10, 40, 5000])
            bodies.append(("[" * depth + "]" * depth).encode())
        else:
            message = {key: rng.choice(values) for key in rng.sample(keys, rng.randrange(1, 6))}
            if kind == 3:
                message["op"] = rng.choice(ops)
                message["id"] = rng.randrange(10**6, 10**7)
            elif isinstance(message.get("op"), str) and message["op"] in changing:
                message["op"] = "nope"
            bodies.append(json.dumps(message).encode())
    return bodies


async def test_the_runtime_survives_a_storm_of_bad_frames(repl: ReplClient) -> None:
    """Four hundred bad frames later, variables and the exec loop are intact."""
    await repl.exec("kept = 41")
    channel = repl._channel
    assert channel is not None
    for body in _random_bodies(400):
        await channel.send_raw(len(body).to_bytes(4, "big") + body)
    result = await repl.exec("kept + 1")
    assert result.value == "42", result
    assert (await repl.ping())["pong"] is True
