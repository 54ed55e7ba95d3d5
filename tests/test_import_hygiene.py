"""Headless modules never import textual; the CLI's start-up path imports no database code."""

import subprocess
import sys
from pathlib import Path

import pytest

import crmtui

pytestmark = pytest.mark.sqlite_only

PACKAGE = Path(crmtui.__file__).parent
HEADLESS = sorted(
    ".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts)
    for p in PACKAGE.rglob("*.py")
    if "screens" not in p.parts and "widgets" not in p.parts and "migrations" not in p.parts
    and p.name != "__main__.py"
)


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint('\\n'.join(sys.modules))"],
                         capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize("module", HEADLESS)
def test_headless_module_does_not_import_textual(module):
    loaded = _modules_after(f"import {module}")
    assert "textual" not in loaded, f"{module} pulls in textual"


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["lead", "--help"],
                                  ["lead", "add", "--help"], ["opp", "list", "--help"]])
def test_cli_start_up_imports_no_database_or_ui(argv):
    code = (f"import sys\nsys.argv = ['crm'] + {argv!r}\nfrom crmtui.cli import app\n"
            "try:\n    app()\nexcept SystemExit:\n    pass")
    loaded = _modules_after(code)
    for heavy in ("sqlalchemy", "sqlmodel", "textual", "alembic"):
        assert heavy not in loaded, f"crm {' '.join(argv)} imports {heavy}"


def test_store_and_domain_import_no_ui_libraries():
    loaded = _modules_after("import crmtui.domain.records, crmtui.domain.listing, "
                            "crmtui.store.migrate")
    for ui in ("textual", "typer", "rich"):
        assert ui not in loaded, f"store/domain import {ui}"
