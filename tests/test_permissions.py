"""Under umask 022: the data folder is 0700; the database, its -wal/-shm, backups, exports and
rejects files are 0600 (issue 7, test 6)."""

import os
import stat

import pytest

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_store_files_are_private(cli, crm_home, umask_022, tmp_path):
    from sqlalchemy import func, select

    from crmtui.domain import records
    from crmtui.store.migrate import open_store
    from crmtui.store.models import Lead

    cli("lead", "add", "Ada Lovelace")
    assert mode(crm_home) == 0o700
    db = crm_home / "crm.db"
    assert mode(db) == 0o600
    store = open_store()
    try:
        with store.write() as s:  # a committed write in WAL mode: the -wal file holds it
            records.create(s, "lead", {"last_name": "Grace Hopper"})
        with store.read() as s:  # and a connection stays open, so nothing removes -wal/-shm
            assert s.scalar(select(func.count()).select_from(Lead)) == 2
            assert s.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            wal, shm = (db.with_name(db.name + suffix) for suffix in ("-wal", "-shm"))
            assert wal.stat().st_size > 0 and shm.stat().st_size > 0
            assert (mode(wal), mode(shm)) == (0o600, 0o600)
    finally:
        store.close()
    backup = tmp_path / "b.db"
    cli("db", "backup", str(backup))
    assert mode(backup) == 0o600


def test_exports_and_rejects_are_private(cli, crm_home, umask_022, tmp_path):
    cli("lead", "add", "Ada Lovelace", "--email", "ada@engines.example")
    cli("export", "leads", "-o", tmp_path / "leads.csv")
    cli("privacy", "export", "ada@engines.example", "-o", tmp_path / "ada.json")
    bad = tmp_path / "bad.csv"
    bad.write_text("First Name,Last Name,Email\nGrace,Hopper,not-an-email\n")
    cli("import", "leads", bad, "--on-error", "skip", "--rejects", tmp_path / "rejects.csv",
        code=1)
    for name in ("leads.csv", "ada.json", "rejects.csv"):
        assert mode(tmp_path / name) == 0o600, name


def test_existing_data_folder_is_tightened(cli, crm_home, umask_022):
    crm_home.mkdir(mode=0o755)
    os.chmod(crm_home, 0o755)
    cli("lead", "list")
    assert mode(crm_home) == 0o700


def test_user_chosen_folder_is_left_alone(cli, tmp_path, umask_022):
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o755)
    cli("--db", str(folder / "x.db"), "db", "migrate")
    assert mode(folder) == 0o755 and mode(folder / "x.db") == 0o600
