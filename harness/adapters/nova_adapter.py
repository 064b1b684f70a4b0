"""Upstream Nova's own image cache module, run unmodified in the venv
``make nova-env`` creates and reached through the protocol
(harness/peers/nova_serve.py)."""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from .command_adapter import CommandImplementation

PEER = Path(__file__).resolve().parents[1] / "peers" / "nova_serve.py"


def nova_venv() -> Path:
    """``$IMAGECACHE_NOVA_VENV``, else ``.nova-venv`` where the run starts
    (what ``make nova-env`` makes in a checkout)."""
    return Path(os.environ.get("IMAGECACHE_NOVA_VENV") or Path.cwd() / ".nova-venv")


class NovaImplementation(CommandImplementation):
    name = "nova"

    def __init__(self) -> None:
        python = nova_venv() / "bin" / "python"
        if not python.exists():
            raise FileNotFoundError(
                f"{python} does not exist: run `make nova-env` (a venv with nova 34.0.0 from "
                "PyPI), or set IMAGECACHE_NOVA_VENV to one")
        # The original takes "the first ts- folder" in set order: fix the
        # hash seed so that runs are reproducible.
        super().__init__(shlex.join([str(python), str(PEER)]), name="nova",
                         env={"PYTHONHASHSEED": "0"}, model="nova")
