"""A line run as a user pastes it: in a shell, in the checkout, the venv's
commands first on PATH (replay lines say ``imagecache-harness``, ``python``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shell(line: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}"
                                 f"{os.environ.get('PATH', '')}"}
    env.pop("VCSIM_URL", None)  # each line starts a simulator of its own
    return subprocess.run(["bash", "-c", line], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
