"""Settings from the environment: embedded defaults, and no unsafe fallback in production."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.config import ConfigurationError, settings_from_env


def test_embedded_defaults(tmp_path: Path) -> None:
    settings = settings_from_env({"SKOLEHYLDE_VAR_DIR": str(tmp_path)})
    assert settings["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'skolehylde.db'}"
    assert settings["SKOLEHYLDE_ENV"] == "development"
    assert len(settings["SECRET_KEY"]) >= 32


def test_production_refuses_to_start_without_a_secret() -> None:
    with pytest.raises(ConfigurationError, match="SECRET_KEY must be set"):
        settings_from_env({"SKOLEHYLDE_ENV": "production"})


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="SKOLEHYLDE_ENV must be"):
        settings_from_env({"SKOLEHYLDE_ENV": "prod"})


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_postgresql_urls_use_psycopg_3(scheme: str) -> None:
    settings = settings_from_env({"DATABASE_URL": f"{scheme}://u:p@db:5432/skolehylde"})
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db:5432/skolehylde"


def test_access_token_lifetime_from_the_environment() -> None:
    assert settings_from_env({})["OAUTH_ACCESS_TOKEN_TTL"] == 600
    assert settings_from_env({"OAUTH_ACCESS_TOKEN_TTL": "300"})["OAUTH_ACCESS_TOKEN_TTL"] == 300
    with pytest.raises(ConfigurationError, match="OAUTH_ACCESS_TOKEN_TTL must be a positive"):
        settings_from_env({"OAUTH_ACCESS_TOKEN_TTL": "-5"})
