"""The watch: official calendar, sensitive periods, watch levels (duty operations)."""
