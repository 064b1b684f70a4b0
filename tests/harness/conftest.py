"""Fixtures of the harness's own tests that more than one module needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def installed(tmp_path_factory) -> Path:
    """The bin folder of a virtualenv outside the checkout with the wheel
    installed (its dependencies from the package index, through pip's
    cache): what a user of the harness has."""
    where = tmp_path_factory.mktemp("installed")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                    str(where / "dist"), str(ROOT)], check=True, timeout=300)
    subprocess.run([sys.executable, "-m", "venv", str(where / "v")], check=True, timeout=120)
    wheel = next((where / "dist").glob("*.whl"))
    subprocess.run([str(where / "v" / "bin" / "pip"), "install", "-q", str(wheel)],
                   check=True, timeout=600)
    return where / "v" / "bin"
