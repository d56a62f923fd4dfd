"""The meeting pack's sections in deck order (light: the command line checks its arguments first)."""

#: Every section in deck order; the user can leave out any but the title.
SECTIONS: tuple[str, ...] = ("title", "portfolio", "selection", "segments", "survey", "accounts")
