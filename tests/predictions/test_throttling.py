"""Each API client has its own request budget; over it the API answers 429 with Retry-After."""

from types import SimpleNamespace

import pytest
from django.core.cache import cache

from loanportal import throttles
from loanportal.roles import Role
from loanportal.throttles import ClientRateThrottle
from predictions.models import DecisionLog

from .support import BATCH_URL, PREDICT_URL, post_json, token_client


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


# --- How a worker reports to the shared counter ---------------------------------

CLIENT = SimpleNamespace(user=SimpleNamespace(is_authenticated=True, pk=7))
NOW = 1_800_000_000.0  # a fixed clock: every request falls in one window


@pytest.fixture
def rate(settings, monkeypatch):
    """Set the single-prediction rate and count the throttle's calls to the cache."""
    calls = []

    class CountingCache:
        def incr(self, key, delta):
            calls.append(delta)
            return cache.incr(key, delta)

        def add(self, key, value, timeout):
            calls.append(value)
            return cache.add(key, value, timeout=timeout)

    monkeypatch.setattr(ClientRateThrottle, "cache", CountingCache())
    monkeypatch.setattr(ClientRateThrottle, "timer", lambda self: NOW)

    def set_rate(value):
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api": value}}
        return calls

    return set_rate


def allowed(requests: int) -> list[bool]:
    return [ClientRateThrottle().allow_request(CLIENT, None) for _ in range(requests)]


def shared_count() -> int:
    return cache.get(f"throttle:api:7:{int(NOW // 60)}")


def test_far_from_its_limit_a_client_costs_a_cache_round_trip_per_32nd_of_what_is_left(rate):
    calls = rate("3200/min")
    assert all(allowed(200))
    # 1 (nothing heard yet: `incr` finds no counter, `add` creates it), then
    # 99 = (3200 - 1) // 32 and 96 = (3200 - 100) // 32.
    assert calls == [1, 1, 99, 96]
    assert shared_count() == 196


def test_near_its_limit_every_request_is_reported_and_the_cache_decides(rate):
    calls = rate("40/min")
    assert all(allowed(40))
    assert shared_count() == 40
    assert allowed(3) == [False, False, False]
    assert calls[-4:] == [1, 1, 1, 1]  # the last admitted request and each refusal asked
    assert shared_count() == 43


def test_workers_together_exceed_a_rate_by_at_most_their_number_over_32(rate, monkeypatch):
    rate("320/min")
    workers = [{}, {}, {}, {}]  # each worker process's own unreported counts
    admitted = 0
    for request in range(600):
        monkeypatch.setattr(throttles, "_windows", workers[request % len(workers)])
        admitted += ClientRateThrottle().allow_request(CLIENT, None)
    assert 320 <= admitted <= 320 + 320 * len(workers) // 32
    # Once the shared count is over the limit, every worker refuses.
    for worker in workers:
        monkeypatch.setattr(throttles, "_windows", worker)
        assert allowed(2) == [False, False]


def test_without_a_cache_answer_requests_go_through(rate, monkeypatch):
    rate("1/min")
    monkeypatch.setattr(ClientRateThrottle, "_add", lambda self, key, count: None)
    assert all(allowed(5))
