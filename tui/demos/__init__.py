"""The six demos, one folder each: its screen, its pure compute (request -> view), its plots, its styles and its help."""
