"""The explorer: the harness looking for bugs nobody wrote a scenario for.

``model`` and ``prediction`` are an executable model of the scheme (two
variants: the original's decisions, the reference tier's) run over a
scenario's steps, checked against the hand-written corpus.
"""
