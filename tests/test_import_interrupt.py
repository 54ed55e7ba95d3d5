"""Ctrl-C or SIGTERM in the middle of an import leaves the store exactly as it was.

The signal is sent once the import is demonstrably writing (its write-ahead log has grown
past a threshold), early and late in the file, rather than after a fixed sleep that a busy
machine can make land before the command has even started. The import writes on two
threads (the database's work runs beside the reading), so these also check that an
interrupt stops the writer thread before the transaction is rolled back.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.populate import checksums


def _wait_for_wal(proc, wal, size: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the import finished before it could be interrupted"
        try:
            if wal.stat().st_size >= size:
                return
        except FileNotFoundError:
            pass
        time.sleep(0.02)
    raise AssertionError("the import did not start writing")


@pytest.mark.sqlite_only
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("wal_bytes", [1 << 20, 24 << 20], ids=["early", "late"])
def test_interrupted_import_leaves_the_store_unchanged(crm_home, tmp_path, sig, wal_bytes, cli):
    cli("lead", "add", "Before Import", "--email", "before@x.com")
    db = crm_home / "crm.db"
    before = checksums(db)
    path = tmp_path / "big.csv"
    with open(path, "w") as fh:
        fh.write("First Name,Last Name,Email,Company\n")
        for i in range(400_000):
            fh.write(f"F{i},L{i},p{i}@example.com,Company {i % 100}\n")
    env = {**os.environ, "CRMTUI_HOME": str(crm_home)}
    proc = subprocess.Popen([sys.executable, "-m", "crmtui", "import", "leads", str(path)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for_wal(proc, crm_home / "crm.db-wal", wal_bytes)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err.decode()
    assert checksums(db) == before
