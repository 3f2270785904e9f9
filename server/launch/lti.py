"""LTI 1.3 messages as the platform sends them: claim names, roles, and the id_token body.

No Flask, no database: the operations gather what a launch is about into a ``LaunchContext``
and this module turns it into the claims the IMS specifications name (LTI Core 1.3, Deep
Linking 2.0). Claim values are plain JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LTI = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
MESSAGE_TYPE = LTI + "message_type"
VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
TARGET_LINK_URI = LTI + "target_link_uri"
RESOURCE_LINK = LTI + "resource_link"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
CUSTOM = LTI + "custom"
TOOL_PLATFORM = LTI + "tool_platform"
LAUNCH_PRESENTATION = LTI + "launch_presentation"
DEEP_LINKING_SETTINGS = DL + "deep_linking_settings"
CONTENT_ITEMS = DL + "content_items"
DL_DATA = DL + "data"
#: our own claim: the learning goals (CASE item URIs) the product is used for, as a list
LEARNING_GOALS = "https://skolehylde.dk/lti/claim/learning_goals"

RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
DEEP_LINKING_RESPONSE = "LtiDeepLinkingResponse"

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
COURSE_OFFERING = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"

#: our roles → LIS membership roles in the class (context)
ROLE_URIS = {"pupil": LEARNER, "teacher": INSTRUCTOR, "school_leader": INSTRUCTOR}


@dataclass(frozen=True, slots=True)
class LaunchContext:
    """Everything one launch is about, gathered before the tool is involved."""

    issuer: str
    client_id: str
    deployment_id: str
    message_type: str
    target_link_uri: str
    sub: str
    role: str
    class_id: str | None
    class_label: str | None
    class_title: str | None
    resource_link_id: str
    resource_title: str
    goal_uris: tuple[str, ...]
    document_target: str = "window"
    custom: dict[str, str] = field(default_factory=dict)
    name: str | None = None
    email: str | None = None
    deep_link_return_url: str | None = None
    deep_link_data: str | None = None
    platform_guid: str = "skolehylde"


def id_token_claims(launch: LaunchContext, *, nonce: str, now: int, ttl: int) -> dict[str, Any]:
    """The id_token body of a resource link or deep-linking request."""
    claims: dict[str, Any] = {
        "iss": launch.issuer,
        "aud": launch.client_id,
        "azp": launch.client_id,
        "sub": launch.sub,
        "iat": now,
        "exp": now + ttl,
        "nonce": nonce,
        MESSAGE_TYPE: launch.message_type,
        VERSION: "1.3.0",
        DEPLOYMENT_ID: launch.deployment_id,
        TARGET_LINK_URI: launch.target_link_uri,
        ROLES: [ROLE_URIS[launch.role]] if launch.role in ROLE_URIS else [],
        TOOL_PLATFORM: {
            "guid": launch.platform_guid,
            "name": "Skolehylde",
            "product_family_code": "skolehylde",
            "version": "1",
        },
        LAUNCH_PRESENTATION: {"document_target": launch.document_target, "locale": "da-DK"},
        CUSTOM: {"learning_goals": " ".join(launch.goal_uris), **launch.custom},
        LEARNING_GOALS: list(launch.goal_uris),
    }
    if launch.class_id is not None:
        claims[CONTEXT] = {
            "id": launch.class_id,
            "label": launch.class_label,
            "title": launch.class_title,
            "type": [COURSE_OFFERING],
        }
    if launch.message_type == RESOURCE_LINK_REQUEST:
        claims[RESOURCE_LINK] = {"id": launch.resource_link_id, "title": launch.resource_title}
    else:
        claims[DEEP_LINKING_SETTINGS] = {
            "deep_link_return_url": launch.deep_link_return_url,
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["window", "iframe"],
            "accept_multiple": False,
            "auto_create": True,
            "title": launch.resource_title,
            "data": launch.deep_link_data,
        }
    if launch.name is not None:
        claims["name"] = launch.name
    if launch.email is not None:
        claims["email"] = launch.email
    return claims


def context_from_dict(data: dict[str, Any]) -> LaunchContext:
    values = dict(data)
    values["goal_uris"] = tuple(values.get("goal_uris", ()))
    return LaunchContext(**values)


def context_to_dict(launch: LaunchContext) -> dict[str, Any]:
    return {name: getattr(launch, name) for name in LaunchContext.__slots__}
