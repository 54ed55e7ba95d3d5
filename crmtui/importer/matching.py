"""Which existing record a row is: `--match FIELD[,FIELD]`, parts of one key joined by `+`.

Keys are tried in order; each compares case-insensitively (ASCII letters, the way SQLite's
lower() does, so the lookup can use the email index), except external ids (exact, as
everywhere) and references (the resolved record). A person's `name` is first + last name.

Defaults, so that importing the same file twice never creates duplicates silently:
leads and contacts `external_id,email`; accounts `external_id,domain,name`;
opportunities `external_id,name+account`; activities `external_id`. `--match none` turns
matching off.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, func, literal, select

from crmtui.errors import UsageError
from crmtui.importer.mapping import import_fields

DEFAULTS = {
    "lead": ["external_id", "email"],
    "contact": ["external_id", "email"],
    "account": ["external_id", "domain", "name"],
    "opportunity": ["external_id", "name+account"],
    "activity": ["external_id"],
}
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold(value) -> str:
    return str(value).strip().translate(_ASCII_LOWER)


@dataclass
class Part:
    field: str
    how: str  # exact, fold, fullname, ref
    col: str

    def of(self, row) -> object:
        """This part of the key from store columns (a dict or a result mapping)."""
        if self.how == "fullname":
            first, last = row.get("first_name") or "", row.get("last_name") or ""
            text = f"{first} {last}".strip()
            return fold(text) if text else None
        value = row.get(self.col)
        if value is None or value == "":
            return None
        if self.how == "fold":
            return fold(value)
        return value

    def sql(self, table: Table):
        if self.how == "fullname":
            return func.lower(func.trim(table.c.first_name + literal(" ") + table.c.last_name))
        column = table.c[self.col]
        return func.lower(column) if self.how == "fold" else column


@dataclass
class Key:
    label: str
    parts: list[Part]

    def of(self, row) -> tuple | None:
        out = []
        for part in self.parts:
            value = part.of(row)
            if value is None:
                return None
            out.append(value)
        return tuple(out)

    @property
    def needed(self) -> set[str]:
        return {p.field for p in self.parts}


def keys_for(entity: str, requested: list[str] | None, mapped: set[str]) -> list[Key]:
    """The match keys to use; the defaults keep only those whose fields are in the file."""
    specs = import_fields(entity)
    explicit = requested is not None
    items = DEFAULTS[entity] if not explicit else requested
    if explicit and [i.strip().lower() for i in items] in (["none"], ["-"], []):
        return []
    keys = []
    for item in items:
        parts = []
        for name in item.split("+"):
            name = name.strip()
            spec = specs.get(name)
            if spec is None or spec.kind == "target":
                usable = sorted(n for n, sp in specs.items() if sp.kind != "target")
                raise UsageError(f"--match: {entity} has no field {name!r}",
                                 hint="match on one of: " + ", ".join(usable)
                                 + " (join parts with +, e.g. first_name+last_name)")
            if spec.kind == "fullname":
                parts.append(Part(name, "fullname", "first_name"))
            elif spec.kind == "ref":
                parts.append(Part(name, "ref", spec.col))
            elif name == "external_id":
                parts.append(Part(name, "exact", spec.col))
            else:
                parts.append(Part(name, "fold", spec.col))
        key = Key(item.strip(), parts)
        present = all(p.field in mapped or (p.how == "fullname" and
                                            {"first_name", "last_name"} & mapped)
                      for p in parts)
        if present or explicit:
            if explicit and not present:
                missing = [p.field for p in parts if p.field not in mapped]
                raise UsageError(f"--match {item}: the file has no column for "
                                 f"{', '.join(missing)}")
            keys.append(key)
    return keys


def candidates(conn, table: Table, key: Key, rows: list[dict]) -> dict[tuple, list]:
    """Existing records whose key equals one of the rows' keys: key -> [row mappings]."""
    first = key.parts[0]
    wanted = {k[0] for k in (key.of(r) for r in rows) if k is not None}
    found: dict[tuple, list] = {}
    if not wanted:
        return found
    expr = first.sql(table)
    values = list(wanted)
    for start in range(0, len(values), 500):
        part = values[start:start + 500]
        query = select(table).where(expr.in_(part))
        for mapping in conn.execute(query).mappings():
            k = key.of(mapping)
            if k is not None:
                found.setdefault(k, []).append(mapping)
    return found
