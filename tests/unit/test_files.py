"""kgx.files: a file is replaced whole or left as it was."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from kgx.files import atomic_open, atomic_write_json, umask


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    atomic_write_json(path, {"n": 1})
    with pytest.raises(RuntimeError), atomic_open(path) as f:
        f.write('{"n": 2, "half')
        raise RuntimeError("killed half-way")
    assert json.loads(path.read_text()) == {"n": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_binary_and_permissions_of_a_plain_open(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    with atomic_open(path, "wb") as f:
        f.write(b"\x00\xff")
    assert path.read_bytes() == b"\x00\xff"
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode) \
        == 0o666 & ~umask()
    old = os.umask(0o077)
    try:
        assert umask() == 0o077
    finally:
        os.umask(old)
