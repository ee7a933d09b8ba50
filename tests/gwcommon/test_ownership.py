"""follow_folder_owner: root's new files in the service user's folder go to the service user."""

from __future__ import annotations

import os

import pytest

from gwcommon.ownership import follow_folder_owner


@pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")
def test_roots_files_follow_the_folder_and_others_are_left(tmp_path):
    os.chown(tmp_path, 65534, 65534)
    (tmp_path / "hub.db").write_bytes(b"x")
    (tmp_path / "hub.db-wal").write_bytes(b"x")
    os.chown(tmp_path / "hub.db-wal", 1234, 1234)  # not root's: left alone
    changed = follow_folder_owner(tmp_path, ("hub.db", "hub.db-wal", "hub.db-shm"))
    assert changed == [tmp_path / "hub.db"]
    assert (tmp_path / "hub.db").stat().st_uid == 65534 and (tmp_path / "hub.db-wal").stat().st_uid == 1234


def test_nothing_changes_when_not_root_or_the_folder_is_roots(tmp_path):
    (tmp_path / "hub.db").write_bytes(b"x")
    assert follow_folder_owner(tmp_path, ("hub.db",), euid=1000) == []
    if os.geteuid() == 0:
        os.chown(tmp_path, 0, 0)
        assert follow_folder_owner(tmp_path, ("hub.db",)) == []
