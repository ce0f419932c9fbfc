"""Demo: compare."""
