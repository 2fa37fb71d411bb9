"""Each API client has its own request budget; over it the API answers 429 with Retry-After."""

import pytest

from governance.roles import Role
from predictions.models import DecisionLog

from .conftest import BATCH_URL, PREDICT_URL, post_json, token_client


@pytest.fixture
def tight_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "3/min", "api-batch": "1/min"},
    }


def test_a_client_over_its_rate_gets_429_with_retry_after_and_nothing_is_scored(tight_rates, api, application):
    assert [post_json(api, PREDICT_URL, application).status_code for _ in range(3)] == [201, 201, 201]
    refused = post_json(api, PREDICT_URL, application)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["detail"].startswith("Request was throttled.")
    assert DecisionLog.objects.count() == 3


def test_one_clients_throttling_leaves_other_clients_alone(tight_rates, api, make_user, application):
    for _ in range(4):
        post_json(api, PREDICT_URL, application)
    other = token_client(make_user("second-los", Role.API_CLIENT))
    assert post_json(other, PREDICT_URL, application).status_code == 201


def test_batches_have_their_own_smaller_budget(tight_rates, api, application):
    assert post_json(api, BATCH_URL, {"applications": [application]}).status_code == 201
    assert post_json(api, BATCH_URL, {"applications": [application]}).status_code == 429
    assert post_json(api, PREDICT_URL, application).status_code == 201


def test_the_default_rates_come_from_the_environment_settings(settings):
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert rates["api"] == "1200/min" and rates["api-batch"] == "30/min"
