"""An outcome is recorded once: the same again is harmless, a different one is a 409."""

from datetime import timedelta

import pytest
from django.utils import timezone

from predictions.models import Outcome

from .support import BATCH_URL, PREDICT_URL, post_json

BULK_URL = "/api/v1/outcomes/"


@pytest.fixture
def prediction_ids(api, applications):
    results = post_json(api, BATCH_URL, {"applications": applications[:5]}).json()["results"]
    return [r["prediction_id"] for r in results]


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def later(prediction_ids) -> str:
    """A moment after the decisions were made (outcomes cannot be observed before them)."""
    return iso(timezone.now())


def outcome_url(prediction_id: str) -> str:
    return f"{PREDICT_URL}{prediction_id}/outcome/"


def test_an_outcome_is_recorded_once_and_the_same_again_changes_nothing(api, api_client_user, prediction_ids, later):
    first = post_json(api, outcome_url(prediction_ids[0]), {"defaulted": True, "observed_at": later})
    assert first.status_code == 201
    assert first.json()["defaulted"] is True and first.json()["observed_at"] == later
    again = post_json(api, outcome_url(prediction_ids[0]), {"defaulted": True, "observed_at": later})
    assert again.status_code == 200 and again.json() == first.json()
    outcome = Outcome.objects.get()
    assert (outcome.defaulted, outcome.recorded_by) == (True, api_client_user)


@pytest.mark.parametrize("change", ["defaulted", "observed_at"])
def test_a_different_outcome_is_a_409_and_the_first_one_stands(api, prediction_ids, later, change):
    post_json(api, outcome_url(prediction_ids[0]), {"defaulted": True, "observed_at": later})
    different = {
        "defaulted": True,
        "observed_at": later,
        change: False if change == "defaulted" else iso(timezone.now()),
    }
    response = post_json(api, outcome_url(prediction_ids[0]), different)
    assert response.status_code == 409
    assert "a different outcome is already recorded: defaulted=true" in response.json()["detail"]
    outcome = Outcome.objects.get()
    assert outcome.defaulted is True and iso(outcome.observed_at) == later


@pytest.mark.parametrize(
    "body, field",
    [
        ({"defaulted": "yes", "observed_at": "2026-01-01T00:00:00Z"}, "defaulted"),
        ({"defaulted": 1, "observed_at": "2026-01-01T00:00:00Z"}, "defaulted"),
        ({"defaulted": True, "observed_at": "last tuesday"}, "observed_at"),
        ({"defaulted": True}, "observed_at"),
    ],
)
def test_an_outcome_must_be_a_boolean_and_a_date(api, prediction_ids, body, field):
    response = post_json(api, outcome_url(prediction_ids[0]), body)
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Outcome.objects.exists()


def test_an_outcome_observed_before_the_decision_or_in_the_future_is_refused(api, prediction_ids):
    before = post_json(api, outcome_url(prediction_ids[0]), {"defaulted": True, "observed_at": "2020-01-01T00:00:00Z"})
    assert before.status_code == 400 and "before the decision was made" in before.json()["detail"]
    future = iso(timezone.now() + timedelta(days=1))
    ahead = post_json(api, outcome_url(prediction_ids[0]), {"defaulted": True, "observed_at": future})
    assert ahead.status_code == 400 and "in the future" in ahead.json()["detail"]
    assert not Outcome.objects.exists()


def test_many_outcomes_are_recorded_at_once_and_repeats_count_as_unchanged(api, prediction_ids, later):
    items = [
        {"prediction_id": pid, "defaulted": i % 2 == 0, "observed_at": later} for i, pid in enumerate(prediction_ids)
    ]
    response = post_json(api, BULK_URL, {"outcomes": items[:3]})
    assert response.status_code == 201 and response.json() == {"recorded": 3, "unchanged": 0}
    response = post_json(api, BULK_URL, {"outcomes": items})
    assert response.status_code == 201 and response.json() == {"recorded": 2, "unchanged": 3}
    recorded = dict(Outcome.objects.values_list("decision_log_id", "defaulted"))
    assert {str(k): v for k, v in recorded.items()} == {item["prediction_id"]: item["defaulted"] for item in items}


def test_one_conflicting_outcome_refuses_the_whole_bulk_request(api, prediction_ids, later):
    post_json(api, outcome_url(prediction_ids[0]), {"defaulted": True, "observed_at": later})
    items = [{"prediction_id": pid, "defaulted": False, "observed_at": later} for pid in prediction_ids]
    response = post_json(api, BULK_URL, {"outcomes": items})
    assert response.status_code == 409
    assert list(response.json()["errors"]) == ["0"]
    assert Outcome.objects.count() == 1


def test_bulk_outcomes_refuse_repeated_and_unknown_ids_and_bad_items(api, prediction_ids, later):
    item = {"prediction_id": prediction_ids[0], "defaulted": True, "observed_at": later}
    repeated = post_json(api, BULK_URL, {"outcomes": [item, item]})
    assert repeated.status_code == 400
    assert repeated.json()["errors"] == {"1": {"prediction_id": "appears more than once in this request"}}
    malformed = post_json(api, BULK_URL, {"outcomes": [item, {**item, "defaulted": "no"}]})
    assert malformed.status_code == 400
    assert malformed.json()["errors"] == {"outcomes": {"1": {"defaulted": "Must be true or false."}}}
    assert post_json(api, BULK_URL, {"outcomes": []}).status_code == 400
    assert not Outcome.objects.exists()
