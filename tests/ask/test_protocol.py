"""The root protocol survives what real models send: the loop runs the right code and takes only real answers.

Each test plays one habit seen in the reference library's issues with a scripted root on the real local
server, through `ask()` on the local backend: code followed by output the model made up, an answer set as
a dict, `FINAL(...)` / `FINAL_VAR(...)` text, an answer set in a block that then fails, and no code at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from rlm_mcp import ask
from rlm_mcp.ask import replies, root_prompt
from rlm_mcp.config import Settings
from tests.ask.conftest import RecordedRoot

Script = Callable[..., RecordedRoot]


def python(code: str) -> str:
    return f"```python\n{code}\n```"


def iterations(result_trajectory: str) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in Path(result_trajectory).read_text().splitlines()]
    return [line for line in lines if line.get("event") == "iteration"]


def test_output_the_model_invents_after_its_code_is_ignored(
    package_copy: Path, script_replies: Script, ask_settings: Callable[..., Settings]
) -> None:
    """Code before the made-up output runs; the code and FINAL(...) after it do not; the root reads the real output."""
    root = script_replies(
        [
            python("n = len(files)\nprint('files:', n)")
            + "\nOutput:\n```\nfiles: 3\n```\n"
            + python("n = 3")
            + "\nFINAL(There are 3 files.)",
            python("FINAL_ANSWER = f'There are {n} files.'"),
        ]
    )
    result = ask(package_copy, "How many files?", settings=ask_settings())
    counted = re.search(r"files: (\d+)", root.feedback(1))
    assert counted is not None and counted.group(1) != "3"
    assert (result.finished, result.iterations, result.answer) == (True, 2, f"There are {counted.group(1)} files.")
    assert replies.INVENTED_OUTPUT in root.feedback(1)
    assert iterations(result.trajectory)[0]["code"] == ["n = len(files)\nprint('files:', n)"]


def test_final_text_written_next_to_code_does_not_end_the_ask(
    package_copy: Path, script_replies: Script, ask_settings: Callable[..., Settings]
) -> None:
    """A FINAL(...) in a reply with code was written before the output: the code runs and the root is told."""
    root = script_replies([python("n = len(files)") + "\nFINAL(a guess)", "FINAL(checked)"])
    result = ask(package_copy, "How many files?", settings=ask_settings())
    assert (result.answer, result.iterations) == ("checked", 2)
    assert replies.FINAL_WITH_CODE in root.feedback(1)


def test_an_answer_set_as_a_dict_comes_back_as_json(
    package_copy: Path, script_replies: Script, ask_settings: Callable[..., Settings]
) -> None:
    """FINAL_ANSWER = {...} finishes the ask, and the answer is the dict as JSON, not a Python repr."""
    script_replies([python("FINAL_ANSWER = {'answer': 'llm/broker.py', 'lines': [1, 2], 'sure': True}")])
    result = ask(package_copy, "Where?", settings=ask_settings())
    assert result.finished and result.iterations == 1
    assert json.loads(result.answer) == {"answer": "llm/broker.py", "lines": [1, 2], "sure": True}


def test_final_text_in_a_reply_without_code_is_the_answer(
    package_copy: Path, script_replies: Script, ask_settings: Callable[..., Settings]
) -> None:
    """`FINAL(...)` on its own line, quotes and nested parentheses included, ends the ask with its inside."""
    script_replies([python("n = len(files)"), 'All checked.\n**FINAL("The broker (llm/broker.py:1) sends calls.")**'])
    result = ask(package_copy, "Where?", settings=ask_settings())
    assert (result.finished, result.iterations) == (True, 2)
    assert result.answer == "The broker (llm/broker.py:1) sends calls."


def test_final_var_names_the_variable_holding_the_answer(
    package_copy: Path, script_replies: Script, ask_settings: Callable[..., Settings]
) -> None:
    """FINAL_VAR(name) returns that REPL variable's value; a name the REPL lacks is said back to the root."""
    root = script_replies(
        [python("summary = f'{2 + 2} from the REPL'"), "FINAL_VAR(missing)", "Done:\nFINAL_VAR(summary)"]
    )
    result = ask(package_copy, "How many files?", settings=ask_settings())
    assert (result.answer, result.iterations) == ("4 from the REPL", 3)
    assert "FINAL_VAR(missing) names no variable" in root.feedback(2)


def test_an_answer_set_in_a_block_that_then_fails_is_not_taken(
    package_copy: Path, script_replies: Script, ask_settings: Callable[..., Settings]
) -> None:
    """The root reads the error and a note, FINAL_ANSWER is cleared, later blocks do not run; its next answer counts."""
    root = script_replies(
        [
            python("FINAL_ANSWER = 'a guess'\nprint(undefined_name)") + "\n" + python("after = True"),
            python("FINAL_ANSWER = f\"checked; later block ran: {'after' in globals()}\""),
        ]
    )
    result = ask(package_copy, "Where?", settings=ask_settings())
    assert (result.finished, result.answer, result.iterations) == (True, "checked; later block ran: False", 2)
    feedback = root.feedback(1)
    assert "NameError" in feedback and "Block 1 set FINAL_ANSWER and then failed" in feedback
    assert "block(s) 2-2 did not run" in feedback


def test_an_answer_from_a_failed_block_is_the_partial_answer_at_a_limit(
    package_copy: Path, script_replies: Script, ask_settings: Callable[..., Settings]
) -> None:
    """When a limit stops the ask right after such a block, its FINAL_ANSWER is the partial answer, marked so."""
    script_replies([python("FINAL_ANSWER = 'a guess'\n1 / 0")])
    result = ask(package_copy, "Where?", settings=ask_settings(), max_tokens=1)
    assert (result.finished, result.stop_reason, result.answer) == (False, "max_tokens", "a guess")
    assert "set in a block that then failed" in result.note


def test_a_reply_without_code_gets_the_protocol_back(
    package_copy: Path, script_replies: Script, ask_settings: Callable[..., Settings]
) -> None:
    """Prose only (a FINAL mentioned mid-sentence included) runs nothing and is answered with how to go on."""
    root = script_replies(
        ["I think the answer is 42; I will call FINAL(42) once sure.", "```repl\nFINAL_ANSWER = str(6 * 7)\n```"]
    )
    result = ask(package_copy, "How many files?", settings=ask_settings())
    assert (result.answer, result.iterations) == ("42", 2)
    assert root_prompt.NO_CODE in root.feedback(1)
    assert iterations(result.trajectory)[0]["code"] == []


def test_the_last_turn_takes_the_inside_of_a_final_line(
    package_copy: Path, script_replies: Script, ask_settings: Callable[..., Settings]
) -> None:
    """The code-free answer asked for at the iteration limit may come as FINAL(...): its inside is the answer."""
    script_replies([python("x = 1")], last="From what I saw:\nFINAL(x is 1)")
    result = ask(package_copy, "What is x?", settings=ask_settings(), max_iterations=1)
    assert (result.finished, result.stop_reason, result.answer) == (False, "max_iterations", "x is 1")


def test_the_last_turn_answer_is_capped_like_any_answer(
    package_copy: Path, script_replies: Script, ask_settings: Callable[..., Settings]
) -> None:
    """A root whose code-free last reply runs long cannot return more than the answer cap to the agent."""
    script_replies([python("x = 1")], last="x is 1. " * 500)
    result = ask(package_copy, "What is x?", settings=ask_settings(max_output_chars=1000), max_iterations=1)
    assert (result.stop_reason, len(result.answer)) == ("max_iterations", 1000)


def test_an_empty_final_is_no_answer(
    package_copy: Path, script_replies: Script, ask_settings: Callable[..., Settings]
) -> None:
    """`FINAL()` with nothing inside does not end the ask: the root is told, and its next answer is taken."""
    root = script_replies(["FINAL()", "FINAL(the real answer)"])
    result = ask(package_copy, "What is it?", settings=ask_settings())
    assert (result.finished, result.answer, result.iterations) == (True, "the real answer", 2)
    assert replies.EMPTY_FINAL in root.feedback(1)
