"""The catalogue's domain errors. The server maps each to one HTTP status in one place.

========================  =====================================================  ======
error                     meaning                                                status
========================  =====================================================  ======
``CatalogueError``        a rule of the catalogue is broken (base class)         422
``CatalogueValidationError``  input fails its checks; ``errors`` maps field → messages  422
``ImageRejected``         an upload is not an acceptable image                   422
``ImageTooLarge``         an upload is over the byte or pixel limit              413
``TransitionRefused``     the action is not possible from the current status     409
``ActionNotPermitted``    the actor's role may not take this action at all       403
========================  =====================================================  ======
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class CatalogueError(ValueError):
    """A catalogue rule is broken. ``field`` names the field (dotted path) when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.message = message
        self.field = field


class CatalogueValidationError(CatalogueError):
    """Input fails validation. ``errors`` maps each field path to its messages, in field order.

    Paths are dotted with list indexes in brackets: ``title``, ``grades[2]``, ``launch.url``,
    ``screenshots[0].sha256``. Every problem found is reported, not only the first.
    """

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        self.errors: dict[str, list[str]] = {key: list(msgs) for key, msgs in errors.items()}
        first_field, first_messages = next(iter(self.errors.items()))
        more = len(self.errors) - 1
        summary = first_messages[0] + (f" (and {more} more field(s))" if more else "")
        super().__init__(summary, field=first_field)


class ImageRejected(CatalogueValidationError):
    """An uploaded file is not an image we accept (type, content, dimensions)."""


class ImageTooLarge(ImageRejected):
    """An uploaded image is over the byte limit or the pixel limit."""


class TransitionRefused(CatalogueError):
    """The action cannot be taken from the current status (e.g. publish a draft)."""


class ActionNotPermitted(CatalogueError):
    """The actor's role may never take this action (e.g. a publisher approving)."""
