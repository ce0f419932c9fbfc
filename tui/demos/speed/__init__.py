"""Demo: speed."""
