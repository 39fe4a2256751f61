"""Runs a question set through three arms with one root model and reports accuracy with 95% intervals.

Arms: `rlm` (rlm_ask with llm_query/llm_batch), `rlm_repl` (rlm_ask without sub-calls: the prompt
leaves them out and the session refuses them) and `baseline` (the root model given the repository
cut to its context window). Without a configured model the root is scripted (scripted.py), served by
the local test server, so the loop, the scoring and the report run anywhere, offline: a check of the
plumbing, not of a model.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio

from rlm_mcp.ask import AskLimits, run_ask
from rlm_mcp.ask.loop import pick_root_model, root_config
from rlm_mcp.config import Settings
from rlm_mcp.llm import Broker
from rlm_mcp.llm.litellm_client import close_clients, load_litellm
from rlm_mcp.private_files import open_private_append
from rlm_mcp.session import Session, running_sessions

from ..openai_server import OpenAIServer
from . import baseline, external, questions, scripted, stats
from .questions import Question
from .repository import Repository
from .scoring import score

ARMS = ("rlm", "rlm_repl", "baseline")
ARM_NAMES = {"rlm": "rlm_ask", "rlm_repl": "rlm_ask, REPL only", "baseline": "long context, cut"}
WINDOW_TOKENS = 128_000
"""The baseline's context window when the model's own is unknown."""
SCRIPTED_WINDOW_TOKENS = 32_000
"""The scripted baseline's window: small enough that it misses part of even the 128k tree."""


@dataclass(frozen=True)
class Group:
    """Questions asked over one tree (a size of the set, or one item of an external set)."""

    name: str
    """What the report sums them under: the size, or the external set's name."""
    repo: Repository
    questions: list[Question]


def run(
    quick: bool = True,
    sizes: Sequence[str] | None = None,
    *,
    settings: Settings | None = None,
    out: Path | None = None,
    window_tokens: int | None = None,
    regenerate: bool = False,
    external: Sequence[tuple[str, Path]] = (),
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Answer the set's questions in every arm, write report.json and trajectories under `out`, print the table.

    `quick`: the quick questions of the 128k set; else every question of `sizes` (default: all three,
    none when `external` sets, (format, file) pairs read by external.py, are given).
    """
    settings = settings or Settings.from_env()
    chosen = ["128k"] if quick else list(sizes if sizes is not None else () if external else questions.SIZES)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = Path(out or Path(settings.cache_dir) / "quality" / stamp)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rlm-quality-") as tmp:
        packages = packages_folder(settings)
        groups = [_group(size, Path(tmp) / size, packages, quick, regenerate, out) for size in chosen]
        groups += _external_groups(external, Path(tmp) / "external")
        everything = [question for group in groups for question in group.questions]
        server = None
        if settings.root_model is None and settings.model is None:
            server = OpenAIServer(responder=scripted.for_questions(everything)).start()
            settings = settings.replace(
                model=scripted.SUB_MODEL,
                root_model=scripted.ROOT_MODEL,
                api_base=f"{server.url}/v1",
                api_key="scripted",
            )
        model = "scripted" if server else pick_root_model(settings)
        window = window_tokens or (SCRIPTED_WINDOW_TOKENS if server else model_window(model))
        settings = settings.replace(llm_cache=False, trajectories=True, trajectory_dir=str(out / "trajectories"))
        try:
            rows = anyio.run(_answer_all, groups, settings, window, out)
        finally:
            if server is not None:
                server.stop()
    report = _report(rows, groups, quick, model, window, out)
    (out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    log(table(report))
    return report


def packages_folder(settings: Settings) -> Path:
    """Where the pinned sdists are read from (and --fetch-packages puts them)."""
    return Path(settings.cache_dir) / "quality" / "sdists"


def _group(size: str, target: Path, packages: Path, quick: bool, regenerate: bool, out: Path) -> Group:
    """The committed set of `size` over its rebuilt tree, or (`regenerate`) a set drawn afresh, saved in `out`."""
    if regenerate:
        drawn, repo = questions.generate(size, target, packages)
        (out / f"questions-{size}.json").write_text(drawn.to_json(), encoding="utf-8")
    else:
        drawn = questions.load(size)
        repo = drawn.build(target, packages)
    chosen = [question for question in drawn.questions if question.quick or not quick]
    return Group(size, repo, chosen)


def _external_groups(sets: Sequence[tuple[str, Path]], target: Path) -> list[Group]:
    """One group per item of each external set, its files written under `target`."""
    groups = []
    for kind, path in sets:
        for number, item in enumerate(external.load(kind, path)):
            root = target / f"{kind}-{number}"
            for relative, text in item.files.items():
                (root / relative).parent.mkdir(parents=True, exist_ok=True)
                (root / relative).write_text(text, encoding="utf-8")
            groups.append(Group(kind, Repository(root, dict(item.files)), [item.question]))
    return groups


def model_window(model: str) -> int:
    """The model's input window from litellm's local model map, else WINDOW_TOKENS."""
    try:
        info = load_litellm().get_model_info(model)
    except Exception:  # litellm raises a bare Exception for a model it does not know
        return WINDOW_TOKENS
    return int(info.get("max_input_tokens") or WINDOW_TOKENS)


async def _answer_all(groups: list[Group], settings: Settings, window: int, out: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    try:
        for group in groups:
            answers = {
                "rlm": await _rlm_answers(group, settings, sub_calls=True),
                "rlm_repl": await _rlm_answers(group, settings.replace(max_calls=0), sub_calls=False),
                "baseline": await _baseline_answers(group, settings, window, out / "baseline.jsonl"),
            }
            for n, question in enumerate(group.questions):
                row = {"group": group.name, "id": question.id, "family": question.family, "kind": question.kind}
                row |= {"question": question.question, "expected": question.expected}
                rows.append(row | {arm: answers[arm][n] for arm in ARMS})
    finally:
        await close_clients()
    return rows


async def _rlm_answers(group: Group, settings: Settings, sub_calls: bool) -> list[dict[str, Any]]:
    """Every question through rlm_ask, in one session whose variables are reset between questions."""
    answers = []
    async with AsyncExitStack() as stack:
        sessions = await stack.enter_async_context(running_sessions(settings))
        session: Session = sessions.get(f"quality-{group.name}-{'sub' if sub_calls else 'repl'}")
        await session.load(str(group.repo.root))
        for question in group.questions:
            await session.reset_variables()
            result = await run_ask(
                session, question.question, limits=AskLimits.from_settings(settings), sub_calls=sub_calls
            )
            usage = result.usage
            row = _row(question, result.answer, usage["total_tokens"], usage["cost_usd"], result.elapsed_s)
            answers.append(
                row
                | {"stop_reason": result.stop_reason, "iterations": result.iterations}
                | {"sub_calls": usage["sub"]["calls"], "trajectory": result.trajectory}
            )
    return answers


async def _baseline_answers(group: Group, settings: Settings, window: int, log: Path) -> list[dict[str, Any]]:
    """Every question asked of the root model in one call over the truncated repository."""
    broker = Broker(root_config(settings, pick_root_model(settings)))
    answers = []
    try:
        for question in group.questions:
            before = broker.ledger.total.total_tokens, broker.ledger.total.cost_usd
            started = time.perf_counter()
            chat = baseline.messages(group.repo.sources, question.question, window)
            try:
                answer = (await broker.query(chat)).text
            except Exception as exc:  # a provider refusing an over-long prompt is a wrong answer, not a crash
                answer = f"[failed: {exc}]"
            total = broker.ledger.total
            tokens, cost = total.total_tokens - before[0], total.cost_usd - before[1]
            row = _row(question, answer, tokens, cost, time.perf_counter() - started)
            shown = len(baseline.visible_sources(str(chat[-1]["content"])))
            record = {"id": question.id, "files_shown": shown, "prompt_chars": len(str(chat[-1]["content"])), **row}
            with open_private_append(log) as trail:
                trail.write(json.dumps(record) + "\n")
            answers.append(row | {"files_shown": shown, "trajectory": str(log)})
    finally:
        broker.close()
    return answers


def _row(question: Question, answer: str, tokens: int, cost: float, seconds: float) -> dict[str, Any]:
    return {
        "answer": answer[:500],
        "score": round(score(question.scoring, answer, question.expected), 4),
        "tokens": tokens,
        "cost_usd": round(cost, 6),
        "seconds": round(seconds, 3),
    }


def _report(
    rows: list[dict[str, Any]], groups: list[Group], quick: bool, model: str, window: int, out: Path
) -> dict[str, Any]:
    def arm_summary(arm: str, selected: list[dict[str, Any]]) -> dict[str, Any]:
        runs = [row[arm] for row in selected]
        return stats.summary([r["score"] for r in runs]) | {
            "tokens": sum(r["tokens"] for r in runs),
            "cost_usd": round(sum(r["cost_usd"] for r in runs), 6),
            "seconds": round(sum(r["seconds"] for r in runs), 2),
        }

    families = sorted({row["family"] for row in rows})
    names = list(dict.fromkeys(group.name for group in groups))
    return {
        "set_version": questions.VERSION,
        "quick": quick,
        "root_model": model,
        "window_tokens": window,
        "groups": {name: _sizes([g for g in groups if g.name == name]) for name in names},
        "out": str(out),
        "interval": "accuracy: percentile bootstrap of the mean score (10,000 resamples); right: Wilson score",
        "summary": {arm: arm_summary(arm, rows) for arm in ARMS},
        "by_group": {
            name: {arm: arm_summary(arm, [r for r in rows if r["group"] == name]) for arm in ARMS} for name in names
        },
        "by_family": {
            f: {arm: arm_summary(arm, [r for r in rows if r["family"] == f]) for arm in ARMS} for f in families
        },
        "questions": rows,
    }


def _sizes(groups: list[Group]) -> dict[str, int]:
    return {"files": sum(len(g.repo.sources) for g in groups), "tokens": sum(g.repo.tokens for g in groups)}


def _interval(figures: dict[str, Any]) -> str:
    low, high = figures["accuracy_ci95"]
    return f"{figures['accuracy']:.2f} [{low:.2f}, {high:.2f}]"


def table(report: dict[str, Any]) -> str:
    """The report as plain text: one line per arm and group, then per family, then where everything is."""
    groups = ", ".join(f"{name} ({g['files']} files / {g['tokens']:,} tokens)" for name, g in report["groups"].items())
    lines = [
        f"quality suite v{report['set_version']}{' (quick)' if report['quick'] else ''}: root {report['root_model']}, "
        f"baseline window {report['window_tokens']:,} tokens; {groups}",
        f"{'arm':<20} {'group':<8} {'n':>4} {'accuracy [95% CI]':>20} {'right':>6} "
        f"{'tokens':>12} {'cost USD':>10} {'seconds':>8}",
    ]
    for scope, figures in [("all", report["summary"]), *report["by_group"].items()]:
        for arm in ARMS:
            s = figures[arm]
            lines.append(
                f"{ARM_NAMES[arm]:<20} {scope:<8} {s['n']:>4} {_interval(s):>20} {s['right']:>6.2f} "
                f"{s['tokens']:>12,} {s['cost_usd']:>10.4f} {s['seconds']:>8.1f}"
            )
    for family, figures in report["by_family"].items():
        lines.append(f"{family:<20} " + "  ".join(f"{ARM_NAMES[a]} {_interval(figures[a])}" for a in ARMS))
    lines.append(f"({report['interval']}; report and trajectories in {report['out']})")
    return "\n".join(lines)
