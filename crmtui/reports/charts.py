"""Text charts for tables: horizontal bars and sparklines, made of Unicode block characters.

Pure functions over numbers: the CLI prints them in a table column, the app can too.
"""

from __future__ import annotations

from typing import Sequence

_EIGHTHS = " ▏▎▍▌▋▊▉"
_SPARKS = "▂▃▄▅▆▇█"


def bar(value: float | None, largest: float | None, width: int = 16) -> str:
    """A bar `width` cells long at `largest`, in eighths of a cell; empty for 0 or None."""
    if not value or not largest or value <= 0 or largest <= 0:
        return ""
    eighths = max(1, round(min(value / largest, 1.0) * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


def sparkline(values: Sequence[float | int | None]) -> str:
    """One character per value, scaled to the largest: ▁ is zero, ▂..█ rising."""
    numbers = [v or 0 for v in values]
    top = max(numbers, default=0)
    if top <= 0:
        return "▁" * len(numbers)
    out = []
    for v in numbers:
        if v <= 0:
            out.append("▁")
        else:
            out.append(_SPARKS[min(len(_SPARKS) - 1, int(v / top * (len(_SPARKS) - 1) + 0.5))])
    return "".join(out)
