"""Helpers for calling the prediction API in tests: its paths, a client with a token,
JSON posts and applications as a client sends them."""

import json
from typing import Any

import numpy as np
import pandas as pd
from rest_framework.test import APIClient

from governance.ml.fields import APPLICATION_FIELDS
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


def features_of(row_bytes: bytes) -> np.ndarray:
    return np.frombuffer(row_bytes, dtype="<f8")
