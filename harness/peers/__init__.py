"""Peers: other implementations served over the harness protocol from their
own environments (they import nothing of the harness)."""
