"""Lock files and mutual exclusion with Nova's oslo.concurrency locks."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from oslo_concurrency import lockutils

from refimpl import mark_name
from refimpl.locks import image_lock, lock_file_path

from .conftest import DS0, START

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["[ds1] 10.0.0.5_base/img1", "[ds1] 10.0.0.5_base/img10",
                                  "[ds2] 10.0.0.5_base/img1", "[ds 1] _base/a.b-c"])
def test_lock_file_is_oslo_concurrencys(tmp_path, name):
    expected = lockutils._get_lock_path(name, "nova-vmware-ts", str(tmp_path))
    assert str(lock_file_path(tmp_path, name)) == expected


def test_lock_names_of_similar_images_and_datastores_differ(tmp_path):
    names = ["[ds1] b/img1", "[ds1] b/img10", "[ds2] b/img1", "[ds1] b_img1"]
    paths = {lock_file_path(tmp_path, n) for n in names[:3]}
    assert len(paths) == 3
    # Nova's '/' -> '_' folding makes these two collide; refimpl keeps
    # Nova's names for compatibility, so it shares the (harmless) collision.
    assert lock_file_path(tmp_path, names[0]) == lock_file_path(tmp_path, names[3])


def _start_holder(kind: str, tmp_path: Path, name: str, *extra: str) -> subprocess.Popen:
    signals = tmp_path / "signals"
    signals.mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "tests.refimpl.lock_holder", kind,
                             str(tmp_path / "locks"), name, str(signals), *extra], cwd=ROOT)
    deadline = time.monotonic() + 30
    while not (signals / "held").exists():
        assert proc.poll() is None, "lock holder died"
        assert time.monotonic() < deadline, "lock holder never took the lock"
        time.sleep(0.01)
    return proc


@pytest.mark.parametrize("holder", ["oslo", "refimpl"])
def test_other_process_holding_the_lock_excludes_us(tmp_path, holder):
    name = "[LocalDS_0] _base/img1"
    proc = _start_holder(holder, tmp_path, name)
    signals = tmp_path / "signals"
    # Release the holder a little later; without exclusion we would get in
    # (and log) before it ends its critical section.
    threading.Timer(0.3, (signals / "go").touch).start()
    with image_lock(tmp_path / "locks", name), open(signals / "log", "a") as log:
        log.write("us\n")
    assert proc.wait(30) == 0
    assert (signals / "log").read_text().split() == ["holder-start", "holder-end", "us"]


@pytest.mark.parametrize("holder", ["oslo", "refimpl"])
def test_enlist_in_another_process_blocks_and_beats_the_delete(holder, tmp_path, manager,
                                                                cache, clock, vcsim, base):
    # The other process (Nova's spawn, or refimpl's) holds img1's lock and
    # removes its mark only after our pass has listed the stale mark; our
    # delete waits for the lock, re-reads, and keeps the image.
    mark = mark_name(START)
    cache.image("img1", mark, files=("img1.vmdk",))
    clock.advance(61)
    name = f"[{DS0}] {base}/img1"
    proc = _start_holder(holder, tmp_path, name, vcsim.url, DS0, f"{base}/img1/{mark}")
    clock.hooks.append(lambda: (tmp_path / "signals" / "go").touch())
    summary = manager(age=60, lock_path=tmp_path / "locks").update([], [DS0])
    assert proc.wait(30) == 0
    assert cache.tree() == {"img1": ["img1.vmdk"]}
    assert [s.reason for s in summary.skipped] == [
        "not deleted: mark was cleared since the listing (image enlisted)"]
