"""Collecting what a simulator prints, for readiness and error messages."""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Iterable

log = logging.getLogger("sim.output")


class OutputBuffer:
    """The last ``max_lines`` lines a simulator printed, filled by a reader thread."""

    def __init__(self, name: str, max_lines: int = 2000) -> None:
        self._name = name
        self._lines: deque[str] = deque(maxlen=max_lines)
        self._lock = threading.Lock()
        self._partial = ""
        self._thread: threading.Thread | None = None

    def feed(self, chunk: str) -> None:
        with self._lock:
            text = self._partial + chunk
            *complete, self._partial = text.split("\n")
            self._lines.extend(complete)
        for line in complete:
            log.debug("[%s] %s", self._name, line)

    def text(self) -> str:
        with self._lock:
            return "\n".join([*self._lines, self._partial])

    def follow(self, chunks: Iterable[bytes]) -> None:
        """Feed ``chunks`` from a daemon thread until they end."""

        def pump() -> None:
            try:
                for chunk in chunks:
                    self.feed(chunk.decode(errors="replace"))
            except (OSError, ValueError):
                # The stream was closed under us while stopping.
                pass

        self._thread = threading.Thread(target=pump, name=f"{self._name}-output", daemon=True)
        self._thread.start()

    def join(self, timeout: float = 2.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
