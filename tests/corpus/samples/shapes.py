"""Shapes: a tiny module with classes, methods, decorators and nested functions."""

import math
from dataclasses import dataclass


# A comment that belongs to the class below.
@dataclass
class Point:
    x: float
    y: float

    def norm(self) -> float:
        return math.hypot(self.x, self.y)

    @staticmethod
    def origin() -> "Point":
        return Point(0.0, 0.0)

    class Meta:
        ordering = ("x", "y")


async def fetch(url: str) -> str:
    def helper(value: str) -> str:
        return value.upper()

    return helper(url)


if True:

    def conditional() -> int:  # defined inside an if block
        return 1
