"""Errors that carry a translatable code and an English sentence for the user."""

from __future__ import annotations

from typing import Any


class KamError(ValueError):
    """A problem the user can fix, with a catalogue code and the values for its sentence.

    ``code`` is ``"<module>.<what>"``; the UI looks up ``err_<module>.<what>`` in its
    catalogue and formats it with ``params``. ``str(error)`` is the English sentence.
    """

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message.format(**params) if params else message)
        self.code = code
        self.message = message
        self.params = params
