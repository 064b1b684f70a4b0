"""The file format both scenario kinds share: YAML that remembers its lines,
schema checks, the ``config`` section, durations and timestamps, and errors
that name the file, the line and the key."""
