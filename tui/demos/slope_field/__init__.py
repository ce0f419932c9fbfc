"""Demo: slope field."""
