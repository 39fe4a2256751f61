"""The persistent REPL, run by the same tests on every backend (local subprocess and Docker)."""

from __future__ import annotations

import resource

import anyio
import pytest

from rlm_mcp._sandbox.wire import MAX_FRAME_BYTES
from rlm_mcp.errors import SandboxRestarted
from rlm_mcp.repl_client import ReplClient

pytestmark = pytest.mark.anyio


async def test_variables_and_functions_persist_across_execs(repl: ReplClient) -> None:
    """One globals dict: a function defined early sees a global defined later."""
    await repl.exec("def total():\n    return base + extra")
    await repl.exec("base = 40")
    await repl.exec("extra = 2")
    result = await repl.exec("total()")
    assert result.error is None
    assert result.value == "42"


async def test_exec_reports_output_value_and_changed_names(repl: ReplClient) -> None:
    """stdout, stderr, the trailing expression's repr and the names it bound come back."""
    result = await repl.exec("import sys\nx = [1, 2]\nprint('out')\nprint('err', file=sys.stderr)\nlen(x)")
    assert (result.stdout, result.stderr, result.value) == ("out\n", "err\n", "2")
    assert set(result.changed) == {"sys", "x"}
    assert result.elapsed_s >= 0


async def test_lone_surrogates_are_replaced_not_fatal(repl: ReplClient) -> None:
    """Text UTF-8 cannot carry, in the output or in the code, arrives as '?' and the exec still answers."""
    result = await repl.exec("s = b'caf\\xe9'.decode('utf-8', 'surrogateescape')\nprint(s)\ns")
    assert (result.error, result.stdout, result.value) == (None, "caf?\n", "'caf\\udce9'")  # repr escapes it
    assert (await repl.exec("'\udcff'")).value == "'?'"


async def test_errors_are_results_with_user_frames_only(repl: ReplClient) -> None:
    """A raised exception is data: type, message, and a traceback pointing at the cell."""
    result = await repl.exec("def f():\n    return 1 / 0\nf()")
    assert result.error is not None
    assert result.error["type"] == "ZeroDivisionError"
    assert "<cell" in result.error["traceback"] and "repl.py" not in result.error["traceback"]


async def test_syntax_error_is_reported_and_changes_nothing(repl: ReplClient) -> None:
    """Invalid code returns a SyntaxError result; the REPL goes on."""
    await repl.exec("keep = 1")
    result = await repl.exec("def broken(:\n")
    assert result.error is not None and result.error["type"] == "SyntaxError"
    assert (await repl.exec("keep")).value == "1"


async def test_system_exit_does_not_end_the_repl(repl: ReplClient) -> None:
    """exit() in user code is an error result, not the end of the session."""
    await repl.exec("keep = 'yes'")
    result = await repl.exec("raise SystemExit(3)")
    assert result.error is not None and result.error["type"] == "SystemExit"
    assert (await repl.exec("keep")).value == "'yes'"


async def test_interrupted_infinite_loop_keeps_earlier_variables(repl: ReplClient) -> None:
    """An exec over its time limit is interrupted; what existed before survives."""
    await repl.exec("counter = 0\nsaved = 'intact'")
    result = await repl.exec("while True:\n    counter += 1", timeout_s=0.5)
    assert result.timed_out
    assert result.error is not None and result.error["type"] == "KeyboardInterrupt"
    after = await repl.exec("saved, counter > 0")
    assert after.value == "('intact', True)"


async def test_interrupt_wakes_a_blocking_sleep(repl: ReplClient) -> None:
    """The interrupt reaches code blocked in a system call, not only Python loops."""
    result = await repl.exec("import time\ntime.sleep(60)", timeout_s=0.5)
    assert result.timed_out and result.error is not None
    assert result.elapsed_s < 10


async def test_code_stuck_in_c_gets_a_restart_and_says_state_is_lost(repl: ReplClient) -> None:
    """Catastrophic regex backtracking ignores SIGINT: the sandbox restarts and says so."""
    await repl.exec("lost = 1")
    with pytest.raises(SandboxRestarted, match="variable from before is lost"):
        await repl.exec("import re\nre.match(r'(a+)+$', 'a' * 64 + 'b')", timeout_s=0.5)
    after = await repl.exec("print('alive')\n'lost' in globals()")
    assert after.stdout == "alive\n" and after.value == "False"
    assert repl.restarts == 1


async def test_gigabyte_print_is_capped_and_host_memory_stays_bounded(repl: ReplClient) -> None:
    """1 GB of print output comes back as a capped head with its true size; the host never holds it."""
    rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = await repl.exec("chunk = 'x' * 1_000_000\nfor _ in range(1000):\n    print(chunk)", max_chars=5000)
    rss_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before_kb) / 1024
    assert result.error is None
    assert result.stdout_chars == 1000 * 1_000_001
    assert result.stdout == "x" * 5000
    assert rss_growth_mb < 100
    kept = await repl.exec("len(_stdout) < 10_000_000")
    assert kept.value == "True"


async def test_huge_trailing_value_is_capped_and_kept_in_underscore(repl: ReplClient) -> None:
    """A huge repr is cut before it is built; the value itself stays in `_`."""
    result = await repl.exec("'y' * 50_000_000", max_chars=2000)
    assert result.value is not None and len(result.value) == 2000 and result.value_chars > 2000
    assert (await repl.exec("len(_)")).value == "50000000"


async def test_writes_to_file_descriptor_one_do_not_corrupt_the_channel(repl: ReplClient) -> None:
    """Output written below sys.stdout (fd 1, subprocesses) never reaches the protocol stream."""
    result = await repl.exec("import os\nos.write(1, b'garbage' * 1000)\nos.system('echo noise')\n'ok'")
    assert result.value == "'ok'"
    assert (await repl.exec("1 + 1")).value == "2"


async def test_vars_lists_user_variables_with_type_and_size(repl: ReplClient) -> None:
    """`vars` and SHOW_VARS describe the user's variables, not the helpers."""
    await repl.exec("names = ['a', 'b', 'c']\n_private = 1")
    rows = await repl.request("vars")
    assert rows == [{"name": "names", "type": "list", "len": 3, "preview": "['a', 'b', 'c']"}]
    shown = await repl.exec("SHOW_VARS()")
    assert shown.stdout.startswith("names: list len=3")


async def test_ping_answers_while_an_exec_runs(repl: ReplClient) -> None:
    """The channel is multiplexed: a ping gets through during a long exec."""
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(repl.exec, "import time\ntime.sleep(2)")
        with anyio.fail_after(1.5):  # a busy pong must come while the 2 s exec still runs
            while not (await repl.ping())["busy"]:
                pass


async def test_sandbox_calls_the_host_during_an_exec(repl: ReplClient) -> None:
    """llm_query/llm_batch travel as frames to the host and return its answers in order."""
    result = await repl.exec("llm_batch(['a', 'b']) + [llm_query('c')]")
    assert result.value == "['A', 'B', 'C']"


async def test_malformed_frame_is_rejected_and_session_continues(repl: ReplClient) -> None:
    """Garbage on the channel is dropped with an error; the next exec works."""
    channel = repl._channel
    assert channel is not None
    await channel.send_raw(b"\x00\x00\x00\x05nope!")
    oversized = MAX_FRAME_BYTES + 1
    await channel.send_raw(oversized.to_bytes(4, "big") + b"z" * oversized)
    assert (await repl.exec("'still here'")).value == "'still here'"
