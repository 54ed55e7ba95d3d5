"""Which existing record a row is: `--match FIELD[,FIELD]`, parts of one key joined by `+`.

Keys are tried in order; each compares case-insensitively (ASCII letters, the way SQLite's
lower() does, so the lookup can use the email index), except external ids (exact, as
everywhere) and references (the resolved record). A person's `name` is first + last name.

`--match id` (never a default) matches the `id` column of crmtui's own export against the
store's ids: an exported file, edited, goes back into the store it came from.

Defaults, so that importing the same file twice never creates duplicates silently:
leads and contacts `external_id,email`; accounts `external_id,domain,name`;
opportunities `external_id,name+account`; activities `external_id`. `--match none` turns
matching off.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, bindparam, func, literal, select

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
            if name == "id":  # crmtui's own export, back into the store it came from
                parts.append(Part("id", "exact", "id"))
                continue
            spec = specs.get(name)
            if spec is None or spec.kind == "target":
                usable = sorted(n for n, sp in specs.items() if sp.kind != "target")
                raise UsageError(f"--match: {entity} has no field {name!r}",
                                 hint="match on one of: " + ", ".join(usable + ["id"])
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
                                 f"{', '.join(missing)}",
                                 hint="an id column comes from `crm export`" if "id" in missing
                                 else None)
            keys.append(key)
    return keys


def external_id_key(entity: str) -> Key:
    """The key of a record's external id (exact, like everywhere)."""
    return Key("external_id", [Part("external_id", "exact", import_fields(entity)["external_id"].col)])


def key_values(key: Key, cols: dict[str, list], n: int) -> list[tuple | None]:
    """`key.of(row)` for every row of a batch, computed column by column."""
    parts = [_part_values(part, cols, n) for part in key.parts]
    if len(parts) == 1:
        return [None if v is None else (v,) for v in parts[0]]
    return [None if None in t else t for t in zip(*parts)]


def _part_values(part: Part, cols: dict[str, list], n: int) -> list:
    if part.how == "fullname":
        empty = [None] * n
        out = []
        for first, last in zip(cols.get("first_name", empty), cols.get("last_name", empty)):
            text = f"{first or ''} {last or ''}".strip()
            out.append(fold(text) if text else None)
        return out
    col = cols.get(part.col)
    if col is None:
        return [None] * n
    if part.how == "fold":
        lower = _ASCII_LOWER
        return [None if v is None or v == "" else
                v.strip().translate(lower) if type(v) is str else fold(v) for v in col]
    return [None if v == "" else v for v in col]


IN_SIZE = 2000  # values per IN (...) query: far below SQLite's and PostgreSQL's limits


def candidates(conn, table: Table, key: Key, keys: list) -> dict[tuple, list]:
    """Existing records whose key equals one of `keys` (None: no key): key -> [row mappings]."""
    first = key.parts[0]
    wanted = {k[0] for k in keys if k is not None}
    found: dict[tuple, list] = {}
    if not wanted:
        return found
    query = select(table).where(first.sql(table).in_(bindparam("wanted", expanding=True)))
    values = list(wanted)
    for start in range(0, len(values), IN_SIZE):
        part = values[start:start + IN_SIZE]
        for mapping in conn.execute(query, {"wanted": part}).mappings():
            k = key.of(mapping)
            if k is not None:
                found.setdefault(k, []).append(mapping)
    return found


class KeyFilter:
    """Which key values may already be in the table: a Bloom filter (two probes per value)
    over the keys of the table's rows and of the rows this import wrote. "No" is certain,
    so only the rows it answers "maybe" for are looked up in the store (about 1 in 70 new
    rows at the sizes used). Takes 2 bytes per expected key, at most 32 MB."""

    def __init__(self, capacity: int):
        size = max(16, min(28, (capacity * 16).bit_length()))
        self.mask = (1 << size) - 1
        self.bits = bytearray(1 << (size - 3))

    def add(self, values: list) -> None:
        bits, mask = self.bits, self.mask
        for value in values:
            if value is not None:
                h = hash(value)
                a, b = h & mask, (h >> 32) & mask
                bits[a >> 3] |= 1 << (a & 7)
                bits[b >> 3] |= 1 << (b & 7)

    def maybe(self, values: list) -> list:
        """`values` with those certainly absent from the table replaced by None."""
        bits, mask = self.bits, self.mask
        out = []
        for value in values:
            if value is not None:
                h = hash(value)
                a, b = h & mask, (h >> 32) & mask
                if not (bits[a >> 3] >> (a & 7) & 1 and bits[b >> 3] >> (b & 7) & 1):
                    value = None
            out.append(value)
        return out


def key_filters(conn, table: Table, keys: list[Key], capacity: int,
                *, existing_limit: int) -> list[KeyFilter] | None:
    """One filter per key, holding the keys of the table's rows; None when the table has
    more than `existing_limit` rows (looking up every row then costs less than reading
    them all)."""
    existing = conn.scalar(select(func.count()).select_from(table)) or 0
    if existing > existing_limit:
        return None
    filters = [KeyFilter(capacity + existing) for _ in keys]
    if existing:
        names = sorted({p.col for k in keys for p in k.parts if p.how != "fullname"} |
                       ({"first_name", "last_name"} if any(p.how == "fullname" for k in keys
                                                           for p in k.parts) else set()))
        result = conn.execute(select(*(table.c[n] for n in names)))
        for part in result.partitions(10_000):
            cols = {n: list(col) for n, col in zip(names, zip(*part))}
            for key, f in zip(keys, filters):
                f.add(key_values(key, cols, len(part)))
    return filters
