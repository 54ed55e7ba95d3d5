"""The data folder is 0700; the database, its -wal/-shm and backups are 0600, under umask 022."""

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
    cli("lead", "add", "Ada Lovelace")
    assert mode(crm_home) == 0o700
    db = crm_home / "crm.db"
    assert mode(db) == 0o600
    from crmtui.store.migrate import open_store

    store = open_store()
    with store.write() as s:  # keep a connection open so -wal/-shm exist
        s.execute(__import__("sqlalchemy").text("SELECT 1"))
        for suffix in ("-wal", "-shm"):
            side = db.with_name(db.name + suffix)
            if side.exists():
                assert mode(side) == 0o600, suffix
    store.close()
    backup = tmp_path / "b.db"
    cli("db", "backup", str(backup))
    assert mode(backup) == 0o600


def test_existing_data_folder_is_tightened(cli, crm_home, umask_022):
    crm_home.mkdir(mode=0o755)
    os.chmod(crm_home, 0o755)
    cli("lead", "list")
    assert mode(crm_home) == 0o700


def test_user_chosen_folder_is_left_alone(cli, tmp_path, umask_022):
    folder = tmp_path / "shared"
    folder.mkdir()
    os.chmod(folder, 0o755)
    cli("--db", str(folder / "x.db"), "lead", "list")
    assert mode(folder) == 0o755 and mode(folder / "x.db") == 0o600
