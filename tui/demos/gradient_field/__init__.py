"""Demo: gradient field."""
