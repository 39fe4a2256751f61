"""A deterministic stand-in for the root model, served by the local OpenAI-compatible test server.

In rlm_ask it probes with grep, fans a few sub-calls out with llm_batch (answered by the server's
echo), then computes the answer in the sandbox with facts.py and sets FINAL_ANSWER. As the baseline
it answers from the files its truncated prompt shows. It tests the loop, scoring and report, not a model.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Sequence
from typing import Any

from rlm_mcp.ask import root_prompt

from . import baseline, facts
from .tasks import Task

ROOT_MODEL = "openai/scripted-root"
SUB_MODEL = "openai/scripted-sub"
GAVE_UP = "I ran out of turns before finishing."
_ROOT_SYSTEMS = (root_prompt.system(sub_calls=True), root_prompt.system(sub_calls=False))
_QUESTION = re.compile(r"<question>\n(.*?)\n</question>", re.DOTALL)


def _probe(task: Task) -> str:
    """A fixed string grep can look for, per task family."""
    if task.family == "needle":
        return "vault access code"
    return task.args[-1] if task.args else "class "


def rlm_steps(task: Task) -> list[str]:
    """The code the scripted root writes for `task`, one block per turn."""
    return [
        inspect.getsource(facts)
        + "\nSOURCES = {path: f.text for path, f in files.items() if path.endswith('.py')}\n"
        + f"hits = grep({_probe(task)!r}, fixed=True, max_hits=100)\n"
        + "print(len(SOURCES), 'python files,', len(hits), 'hits')",
        "notes = llm_batch([f'In one line, what does {h.where} do?\\n{h.text}' for h in hits[:3]])\nprint(notes)",
        f"{root_prompt.ANSWER_VARIABLE} = {task.function}(SOURCES, *{task.args!r})",
    ]


class ScriptedRoot:
    """A responder for OpenAIServer: plays the root model; requests for other models get the echo.

    In an rlm_ask conversation the n-th reply is the n-th block of `steps(question)` (the last one
    repeats); the final-turn request gets GAVE_UP; any other prompt gets `answer(question, prompt)`.
    """

    def __init__(
        self,
        steps: Callable[[str], Sequence[str]],
        answer: Callable[[str, str], str] | None = None,
        model: str = ROOT_MODEL,
        fenced: bool = True,
    ) -> None:
        self.model = model.split("/", 1)[-1]  # litellm sends the name without the provider prefix
        self.steps = steps
        self.answer = answer
        self.fenced = fenced
        """False: each step is a whole reply, sent as it is (to play models that stray from the protocol)."""

    def __call__(self, body: dict[str, Any]) -> str | None:
        if body.get("model") != self.model:
            return None
        messages = body["messages"]
        last = str(messages[-1]["content"])
        if last == root_prompt.FINAL_REQUEST:
            return GAVE_UP
        asked = _QUESTION.search(str(messages[1]["content"]))
        question = asked.group(1) if asked else ""
        if messages[0]["content"] in _ROOT_SYSTEMS:
            turn = sum(message["role"] == "assistant" for message in messages)
            steps = self.steps(question)
            step = steps[min(turn, len(steps) - 1)]
            return f"```python\n{step}\n```" if self.fenced else step
        return self.answer(question, last) if self.answer is not None else None


def for_tasks(tasks: Sequence[Task]) -> ScriptedRoot:
    """The scripted root of the quality suite: rlm_steps in rlm_ask, the visible files as the baseline."""
    by_question = {task.question: task for task in tasks}
    return ScriptedRoot(
        lambda question: rlm_steps(by_question[question]),
        lambda question, prompt: by_question[question].solve(baseline.visible_sources(prompt)),
    )
