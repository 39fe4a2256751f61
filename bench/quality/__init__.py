"""Answer-quality suite: a versioned question set over the copied stdlib, through rlm_ask and a cut baseline.

Run ``python -m bench.quality [--quick] [--model M --root-model R]``; ``run(quick)`` returns the report.
"""

from .suite import run

__all__ = ["run"]
