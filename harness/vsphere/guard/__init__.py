"""A guard between the harness (and every implementation it runs) and a
real vCenter: only the calls an image cache makes get through, on objects
it was shown, reading the properties it needs, changing files only below
the run's own folder (``proxy.Guard``; the rules in ``calls``,
``properties``, ``objects`` and ``folder``)."""

from .calls import below
from .proxy import Guard

__all__ = ["Guard", "below"]
