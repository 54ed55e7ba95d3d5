"""Making text from the store safe to show on a terminal.

Store text is hostile (DESIGN.md 5.5): it may hold ESC/CSI/OSC sequences, C1 controls, bidi
overrides or NUL. Before it reaches a terminal it goes through `visible`, which shows C0
controls as their Unicode control pictures (ESC -> ␛), and C1 controls, bidi controls and
other invisible format characters as `<U+XXXX>`. Markup is never interpreted: callers pass
the result to Rich/Textual as `Text`, not as a markup string.
"""

from __future__ import annotations

import re

_BIDI_AND_FORMAT = "\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb"
_UNSAFE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f{_BIDI_AND_FORMAT}]")
_UNSAFE_WITH_NL = re.compile(f"[\x00-\x1f\x7f\x80-\x9f{_BIDI_AND_FORMAT}]")
_JSON_ESCAPE = re.compile(f"[\x7f\x80-\x9f{_BIDI_AND_FORMAT}\u2028\u2029]")


def _picture(match: re.Match) -> str:
    ch = match.group(0)
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return f"<U+{code:04X}>"


def visible(value: object, *, multiline: bool = False, limit: int | None = None) -> str:
    """`value` as text that cannot control the terminal. Tabs become spaces."""
    if value is None:
        return ""
    text = str(value).replace("\t", " ")
    if multiline:
        text = text.replace("\r\n", "\n")
        text = _UNSAFE.sub(_picture, text)
    else:
        text = _UNSAFE_WITH_NL.sub(_picture, text)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 1, 0)] + "…"
    return text


def json_safe(text: str) -> str:
    """Escape the characters JSON allows raw but terminals act on (C1, DEL, bidi) as \\uXXXX."""
    return _JSON_ESCAPE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise_formula(value: str) -> str:
    """Prefix a cell a spreadsheet would run as a formula with `'` (DESIGN.md 5.6)."""
    return "'" + value if value.startswith(FORMULA_START) else value


def unneutralise(value: str) -> str:
    """Undo `neutralise_formula` when reading a file crmtui exported."""
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r\n":
        return value[1:]
    return value
