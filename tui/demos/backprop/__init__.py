"""Demo: backprop."""
