"""The user's settings file (`config.toml` in the data folder), read lazily, never written here.

```toml
user = "ada"              # who I am: default owner of new records, actor in the history
stale_days = 14           # a deal with no activity for this many days is stale
phone_region = "US"       # region for reading phone numbers written without +CC

[keys]                    # remap app bindings by id, e.g.
"board.win" = "W"
```
`CRMTUI_USER` overrides `user`.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from typing import Any

from crmtui.paths import config_path


@lru_cache(maxsize=1)
def load() -> dict[str, Any]:
    path = config_path()
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        from crmtui.errors import Invalid

        raise Invalid(f"cannot read settings file {path}: {exc}",
                      hint="fix or delete the file") from None


def get(key: str, default: Any = None) -> Any:
    return load().get(key, default)


def user() -> str | None:
    return os.environ.get("CRMTUI_USER") or get("user") or None
