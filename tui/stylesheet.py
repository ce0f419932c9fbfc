"""Textual's stylesheet, without parsing the same CSS again when nothing it depends on has changed.

Opening the first screen, Textual 8.2 parses every CSS source three times over (the screen's own CSS, then
`refresh_css`), each time from an empty cache (`Stylesheet.reparse` parses into a fresh stylesheet and keeps only its
rules), and then once more when the widgets' default CSS arrives: about 4 ms each, all before the first frame.
A parse depends only on the CSS text, where it was read from, its scope and the CSS variables (the theme), and
Textual's own cache is keyed on all but the variables, which is why `set_variables` clears it. Here it is cleared
only when the variables do change, and a reparse reads through it.
"""

from __future__ import annotations

from textual.css.stylesheet import Stylesheet


class CachingStylesheet(Stylesheet):
    """A `Stylesheet` whose reparse reuses rules already parsed with the same variables."""

    @classmethod
    def replacing(cls, stylesheet: Stylesheet) -> CachingStylesheet:
        """A caching stylesheet with everything `stylesheet` holds (an app's, right after `App.__init__`)."""
        caching = cls(variables=stylesheet._variables)
        caching.source = stylesheet.source.copy()
        caching._require_parse = bool(caching.source)
        return caching

    def set_variables(self, variables: dict[str, str]) -> None:
        if variables != self._variables:
            super().set_variables(variables)  # a new theme: every rule is parsed again

    def reparse(self) -> None:
        # Textual's reparse parses into a fresh stylesheet, with an empty cache, so that broken CSS leaves this one as
        # it was; `parse` does that too (it replaces the rules only once every source has parsed), through the cache.
        self.parse()
