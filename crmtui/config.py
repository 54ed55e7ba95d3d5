"""The user's settings file (`config.toml` in the data folder), read lazily, never written here.

```toml
user = "ada"              # who I am: default owner of new records, actor in the history
stale_days = 14           # a deal with no activity for this many days is stale
phone_region = "US"       # region for reading phone numbers written without +CC

[keys]                    # remap app bindings by id, e.g.
"board.win" = "W"
```
`CRMTUI_USER` overrides `user`. Other keys: `currency` (reports), `theme` (app), tables
`[rates]` and `[forecast]` (reports). Known keys are checked when the file is read: a value
of the wrong type is an error naming the file, the key and what is expected (unknown keys
are left alone).
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from typing import Any

from crmtui.paths import config_path


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _days(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 100_000


def _region(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 2 and value.isascii() and value.isalpha()


def _currency(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 3 and value.isascii() and value.isalpha()


def _table(value: Any) -> bool:
    return isinstance(value, dict)


def _keys(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


# key -> (check, what is expected, an example line)
SCHEMA: dict[str, tuple[Any, str, str]] = {
    "user": (_text, "a user name (text)", 'user = "ada"'),
    "stale_days": (_days, "a whole number of days, at least 1", "stale_days = 14"),
    "phone_region": (_region, "a two-letter region code", 'phone_region = "US"'),
    "currency": (_currency, "a three-letter currency code", 'currency = "EUR"'),
    "theme": (_text, "a theme name (text)", 'theme = "nord"'),
    "keys": (_keys, "a table of binding id = key", '[keys] then "board.win" = "W"'),
    "rates": (_table, "a table of CURRENCY = rate", "[rates] then EUR = 1.08"),
    "forecast": (_table, "a table of forecast settings",
                 "[forecast] then commit_probability = 75"),
}


def validate(settings: dict[str, Any], path: Any) -> dict[str, Any]:
    """Refuse a known key whose value has the wrong type, naming the file, key and type."""
    from crmtui.errors import Invalid

    for key, (check, expected, example) in SCHEMA.items():
        if key in settings and not check(settings[key]):
            raise Invalid(f"settings file {path}: {key} = {settings[key]!r} is not valid; "
                          f"expected {expected}", field=key, value=settings[key],
                          hint=f"write e.g. {example} (or delete the line)")
    return settings


@lru_cache(maxsize=1)
def load() -> dict[str, Any]:
    path = config_path()
    try:
        with open(path, "rb") as fh:
            settings = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        from crmtui.errors import Invalid

        raise Invalid(f"cannot read settings file {path}: {exc}",
                      hint="fix or delete the file") from None
    return validate(settings, path)


def get(key: str, default: Any = None) -> Any:
    return load().get(key, default)


def user() -> str | None:
    return os.environ.get("CRMTUI_USER") or get("user") or None
