"""Ctrl-C or SIGTERM in the middle of an import leaves the store exactly as it was."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.populate import checksums


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupted_import_leaves_the_store_unchanged(crm_home, tmp_path, sig, cli):
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
    time.sleep(2.5)
    assert proc.poll() is None, "the import finished before it could be interrupted"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err.decode()
    assert checksums(db) == before
