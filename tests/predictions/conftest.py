"""Fixtures for the prediction API: a production version, API clients by role, applications."""

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from rest_framework.test import APIClient

from governance.ml.dataset import Dataset
from governance.ml.fields import APPLICATION_FIELDS
from governance.models import ModelVersion
from governance.selectors import model_version_scorer
from governance.services import api_token_issue

PREDICT_URL = "/api/v1/predictions/"
BATCH_URL = "/api/v1/predictions/batch/"


def as_application(row: dict[str, Any]) -> dict[str, Any]:
    """A data frame row as an API client would send it: missing values left out."""
    return {name: row[name] for name in APPLICATION_FIELDS if not pd.isna(row[name])}


def token_client(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token_issue(user=user)}")
    return client


def post_json(client: APIClient, url: str, body: Any, **extra: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json", **extra)


@pytest.fixture
def api(api_client_user: Any) -> APIClient:
    """A loan origination system's API client."""
    return token_client(api_client_user)


@pytest.fixture
def compliance(compliance_officer: Any) -> APIClient:
    return token_client(compliance_officer)


@pytest.fixture
def scored_frame(demo_dataset: Dataset, production_version: ModelVersion) -> Any:
    """The demo applications with the production version's probability of default, scored
    through the data-frame path (encode_frame), independently of the API's path."""
    frame = demo_dataset.frame.head(2000).copy()
    frame["probability"] = model_version_scorer(version=production_version).score_frame(frame)
    return frame


@pytest.fixture
def application(scored_frame: Any, production_version: ModelVersion) -> dict[str, Any]:
    """A complete application the production version approves."""
    complete = scored_frame.dropna()
    row = complete[complete["probability"] < production_version.threshold].iloc[0]
    return as_application(row.to_dict())


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


def features_of(row_bytes: bytes) -> np.ndarray:
    return np.frombuffer(row_bytes, dtype="<f8")
