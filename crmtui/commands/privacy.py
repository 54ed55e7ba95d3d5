"""`crm privacy export|erase PERSON`: a person's right of access and right to erasure."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from crmtui.commands import output
from crmtui.commands.common import JsonOpt, YesOpt, confirm, handle, store_session, open_store
from crmtui.domain.words import count

app = typer.Typer(help="A person's data: export it, or erase it.", no_args_is_help=True)
Target = Annotated[str, typer.Argument(help="lead:ID, contact:ID or an email address")]


@app.command("export", help="Write every record and activity holding the person's data as JSON.")
@handle
def export(target: Target,
           out: Annotated[Optional[Path], typer.Option("--output", "-o",
                          help="Write to this file (mode 0600) instead of stdout")] = None):
    from crmtui.domain import privacy
    from crmtui.paths import open_private

    with store_session() as s:
        data = privacy.export(s, target)
    text = output.dumps(data)
    if out is None:
        output.write(text)
        return
    with open_private(out, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    output.note(f"wrote {count(len(data['leads']), 'lead')}, "
                f"{count(len(data['contacts']), 'contact')}, "
                f"{count(len(data['activities']), 'activity')} to {out}")


@app.command("erase", help="Erase the person's personal data everywhere; deal figures stay.")
@handle
def erase(target: Target, yes: YesOpt = False, json_: JsonOpt = False):
    from crmtui.domain import privacy

    with store_session() as s:
        person = privacy.find(s, target)
        summary = f"{count(len(person.leads), 'lead')} and {count(len(person.contacts), 'contact')}"
    confirm(f"Erase the personal data of {summary} matching {target}? This cannot be undone.",
            yes)
    store = open_store()
    try:
        with store.write() as s:
            result = privacy.erase(s, target)
        store.checkpoint()
    finally:
        store.close()
    if json_:
        output.write(output.dumps(result))
    else:
        output.note(f"erased {count(result['leads'], 'lead')}, "
                    f"{count(result['contacts'], 'contact')}, "
                    f"{count(result['activities'], 'activity')}, "
                    f"{count(result['accounts_renamed'], 'account')} named after them; their "
                    f"name removed from {count(result['opportunities_renamed'], 'deal')} and "
                    f"{count(result['activities_scrubbed'], 'other activity')}; "
                    f"{count(result['history_rows'], 'history row')} scrubbed"
                    + (" (with those of "
                       f"{count(result['merged_records'], 'record')} merged into theirs)"
                       if result.get("merged_records") else ""))
