"""refimpl's default clock under freezegun, and the trap freezegun sets for pyvmomi."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from refimpl import ImageCacheManager

from .conftest import DS0

# freezegun swaps the name ``datetime`` in every loaded module; pyVmomi's
# SoapAdapter then cannot deserialize any dateTime. Leave it out.
KEEP_REAL = ["pyVmomi", "pyVim"]


def test_default_clock_follows_freezegun(session, cache, base, lock_path):
    cache.image("img1")
    mgr = ImageCacheManager(session, base, lock_path=lock_path, age_seconds=60)
    with freeze_time("2031-05-05 10:00:00", ignore=KEEP_REAL) as frozen:
        mgr.update([], [DS0])
        frozen.tick(61)
        mgr.update([], [DS0])  # the mark is 61 s old on the frozen clock
    assert cache.tree() == {}


def test_freezegun_without_the_ignore_list_breaks_pyvmomi(vsphere):
    # Pins the trap (vcsim-facts.md): any dateTime in a response fails.
    with freeze_time("2031-05-05 10:00:00"), pytest.raises(TypeError):
        vsphere.CurrentTime()
