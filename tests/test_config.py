"""Settings: flags over RLM_* variables over defaults, and a bad value named with its variable."""

from __future__ import annotations

import argparse

import pytest

from rlm_mcp.config import Settings
from rlm_mcp.errors import ConfigError


def test_a_flag_wins_over_its_variable_which_wins_over_the_default() -> None:
    """RLM_MEMORY sets the memory; --memory, given too, replaces it; unset ones keep their default."""
    parser = argparse.ArgumentParser()
    Settings.add_arguments(parser)
    environ = {"RLM_MEMORY": "1g", "RLM_PIDS": "64"}
    settings = Settings.from_args(parser.parse_args(["--memory", "3g"]), environ)
    assert (settings.memory, settings.pids, settings.cpus) == ("3g", 64, 2.0)


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"RLM_PIDS": "many"}, "--pids / RLM_PIDS: 'many' is not a whole number"),
        ({"RLM_LLM_CACHE": "maybe"}, "--llm-cache / RLM_LLM_CACHE: 'maybe' is not true or false"),
        ({"RLM_BACKEND": "vm"}, "--backend / RLM_BACKEND: 'vm'"),
        ({"RLM_MAX_SESSIONS": "0"}, "--max-sessions / RLM_MAX_SESSIONS: 0"),
        ({"RLM_MAX_OUTPUT_CHARS": "1000000"}, "--max-output-chars / RLM_MAX_OUTPUT_CHARS"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(environ: dict[str, str], named: str) -> None:
    """The error says which variable holds the bad value, so the user knows what to fix."""
    with pytest.raises(ConfigError) as refused:
        Settings.from_env(environ)
    assert named in str(refused.value)
