"""The derivatives lesson as a guided path through the demos: steps, checked tasks, the text pane."""
