"""The Skolehylde Flask service: app factory, HTTP API, persistence, adapters, CLI."""

from server.app import create_app

__all__ = ["create_app"]
