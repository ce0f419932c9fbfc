"""One module per demo screen, plus the help screen."""
