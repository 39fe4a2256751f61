"""Every setting is parsed at startup, and a bad one is refused naming its flag and its variable.

Sizes, durations, counts, choices and switches each get a value of the wrong shape, through the
real command line (`rlm_mcp.cli.main`, the `rlm-mcp` entry point) both as a flag and as a variable.
Settings added later are covered too: the values come from each field's type.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import pytest

from rlm_mcp import cli
from rlm_mcp.config import Settings
from tests.startup.conftest import Command


def bad_values(spec: dataclasses.Field[Any]) -> list[str]:
    """Texts no setting of this kind may take: the wrong shape, and out of range for numbers."""
    hints = Settings.__annotations__[spec.name]
    if spec.metadata.get("size"):
        return ["lots", "-1g"]
    if "Literal" in hints or spec.name == "backend":
        return ["vm"]
    if hints.startswith("bool"):
        return ["maybe"]
    if hints.startswith("int"):
        return ["many", "1.5", "-1"]
    if hints.startswith("float"):
        return ["soon", "nan", "-1"]
    return []


CHECKED = [pytest.param(spec, id=spec.name) for spec in dataclasses.fields(Settings) if bad_values(spec)]


def refusal(capsys: pytest.CaptureFixture[str], *arguments: str) -> str:
    """Run `rlm-mcp ARGUMENTS`; it must exit 2 with one line on stderr, which is returned."""
    with pytest.raises(SystemExit) as exit_status:
        cli.main(list(arguments))
    captured = capsys.readouterr()
    assert exit_status.value.code == 2, captured.err
    assert captured.out == "" and len(captured.err.splitlines()) == 1, captured.err
    return captured.err


@pytest.fixture
def no_rlm_variables(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> pytest.MonkeyPatch:
    """No RLM_* variable of the test process leaks into the command; the cache goes to a fresh folder."""
    for name in [name for name in os.environ if name.startswith("RLM_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("RLM_CACHE_DIR", str(tmp_path))
    return monkeypatch


@pytest.mark.parametrize("spec", CHECKED)
def test_a_bad_value_is_refused_naming_the_flag_and_the_variable(
    spec: dataclasses.Field[Any], capsys: pytest.CaptureFixture[str], no_rlm_variables: pytest.MonkeyPatch
) -> None:
    """`rlm-mcp doctor --SETTING BAD`, and RLM_SETTING=BAD: exit 2, one line `rlm-mcp: --setting / RLM_SETTING: ...`."""
    flag, variable = "--" + spec.name.replace("_", "-"), spec.metadata["env"]
    backend = () if spec.name == "backend" else ("--backend", "local")
    for value in bad_values(spec):
        line = refusal(capsys, "doctor", *backend, f"{flag}={value}")
        assert line.startswith(f"rlm-mcp: {flag} / {variable}: "), value
        with no_rlm_variables.context() as environment:
            environment.setenv(variable, value)
            line = refusal(capsys, "doctor", *backend)
        assert line.startswith(f"rlm-mcp: {flag} / {variable}: "), value


def test_zero_is_accepted_where_it_means_none_or_no_wait() -> None:
    """Retries, waits and budgets may be 0; limits that would stop everything may not."""
    settings = Settings.from_env({}, llm_retries=0, max_calls=0, max_cost_usd=0.0, interrupt_grace_s=0.0)
    assert (settings.llm_retries, settings.max_calls) == (0, 0)


def test_serve_with_memory_lots_is_refused_at_startup(rlm_mcp: Command) -> None:
    """The real `rlm-mcp serve --memory lots` exits 2 before serving, with one line and no traceback."""
    done = rlm_mcp("serve", "--memory", "lots")
    assert done.returncode == 2, done.stderr
    assert done.stderr == "rlm-mcp: --memory / RLM_MEMORY: 'lots' is not valid: write a size such as 512m or 2g\n"
    assert done.stdout == ""
