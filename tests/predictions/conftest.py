"""Fixtures for the prediction API: a compliance officer's client and applications the
production version approves and declines (the API client, `scored_frame` and an approved
`application` are in tests/conftest.py, shared with the security tests)."""

from typing import Any

import pytest
from rest_framework.test import APIClient

from governance.models import ModelVersion

from .support import as_application, token_client


@pytest.fixture
def compliance(compliance_officer: Any) -> APIClient:
    return token_client(compliance_officer)


@pytest.fixture
def declined_application(scored_frame: Any, production_version: ModelVersion) -> dict[str, Any]:
    """An application the production version declines."""
    row = scored_frame[scored_frame["probability"] >= production_version.threshold].iloc[0]
    return as_application(row.to_dict())


@pytest.fixture
def applications(scored_frame: Any) -> list[dict[str, Any]]:
    """150 applications, approvals and declines, some with missing values: enough rows that
    PostgreSQL logs them through COPY."""
    return [as_application(row) for row in scored_frame.head(150).to_dict("records")]
