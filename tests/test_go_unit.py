"""The Go unit tests of the simulator build (rule matching, SOAP header
tagging, the control API's loopback check), run as part of the suite."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from sim import build


def test_go_unit_tests_pass():
    go = shutil.which("go")
    if go is None:
        pytest.fail("the Go toolchain is not on PATH (it builds the simulator too)")
    result = subprocess.run([go, "test", "-count=1", "./..."], cwd=build.SOURCE_DIR,
                            capture_output=True, text=True, timeout=600,
                            env={**__import__("os").environ, "CGO_ENABLED": "0"})
    assert result.returncode == 0, result.stdout + result.stderr
