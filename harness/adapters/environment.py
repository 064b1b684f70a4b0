"""The environment an implementation's process starts with: the harness's
own, less what would lead it past the guard."""

from __future__ import annotations

import os
from collections.abc import Mapping

# The vSphere URL the harness was given may carry the real credentials, and
# the password file's path leads to them; an implementation gets its
# (guarded) endpoint in the start message instead.
WITHHELD = frozenset({"VCSIM_URL", "VCSIM_PASSWORD_FILE"})


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without ``WITHHELD``, plus ``extra``."""
    kept = {key: value for key, value in os.environ.items() if key not in WITHHELD}
    return {**kept, **(extra or {})}
