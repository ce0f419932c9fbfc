"""Demo: error vs h."""
