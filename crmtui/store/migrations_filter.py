"""What Alembic's autogenerate should ignore: the search machinery each backend owns
(SQLite's FTS5 tables; PostgreSQL's `search_vec` columns and their GIN indexes)."""


def include_name(name, type_, parent_names) -> bool:
    if not name:
        return True
    if type_ == "table" and "_fts" in name:
        return False
    if type_ == "column" and name == "search_vec":
        return False
    if type_ == "index" and name.endswith("_search_vec"):
        return False
    return True
