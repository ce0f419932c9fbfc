"""Placeholder until the field demos land."""

from __future__ import annotations

from tui.screens.base import DemoScreen


class SlopeFieldScreen(DemoScreen):
    HELP_TITLE = "slope_field"
    HELP = "coming"
