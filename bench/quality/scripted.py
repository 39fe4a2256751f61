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
from .questions import Question

ROOT_MODEL = "openai/scripted-root"
SUB_MODEL = "openai/scripted-sub"
GAVE_UP = "I ran out of turns before finishing."
_ROOT_SYSTEMS = (root_prompt.system(sub_calls=True), root_prompt.system(sub_calls=False))
_QUESTION = re.compile(r"<question>\n(.*?)\n</question>", re.DOTALL)


def _probe(question: Question) -> str:
    """A fixed string grep can look for, per question."""
    if question.kind == "needle":
        return "access code of vault"
    return question.args[-1] if question.args else "class "


def rlm_steps(question: Question, sub_calls: bool = True) -> list[str]:
    """The code the scripted root writes for `question`, one block per turn (no llm_batch without sub-calls)."""
    look = (
        inspect.getsource(facts)
        + "\nSOURCES = {path: f.text for path, f in files.items() if path.endswith('.py')}\n"
        + f"hits = grep({_probe(question)!r}, fixed=True, max_hits=100)\n"
        + "print(len(SOURCES), 'python files,', len(hits), 'hits')"
    )
    delegate = "notes = llm_batch([f'In one line, what does {h.where} do?\\n{h.text}' for h in hits[:3]])\nprint(notes)"
    read = "print([h.where for h in hits[:3]])"
    solved = f"{question.function}(SOURCES, *{question.args!r})" if question.function else "''"
    answer = f"{root_prompt.ANSWER_VARIABLE} = {solved}"
    return [look, delegate if sub_calls else read, answer]


class ScriptedRoot:
    """A responder for OpenAIServer: plays the root model; requests for other models get the echo.

    In an rlm_ask conversation the n-th reply is the n-th block of `steps(question, sub_calls)` (the
    last one repeats; `sub_calls` is False in a REPL-only ask); the final-turn request gets GAVE_UP;
    any other prompt gets `answer(question, prompt)`.
    """

    def __init__(
        self,
        steps: Callable[[str, bool], Sequence[str]],
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
            steps = self.steps(question, messages[0]["content"] == _ROOT_SYSTEMS[0])
            step = steps[min(turn, len(steps) - 1)]
            return f"```python\n{step}\n```" if self.fenced else step
        return self.answer(question, last) if self.answer is not None else None


def for_questions(questions: Sequence[Question]) -> ScriptedRoot:
    """The scripted root of the quality suite: rlm_steps in rlm_ask, the visible files as the baseline."""
    by_text = {question.question: question for question in questions}
    return ScriptedRoot(
        lambda text, sub_calls: rlm_steps(by_text[text], sub_calls),
        lambda text, prompt: by_text[text].solve(baseline.visible_sources(prompt)),
    )
