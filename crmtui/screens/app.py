"""The full-screen app (placeholder: the open opportunities of the store)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header
from rich.text import Text

from crmtui.textsafe import visible


class CrmApp(App):
    TITLE = "crmtui"
    BINDINGS = [("q", "quit", "Quit")]

    def __init__(self, store):
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="deals", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        from crmtui.domain import listing, records
        from crmtui.domain.serialize import Names, prefetch_for

        table = self.query_one(DataTable)
        table.add_columns("ID", "Deal", "Account", "Stage", "Amount", "Close")
        with self.store.read() as s:
            page = listing.page(s, listing.ListQuery("opportunity", {"status": "open"}, limit=200))
            names = Names(s)
            prefetch_for(names, "opportunity", page.rows)
            rows = [records.to_dict(s, "opportunity", r, names) for r in page.rows]
        for r in rows:
            table.add_row(*(Text(visible(v)) for v in (
                r["id"], r["name"], r["account"], r["stage"], r["amount"], r["close_date"])))


def run(db: str | None = None) -> None:
    from crmtui.store.migrate import open_store

    store = open_store(db)
    try:
        CrmApp(store).run()
    finally:
        store.close()
