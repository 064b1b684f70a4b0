"""Contention runs: actors as separate processes against one simulator, a
Jepsen-style history, and a checker of the image cache's invariants."""
