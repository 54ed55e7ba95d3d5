"""Importing records from CSV/TSV/JSON/JSONL files, and exporting them back.

- `readers`: opening a file or stdin, encodings, formats, delimiters, rows with line numbers;
- `mapping`: which source column feeds which field (names, other CRMs' headers, --map);
- `convert`: one converter per column (the rules of `domain.values`/`domain.dates`, plus
  file-only rules: --decimal-comma, --date-format, whole-column date inference, Excel dates);
- `rows`: a source row to store columns, `extra` and the problems found;
- `writer`: the import itself (one transaction, matching, inserts in bulk, updates with
  history, references, the batch and its undo record);
- `batches`: `crm import history` and `crm import undo`;
- `export`: records out as CSV/TSV/JSON/JSONL, page by page.

Nothing here imports typer, rich or textual; the commands in `crmtui.commands` print.
"""
