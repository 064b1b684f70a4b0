"""What the engine searches: each target supplies its cases, how one runs,
and the file a failing one becomes (``cases.Target``)."""
