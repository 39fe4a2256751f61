"""95% confidence intervals for an arm's accuracy over a question set.

Scores are in [0, 1] with partial credit (0.75^|error|, F1), so the mean score gets a percentile
bootstrap interval (10,000 resamples, fixed seed: the same scores give the same interval); the share
of fully right answers (score 1) is a binomial proportion and gets a Wilson score interval.
"""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence

Z_95 = 1.959964
RESAMPLES = 10_000


def wilson(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of `successes` out of `trials` ((0, 1) when there are none)."""
    if trials == 0:
        return 0.0, 1.0
    share = successes / trials
    centre = share + z * z / (2 * trials)
    margin = z * math.sqrt(share * (1 - share) / trials + z * z / (4 * trials * trials))
    scale = 1 + z * z / trials
    return max(0.0, (centre - margin) / scale), min(1.0, (centre + margin) / scale)


def bootstrap_mean(scores: Sequence[float], resamples: int = RESAMPLES, seed: int = 0) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of the mean of `scores` resampled with replacement."""
    if not scores:
        return 0.0, 1.0
    rng = random.Random(seed)
    means = sorted(statistics.fmean(rng.choices(scores, k=len(scores))) for _ in range(resamples))
    return means[int(0.025 * resamples)], means[min(int(0.975 * resamples), resamples - 1)]


def summary(scores: Sequence[float]) -> dict[str, float | int | list[float]]:
    """Mean score with its bootstrap interval, and the share fully right with its Wilson interval."""
    right = sum(score == 1.0 for score in scores)
    low, high = bootstrap_mean(scores)
    right_low, right_high = wilson(right, len(scores))
    return {
        "n": len(scores),
        "accuracy": round(statistics.fmean(scores), 4) if scores else 0.0,
        "accuracy_ci95": [round(low, 4), round(high, 4)],
        "right": round(right / len(scores), 4) if scores else 0.0,
        "right_ci95": [round(right_low, 4), round(right_high, 4)],
    }
