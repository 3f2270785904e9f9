"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from apiflask.fields import Dict, String
from sqlalchemy import text

from server.extensions import db

bp = APIBlueprint("health", __name__, tag="Operations")


class HealthOut(Schema):
    status = String(required=True, metadata={"example": "ok"})


class ReadyOut(Schema):
    status = String(required=True, metadata={"example": "ok"})
    checks = Dict(keys=String(), values=String(), required=True)


@bp.get("/health")
@bp.output(HealthOut)
def health() -> dict[str, Any]:
    """The process is up"""
    return {"status": "ok"}


_NOT_READY: Any = {
    503: {
        "description": "A dependency does not answer; `checks` says which",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ReadyOut"}}},
    }
}


@bp.get("/ready")
@bp.output(ReadyOut, description="Every dependency answers")
@bp.doc(responses=_NOT_READY)
def ready() -> Any:
    """The database and the search index answer

    `search_outbox` is "ok" or the changes still waiting for the index (they are retried
    automatically; a backlog alone does not make the service unready).
    """
    checks = {"database": _database()}
    checks["search"], checks["search_outbox"] = _search()
    ok = checks["database"] == "ok" and checks["search"] == "ok"
    return {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503


def _search() -> tuple[str, str]:
    from server.search.service import search_service

    return search_service().readiness(db.session())


def _database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:
        db.session.rollback()
        return f"error: {type(exc).__name__}"
    return "ok"
