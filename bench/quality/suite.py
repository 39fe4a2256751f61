"""Runs the quality tasks through rlm_ask and through the truncated-context baseline, and reports both.

Without a configured model (RLM_ROOT_MODEL / RLM_MODEL) the root is scripted (scripted.py) and
served by the local test server, so the loop, the scoring and the report run anywhere, offline.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio

from rlm_mcp.ask import AskLimits, run_ask
from rlm_mcp.ask.loop import pick_root_model, root_config
from rlm_mcp.backends import open_backend
from rlm_mcp.config import Settings
from rlm_mcp.llm import Broker
from rlm_mcp.llm.litellm_client import close_clients
from rlm_mcp.session import Sessions

from ..openai_server import OpenAIServer
from . import baseline, repository, scripted
from .scoring import score
from .tasks import Task, generate

QUICK_TOKENS = 1_000_000
FULL_TOKENS = 10_000_000
WINDOW_TOKENS = 128_000
"""The baseline's context window: the repository is cut to this many (estimated) tokens."""


def run(
    quick: bool = True,
    seed: int = 0,
    *,
    settings: Settings | None = None,
    tokens: int | None = None,
    window_tokens: int = WINDOW_TOKENS,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Build the repository and tasks for `seed`, answer them both ways, print and return the report."""
    settings = settings or Settings.from_env()
    size = tokens or (QUICK_TOKENS if quick else FULL_TOKENS)
    with tempfile.TemporaryDirectory(prefix="rlm-quality-") as tmp:
        repo = repository.build(Path(tmp) / "repo", size, seed)
        tasks = generate(repo, seed, quick)
        server = None
        if settings.root_model is None and settings.model is None:
            server = OpenAIServer(responder=scripted.for_tasks(tasks)).start()
            settings = settings.replace(
                model=scripted.SUB_MODEL,
                root_model=scripted.ROOT_MODEL,
                api_base=f"{server.url}/v1",
                api_key="scripted",
                cache_dir=str(Path(tmp) / "cache"),
            )
        try:
            rows = anyio.run(_answer_all, repo, tasks, settings.replace(llm_cache=False), window_tokens)
        finally:
            if server is not None:
                server.stop()
    report = _report(rows, seed, quick, repo, window_tokens, "scripted" if server else pick_root_model(settings))
    log(table(report))
    return report


async def _answer_all(
    repo: repository.Repository, tasks: list[Task], settings: Settings, window_tokens: int
) -> list[dict[str, Any]]:
    try:
        rlm = await _rlm_answers(repo, tasks, settings)
        base = await _baseline_answers(repo, tasks, settings, window_tokens)
    finally:
        await close_clients()
    return [
        {"id": t.id, "family": t.family, "question": t.question, "expected": t.expected, "rlm": r, "baseline": b}
        for t, r, b in zip(tasks, rlm, base, strict=True)
    ]


async def _rlm_answers(repo: repository.Repository, tasks: list[Task], settings: Settings) -> list[dict[str, Any]]:
    """Every task through rlm_ask, in one session whose variables are reset between tasks."""
    answers = []
    async with anyio.create_task_group() as group:
        backend, _ = await open_backend(settings, group)
        sessions = Sessions(settings, backend, group)
        try:
            session = sessions.get("quality")
            await session.load(str(repo.root))
            for task in tasks:
                await session.reset_variables()
                result = await run_ask(session, task.question, limits=AskLimits.from_settings(settings))
                answers.append(
                    _row(task, result.answer, result.usage["total_tokens"], result.usage["cost_usd"], result.elapsed_s)
                    | {"stop_reason": result.stop_reason, "iterations": result.iterations}
                )
        finally:
            await sessions.close_all()
            await backend.aclose()
            group.cancel_scope.cancel()
    return answers


async def _baseline_answers(
    repo: repository.Repository, tasks: list[Task], settings: Settings, window_tokens: int
) -> list[dict[str, Any]]:
    """Every task asked of the root model in one call over the truncated repository."""
    broker = Broker(root_config(settings, pick_root_model(settings)))
    answers = []
    try:
        for task in tasks:
            before = broker.ledger.total.total_tokens, broker.ledger.total.cost_usd
            started = time.perf_counter()
            try:
                answer = (await broker.query(baseline.messages(repo.sources, task.question, window_tokens))).text
            except Exception as exc:  # a provider refusing an over-long prompt is a wrong answer, not a crash
                answer = f"[failed: {exc}]"
            total = broker.ledger.total
            tokens, cost = total.total_tokens - before[0], total.cost_usd - before[1]
            answers.append(_row(task, answer, tokens, cost, time.perf_counter() - started))
    finally:
        broker.close()
    return answers


def _row(task: Task, answer: str, tokens: int, cost: float, seconds: float) -> dict[str, Any]:
    return {
        "answer": answer[:500],
        "score": round(score(task.scoring, answer, task.expected), 4),
        "tokens": tokens,
        "cost_usd": round(cost, 6),
        "seconds": round(seconds, 3),
    }


def _report(
    rows: list[dict[str, Any]], seed: int, quick: bool, repo: repository.Repository, window: int, model: str
) -> dict[str, Any]:
    def summary(system: str) -> dict[str, Any]:
        runs = [row[system] for row in rows]
        return {
            "accuracy": round(statistics.fmean(r["score"] for r in runs), 4),
            "tokens": sum(r["tokens"] for r in runs),
            "cost_usd": round(sum(r["cost_usd"] for r in runs), 6),
            "seconds": round(sum(r["seconds"] for r in runs), 2),
        }

    return {
        "seed": seed,
        "quick": quick,
        "root_model": model,
        "repository": {"files": len(repo.sources), "tokens": repo.tokens},
        "window_tokens": window,
        "tasks": rows,
        "summary": {"rlm_ask": summary("rlm"), "baseline": summary("baseline")},
    }


def table(report: dict[str, Any]) -> str:
    """The report as a plain-text table: one line per task, then accuracy, tokens, cost and time."""
    repo = report["repository"]
    lines = [
        f"quality suite: seed {report['seed']}, {'quick' if report['quick'] else 'full'}, root {report['root_model']}, "
        f"{repo['files']} files / {repo['tokens']:,} tokens, baseline window {report['window_tokens']:,} tokens",
        f"{'task':<28} {'family':<11} {'rlm_ask':>8} {'baseline':>8}",
    ]
    lines += [
        f"{row['id'][:28]:<28} {row['family']:<11} {row['rlm']['score']:>8.2f} {row['baseline']['score']:>8.2f}"
        for row in report["tasks"]
    ]
    lines.append(f"{'system':<10} {'accuracy':>8} {'tokens':>12} {'cost USD':>10} {'seconds':>8}")
    for name, s in report["summary"].items():
        lines.append(f"{name:<10} {s['accuracy']:>8.2f} {s['tokens']:>12,} {s['cost_usd']:>10.4f} {s['seconds']:>8.1f}")
    return "\n".join(lines)
