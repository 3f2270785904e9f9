"""Input fields shared by every API: text that a database and a person can both take."""

from __future__ import annotations

from typing import Any

from apiflask.fields import String
from marshmallow.validate import Regexp

#: No control characters (PostgreSQL refuses NUL; nobody means to send the others).
NO_CONTROL_CHARACTERS = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


class Text(String):
    """A string without control characters; the rule is part of the OpenAPI ``pattern``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators.insert(
            0, Regexp(NO_CONTROL_CHARACTERS, error="Must not contain control characters.")
        )
