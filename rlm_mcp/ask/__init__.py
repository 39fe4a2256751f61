"""rlm_ask: the server runs the whole RLM loop (a root model writing code against the session's REPL)."""

from rlm_mcp.ask.api import ask, ask_async
from rlm_mcp.ask.limits import AskLimits, StopReason
from rlm_mcp.ask.loop import AskResult, run_ask
from rlm_mcp.ask.root_prompt import ANSWER_VARIABLE

__all__ = ["ANSWER_VARIABLE", "AskLimits", "AskResult", "StopReason", "ask", "ask_async", "run_ask"]
