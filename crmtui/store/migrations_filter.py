"""What Alembic's autogenerate should ignore: the search index tables SQLite's FTS5 owns."""


def include_name(name, type_, parent_names) -> bool:
    return not (type_ == "table" and name and "_fts" in name)
