"""Building the simulator binary from the Go module in ``sim/vcsim``.

The binary lands in a cache folder keyed by a digest of the Go sources and
the govmomi pin, so it is rebuilt exactly when one of them changes.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import BuildError

log = logging.getLogger(__name__)

SOURCE_DIR = Path(__file__).resolve().parent / "vcsim"
GOVMOMI_MODULE = "github.com/vmware/govmomi"
BINARY_NAME = "vcsim"


def govmomi_version() -> str:
    """The govmomi version pinned in ``sim/vcsim/go.mod``."""
    gomod = SOURCE_DIR / "go.mod"
    match = re.search(rf"^\s*(?:require\s+)?{re.escape(GOVMOMI_MODULE)}\s+(\S+)",
                      gomod.read_text(), re.MULTILINE)
    if not match:
        raise BuildError(f"{gomod}: no require line for {GOVMOMI_MODULE}")
    return match.group(1)


def _sources() -> list[Path]:
    return sorted([SOURCE_DIR / "go.mod", SOURCE_DIR / "go.sum", *SOURCE_DIR.glob("*.go")])


def source_digest() -> str:
    """A short digest of everything that goes into the binary."""
    h = hashlib.sha256()
    for path in _sources():
        if path.name.endswith("_test.go"):
            continue
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def cache_dir() -> Path:
    """``$IMAGECACHE_HARNESS_CACHE``, else ``$XDG_CACHE_HOME/imagecache-harness``."""
    explicit = os.environ.get("IMAGECACHE_HARNESS_CACHE")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "imagecache-harness"


def binary_path() -> Path:
    """Where the binary for the current sources lives (built or not)."""
    return cache_dir() / "vcsim" / f"{govmomi_version()}-{source_digest()}" / BINARY_NAME


@contextmanager
def build_lock() -> Iterator[None]:
    """Serializes builds across processes: parallel xdist workers may all
    find the binary or image missing; one builds, the others wait."""
    cache_dir().mkdir(parents=True, exist_ok=True)
    with open(cache_dir() / ".build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ensure_binary() -> Path:
    """Return the binary for the current sources, building it if missing."""
    target = binary_path()
    if target.exists():
        return target
    with build_lock():
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            _go_build(target)
    return target


NO_GO = ("the simulator is not built for these sources yet, and the Go toolchain is not on "
         "PATH to build it (once per machine, into ~/.cache/imagecache-harness). Install Go "
         ">= 1.21 (https://go.dev/dl/, or Debian's golang-go); or point at a simulator that "
         "runs elsewhere: --vcsim-url URL --vcsim-thumbprint SHA256, as `imagecache-harness sim "
         "up` prints them there; or use Docker with an image of it (--vcsim=docker).")


def can_start() -> bool:
    """Whether the process backend can start a simulator: built, or buildable."""
    return binary_path().exists() or shutil.which("go") is not None


def _go_build(target: Path) -> None:
    go = shutil.which("go")
    if go is None:
        raise BuildError(NO_GO)
    tmp = target.with_name(f".{BINARY_NAME}.{os.getpid()}.tmp")
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=readonly"}
    cmd = [go, "build", "-trimpath", "-ldflags=-s -w", "-o", str(tmp), "."]
    log.info("building the simulator (govmomi %s) into %s", govmomi_version(), target)
    result = subprocess.run(cmd, cwd=SOURCE_DIR, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise BuildError(
            f"`{' '.join(cmd)}` in {SOURCE_DIR} failed (exit {result.returncode}):\n"
            f"{result.stderr.strip()}"
        )
    tmp.replace(target)
