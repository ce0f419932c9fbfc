"""Placeholder until the field demos land."""

from __future__ import annotations

from tui.screens.base import DemoScreen


class GradientFieldScreen(DemoScreen):
    HELP_TITLE = "gradient_field"
    HELP = "coming"
