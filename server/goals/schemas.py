"""Request and response schemas of the goals API (they generate the OpenAPI document)."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import UUID, Boolean, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from marshmallow import RAISE

from learning_goals.model import GoalKind
from server.validation import Text

MAX_OFFSET = 100_000


class StrictQuery(Schema):
    class Meta:
        unknown = RAISE  # a misspelt filter is an error, not silently ignored


class FrameworkQuery(StrictQuery):
    subject = Text(validate=Length(1, 100), metadata={"example": "Matematik"})
    grade = Integer(validate=Range(0, 10), metadata={"description": "0 = børnehaveklasse"})
    limit = Integer(load_default=50, validate=Range(1, 200))
    offset = Integer(load_default=0, validate=Range(0, MAX_OFFSET))


class TreeQuery(StrictQuery):
    depth = Integer(
        validate=Range(0, 20),
        metadata={"description": "Deepest level returned; 0 = competence areas only"},
    )


class GoalSearchQuery(StrictQuery):
    q = Text(
        load_default="",
        validate=Length(0, 200),
        metadata={"description": "Danish text; stems, prefixes and ae/oe/aa for æ/ø/å match"},
    )
    subject = Text(validate=Length(1, 100))
    grade = Integer(validate=Range(0, 10))
    framework_id = UUID()
    kind = String(validate=OneOf([k.value for k in GoalKind]))
    limit = Integer(load_default=20, validate=Range(1, 100))
    offset = Integer(load_default=0, validate=Range(0, MAX_OFFSET))


class GradeRange(Schema):
    min = Integer(allow_none=True)
    max = Integer(allow_none=True)


class FrameworkOut(Schema):
    id = UUID(required=True)
    title = String(required=True)
    subject = String(allow_none=True)
    version = String(allow_none=True)
    creator = String(required=True)
    publisher = String(allow_none=True)
    language = String(required=True)
    description = String(allow_none=True)
    official_source_url = String(allow_none=True)
    notes = String(allow_none=True)
    gaps = List(String(), required=True, metadata={"description": "What the framework lacks"})
    grades = Nested(GradeRange, required=True)
    goal_count = Integer(required=True)
    case_uri = String(required=True)


class FrameworkPage(Schema):
    items = List(Nested(FrameworkOut), required=True)
    total = Integer(required=True)
    limit = Integer(required=True)
    offset = Integer(required=True)


class GoalOut(Schema):
    id = UUID(required=True)
    framework_id = UUID(required=True)
    full_statement = String(required=True)
    kind = String(required=True, validate=OneOf([k.value for k in GoalKind]))
    human_code = String(allow_none=True)
    grade_band = String(allow_none=True)
    grades = List(Integer(), required=True)
    position = Integer(allow_none=True)
    notes = String(allow_none=True)
    guidance_only = Boolean(required=True)
    source_url = String(allow_none=True)
    depth = Integer(required=True)
    case_uri = String(required=True)


class GoalNode(GoalOut):
    children = List(Nested(lambda: GoalNode()), required=True)


class FrameworkTree(Schema):
    framework = Nested(FrameworkOut, required=True)
    goals = List(Nested(GoalNode), required=True)


class NodeRefOut(Schema):
    identifier = String(required=True)
    uri = String(required=True)
    title = String(allow_none=True)


class RelatedOut(Schema):
    type = String(required=True, metadata={"example": "precedes"})
    direction = String(required=True, validate=OneOf(["outgoing", "incoming"]))
    goal = Nested(GoalOut, allow_none=True, metadata={"description": "null when outside"})
    node = Nested(NodeRefOut, required=True)


class GoalDetail(Schema):
    goal = Nested(GoalOut, required=True)
    framework = Nested(FrameworkOut, required=True)
    ancestors = List(Nested(GoalOut), required=True, metadata={"description": "Root first"})
    children = List(Nested(GoalOut), required=True)
    related = List(Nested(RelatedOut), required=True)
    descendant_count = Integer(required=True)


class GoalHit(Schema):
    goal = Nested(GoalOut, required=True)
    score = Float(required=True)
    framework_title = String(required=True)
    subject = String(allow_none=True)


class GoalSearchPage(Schema):
    items = List(Nested(GoalHit), required=True)
    total = Integer(required=True)
    limit = Integer(required=True)
    offset = Integer(required=True)
