"""Another process on the same host holding an image lock, for the lock tests.

    python -m tests.refimpl.lock_holder {oslo|refimpl} LOCK_PATH NAME SIGNAL_DIR [URL DS PATH]

Takes the lock the way Nova (oslo.concurrency) or refimpl does, writes
``SIGNAL_DIR/held``, waits for ``SIGNAL_DIR/go``, optionally deletes the
datastore folder PATH (as an enlist removes a mark), appends to
``SIGNAL_DIR/log``, and releases.
"""

from __future__ import annotations

import sys
import time
from contextlib import AbstractContextManager
from pathlib import Path


def lock(kind: str, lock_path: str, name: str) -> AbstractContextManager:
    if kind == "oslo":
        from oslo_concurrency import lockutils

        return lockutils.lock(name, lock_file_prefix="nova-vmware-ts", external=True,
                              lock_path=lock_path)
    from refimpl.locks import image_lock

    return image_lock(lock_path, name)


def main() -> None:
    kind, lock_path, name, signals = sys.argv[1:5]
    signal_dir = Path(signals)
    with lock(kind, lock_path, name):
        with open(signal_dir / "log", "a") as log:
            log.write("holder-start\n")
        (signal_dir / "held").touch()
        while not (signal_dir / "go").exists():
            time.sleep(0.01)
        if len(sys.argv) > 5:
            from harness.vsphere.datastore import DatastoreClient
            from harness.vsphere.session import connect
            from sim import Endpoint

            url, datastore, path = sys.argv[5:8]
            endpoint = Endpoint.from_url(url)
            DatastoreClient(connect(endpoint), endpoint).delete(datastore, path)
        with open(signal_dir / "log", "a") as log:
            log.write("holder-end\n")


if __name__ == "__main__":
    main()
