"""The calc-tui terminal app: one screen per demo, shared panels, workers that call the engine."""
