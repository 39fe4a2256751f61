"""The rlm_ask loop: a root model writes Python, the session's sandbox runs it, until FINAL_ANSWER is set.

Root calls go through their own Broker (retries, usage, cost; never cached, so each ask is a fresh
run); sub-calls from the code go through the session's Broker as usual. Both count against the
ask's limits, and any limit ends the loop with a partial answer and the reason.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import anyio

from rlm_mcp import render
from rlm_mcp.ask import replies, root_prompt, trajectory
from rlm_mcp.ask.limits import AskLimits, Meter, StopReason
from rlm_mcp.config import Settings
from rlm_mcp.errors import ContextError, LLMError, ModelNotConfigured, RLMError
from rlm_mcp.llm import Broker, BrokerConfig, Message
from rlm_mcp.session import Progress, Session


@dataclass(frozen=True)
class AskResult:
    """The outcome of one rlm_ask: the answer, whether the root finished it, why the loop stopped."""

    answer: str
    """FINAL_ANSWER as the root set it (citations kept), or a partial answer when a limit hit."""
    finished: bool
    """True when the root set FINAL_ANSWER; False for a partial answer."""
    stop_reason: StopReason
    note: str
    """One sentence: why the loop stopped and where the answer came from."""
    iterations: int
    elapsed_s: float
    usage: dict[str, Any]
    """Tokens and cost of the root calls, of the sub-calls, and of both."""
    trajectory: str
    """The JSONL file holding every iteration of this ask."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


async def run_ask(
    session: Session,
    question: str,
    *,
    root_model: str | None = None,
    limits: AskLimits | None = None,
    root_params: Mapping[str, Any] | None = None,
    answer_chars: int | None = None,
    progress: Progress | None = None,
    sub_calls: bool = True,
) -> AskResult:
    """Answer `question` over the session's loaded context with the RLM loop; the caller holds the session.

    `root_params` go with every root call (e.g. temperature); `answer_chars` caps the answer
    (default RLM_MAX_OUTPUT_CHARS); `progress` hears once per iteration (sub-call progress would
    interleave with that count, so the caller's session hooks should carry none). `sub_calls=False`
    leaves llm_query/llm_batch out of the root's prompt (the REPL-only RLM; a session with
    max_calls=0 also refuses them).
    """
    if not question.strip():
        raise RLMError("question is empty: pass the question to answer over the loaded context")
    if session.corpus is None:
        raise ContextError(f"session {session.name!r} has no context loaded: call rlm_load_context first")
    settings = session.settings
    model = pick_root_model(settings, root_model)
    root = Broker(root_config(settings, model), cache_dir=None)
    run = _Run(
        session, question, model, limits or AskLimits.from_settings(settings), root, dict(root_params or {}), sub_calls
    )
    try:
        return await run.loop(answer_chars or settings.max_output_chars, progress)
    finally:
        root.close()


def pick_root_model(settings: Settings, override: str | None = None) -> str:
    """The root model: the call's, else RLM_ROOT_MODEL, else RLM_MODEL; ModelNotConfigured if none."""
    permitted = settings.broker_config().permitted_models
    if override and override not in permitted:
        raise LLMError(
            f"root_model {override!r} is not one this server may call ({', '.join(permitted) or 'none configured'}); "
            "leave it unset, or have the user add it with --allowed-models / RLM_ALLOWED_MODELS"
        )
    model = override or settings.root_model or settings.model
    if model is None:
        raise ModelNotConfigured(
            "rlm_ask needs a root model: set --root-model / RLM_ROOT_MODEL, or --model / RLM_MODEL "
            "(any litellm model string, e.g. anthropic/claude-sonnet-4-5 or openai/gpt-5-mini)."
        )
    return model


def root_config(settings: Settings, model: str) -> BrokerConfig:
    """The root's broker settings: the session's provider and retries, no budgets (the ask meters them)."""
    return dataclasses.replace(
        settings.broker_config(), model=model, sub_model=None, max_calls=None, max_tokens=None, max_cost_usd=None
    )


class _Run:
    """The state of one ask: the root's conversation, the meter, the trajectory."""

    def __init__(
        self,
        session: Session,
        question: str,
        model: str,
        limits: AskLimits,
        root: Broker,
        params: dict[str, Any],
        sub_calls: bool,
    ) -> None:
        self.session = session
        self.model = model
        self.limits = limits
        self.root = root
        self.params = params
        self.meter = Meter(limits, root.ledger, session.broker.ledger)
        self.ask_id = uuid.uuid4().hex[:12]
        self.output_chars = session.settings.ask_output_chars
        assert session.corpus is not None
        self.messages: list[Message] = [
            {"role": "system", "content": root_prompt.system(sub_calls)},
            {
                "role": "user",
                "content": root_prompt.opening(
                    question, session.corpus.manifest(), limits.max_iterations, self.output_chars
                ),
            },
        ]
        self.last_output = ""
        self.held_answer: str | None = None
        """FINAL_ANSWER as set by a block that then failed: not an answer, but the best partial one."""
        self._log("start", question=question, root_model=model, limits=dataclasses.asdict(limits), sub_calls=sub_calls)

    def _log(self, event: str, **fields: Any) -> None:
        trajectory.write(
            self.session, {"kind": "ask", "ask": self.ask_id, "event": event, **trajectory.bounded(fields)}
        )

    async def loop(self, answer_chars: int, report: Progress | None) -> AskResult:
        # A FINAL_ANSWER left by an earlier ask must not end this one.
        await self.session.delete_variables([root_prompt.ANSWER_VARIABLE])
        iterations = 0
        while True:
            reason = self.meter.exceeded(iterations)
            if reason is not None:
                break
            iterations += 1
            try:
                answer = await self._iterate(iterations, answer_chars)
            except TimeoutError:  # the root call outlived the time limit
                reason = "max_seconds"
                break
            except LLMError as exc:
                return self._finish("", False, "root_failed", f"the root model failed: {exc}", iterations)
            if report is not None:
                await report(iterations, self.limits.max_iterations, f"rlm_ask: iteration {iterations} done")
            if answer is not None:
                return self._finish(answer, True, "answered", f"answered in {iterations} iteration(s)", iterations)
        answer, source = await self._partial(reason)
        answer = answer[:answer_chars]  # the root's last reply and a held FINAL_ANSWER are capped like an answer
        note = f"stopped before a final answer: {self.meter.describe(reason, iterations)}; the answer is {source}"
        return self._finish(answer, False, reason, note, iterations)

    async def _iterate(self, iteration: int, answer_chars: int) -> str | None:
        """One root call and the run of its code; the answer when the root gave its final one."""
        ledger_before = trajectory.snapshot(self.session.broker.ledger)
        started = anyio.current_time()
        with anyio.fail_after(self.meter.seconds_left()):
            reply = await self.root.query(self.messages, **self.params)
        root_s = anyio.current_time() - started
        self.messages.append({"role": "assistant", "content": reply.text})
        parsed = replies.parse(reply.text)
        notes = [parsed.dropped] if parsed.dropped else []
        outputs: list[str] = []
        runs: list[dict[str, Any]] = []
        answer: str | None = None
        if parsed.final_text is not None and not parsed.final_text.strip():
            notes.append(replies.EMPTY_FINAL)
        elif parsed.final_text is not None:
            answer = parsed.final_text[:answer_chars]
        elif parsed.final_variable is not None:
            answer = await self._read_answer(answer_chars, parsed.final_variable)
            if answer is None:
                notes.append(f"FINAL_VAR({parsed.final_variable}) names no variable of the REPL; nothing was answered.")
        elif await self._run_blocks(parsed.code, outputs, notes, runs):
            answer = await self._read_answer(answer_chars)
        if outputs:
            self.last_output = outputs[-1]
        self._log(
            "iteration",
            iteration=iteration,
            root={
                "text": reply.text,
                "tokens": reply.prompt_tokens + reply.completion_tokens,
                "cost_usd": reply.cost_usd,
                "elapsed_s": round(root_s, 4),
            },
            code=parsed.code,
            output=outputs,
            exec=runs,
            notes=notes,
            sub_calls=trajectory.sub_calls(self.session.broker.ledger, ledger_before),
            elapsed_s=round(anyio.current_time() - started, 4),
        )
        if answer is None:
            self.messages.append(
                {"role": "user", "content": root_prompt.feedback(iteration, self.limits.max_iterations, outputs, notes)}
            )
        return answer

    async def _run_blocks(
        self, blocks: list[str], outputs: list[str], notes: list[str], runs: list[dict[str, Any]]
    ) -> bool:
        """Run the blocks in order until one fails or sets FINAL_ANSWER cleanly; True in that last case.

        Each run adds its rendered output to `outputs` and its time and error type to `runs` (for the trajectory).
        """
        for number, code in enumerate(blocks, 1):
            timeout = min(self.session.settings.exec_timeout_s, self.meter.seconds_left())
            result = await self.session.exec(code, timeout_s=max(timeout, 0.01), max_chars=self.output_chars)
            outputs.append(render.exec_result(result, self.output_chars))
            error = result.error["type"] if result.error is not None else None
            runs.append({"elapsed_s": round(result.elapsed_s, 4), "error": error, "timed_out": result.timed_out})
            answered = root_prompt.ANSWER_VARIABLE in result.changed
            if answered and result.error is None:
                return True
            if answered:  # set, then the block failed: the value may rest on what failed
                self.held_answer = await self._read_answer(self.session.settings.max_output_chars)
                await self.session.delete_variables([root_prompt.ANSWER_VARIABLE])
                notes.append(
                    f"Block {number} set {root_prompt.ANSWER_VARIABLE} and then failed, so it was not taken as "
                    f"your answer (the variable is cleared). Fix the error, then set it again."
                )
            if result.error is not None:
                if number < len(blocks):
                    notes.append(f"Block {number} failed, so block(s) {number + 1}-{len(blocks)} did not run.")
                return False
        return False

    async def _read_answer(self, answer_chars: int, name: str = root_prompt.ANSWER_VARIABLE) -> str | None:
        """A variable as the answer: a str as it is, a dict or list as JSON, anything else as its repr."""
        text = await self.session.get_variable(name, answer_chars)
        if text is None:
            return None
        kinds = {row["name"]: row["type"] for row in await self.session.variables()}
        if kinds.get(name) in ("dict", "list", "tuple"):
            try:
                return json.dumps(ast.literal_eval(text), indent=1, ensure_ascii=False)[:answer_chars]
            except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError):
                return text  # a cut repr, or one holding objects that are not literals
        return text

    async def _partial(self, reason: StopReason) -> tuple[str, str]:
        """The best answer available once a limit hit, and where it came from."""
        held = self.held_answer
        if reason == "max_iterations" and self.meter.seconds_left() > 0:
            # Only the iteration limit leaves time and budget for one last, code-free root call.
            self.messages.append({"role": "user", "content": root_prompt.FINAL_REQUEST})
            with anyio.move_on_after(self.meter.seconds_left()):
                try:
                    reply = await self.root.query(self.messages, **self.params)
                except LLMError:
                    pass
                else:
                    self._log("final_request", text=reply.text)
                    source = "the root model's best answer from what it found, without more code"
                    return replies.final_text(reply.text), source
        if held is not None:
            return held, f"the {root_prompt.ANSWER_VARIABLE} the root set in a block that then failed"
        return self.last_output, "the output of the last code that ran, not a final answer"

    def _finish(self, answer: str, finished: bool, reason: StopReason, note: str, iterations: int) -> AskResult:
        result = AskResult(
            answer=answer,
            finished=finished,
            stop_reason=reason,
            note=note,
            iterations=iterations,
            elapsed_s=round(self.meter.elapsed_s, 3),
            usage=self.meter.usage(),
            trajectory=trajectory.location(self.session),
        )
        self._log("end", **{k: v for k, v in result.to_dict().items() if k != "trajectory"})
        return result
