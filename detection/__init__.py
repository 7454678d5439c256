"""Detection of growing complaints: pure functions of (now, observed items)."""
