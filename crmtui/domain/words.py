"""Plurals and articles for messages: "2 opportunities", "an account", "1 activity".

One place for the English of record names, so no message says "activitys" or "a opportunity".
Pure Python, no imports: any layer may use it.
"""

from __future__ import annotations

IRREGULAR = {"opportunity": "opportunities", "activity": "activities", "company": "companies",
             "person": "people", "entry": "entries", "batch": "batches", "match": "matches",
             "industry": "industries", "dupe": "dupes", "status": "statuses"}


def plural(word: str, n: int | None = None) -> str:
    """`word` in the plural (or as it is when `n` is 1)."""
    if n == 1:
        return word
    if word in IRREGULAR:
        return IRREGULAR[word]
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    return word + "s"


def count(n: int, word: str) -> str:
    """'1 lead', '2 opportunities', '1,204 activities'."""
    return f"{n:,} {plural(word, n)}"


def a(word: str) -> str:
    """The word with its indefinite article: 'a lead', 'an opportunity', 'an account'."""
    article = "an" if word[:1].lower() in "aeio" else "a"
    return f"{article} {word}"
