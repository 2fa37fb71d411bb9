"""Requests are scored by the model's production version of the moment: a promotion serves
the next request without a restart, and no production version means no scoring."""

from governance.models import RegisteredModel
from governance.services import model_version_register, model_version_transition
from predictions import selectors, services
from predictions.bulk_insert import decision_row_insert_while_serving
from predictions.models import DecisionLog

from .support import PREDICT_URL, as_application, post_json


def test_after_a_promotion_the_next_request_is_scored_by_the_new_version(
    api, application, production_version, register_version, take_to
):
    before = post_json(api, PREDICT_URL, application).json()
    assert before["model_version"] == production_version.version
    stricter = take_to(register_version(threshold=0.01), "production")
    after = post_json(api, PREDICT_URL, application).json()
    assert (after["model_version"], after["threshold"]) == (stricter.version, 0.01)
    assert after["decision"] == "decline"  # same application, the new version's cut-off
    assert DecisionLog.objects.get(pk=after["prediction_id"]).model_version == stricter
    production_version.refresh_from_db()
    assert production_version.state == "retired"


def test_a_model_without_a_production_version_is_a_503_and_nothing_is_logged(api, demo_dataset, draft_version):
    response = post_json(api, PREDICT_URL, as_application(demo_dataset.frame.iloc[0].to_dict()))
    assert response.status_code == 503
    assert response.json()["detail"].startswith("No version of 'loan-default' is in production")
    assert DecisionLog.objects.count() == 0


def test_an_unknown_model_name_is_a_404(api, application, production_version):
    response = post_json(api, f"{PREDICT_URL}?model=no-such-model", application)
    assert response.status_code == 404
    assert response.json()["detail"] == "There is no registered model named 'no-such-model'."


def test_another_registered_model_is_chosen_with_the_model_parameter(
    api, application, production_version, training_result, author, take_to
):
    other = RegisteredModel.objects.create(name="loan-default-challenger", purpose="Challenger", owner="Risk")
    version = take_to(
        model_version_register(registered_model=other, result=training_result, author=author), "production"
    )
    body = post_json(api, f"{PREDICT_URL}?model=loan-default-challenger", application).json()
    assert (body["model"], body["model_version"]) == ("loan-default-challenger", 1)
    assert DecisionLog.objects.get(pk=body["prediction_id"]).model_version == version


def test_a_decision_is_never_written_for_a_version_out_of_production(
    api_client_user, application, production_version, approver
):
    from governance.services import model_version_transition

    serving = selectors.serving_model(model_name="loan-default")
    cleaned, _ = serving.validator.validate(application)
    (row,) = services._decide(serving, [cleaned], api_client_user, "req", 0.0, production_version.created_at)
    model_version_transition(version_id=production_version.pk, action="retire", actor=approver, comment="out")
    assert decision_row_insert_while_serving(row) is False
    assert DecisionLog.objects.count() == 0


def test_a_retirement_overtaking_a_worker_stops_scoring_at_once(api, application, production_version, approver):
    assert post_json(api, PREDICT_URL, application).status_code == 201  # the worker now reuses this version
    model_version_transition(version_id=production_version.pk, action="retire", actor=approver, comment="out")
    response = post_json(api, PREDICT_URL, application)
    assert response.status_code == 503
    assert DecisionLog.objects.count() == 1


def test_a_batch_overtaken_by_a_promotion_is_refused_whole(api, applications, production_version, monkeypatch):
    monkeypatch.setattr(services, "serving_version_hold", lambda *, version: False)
    response = post_json(api, f"{PREDICT_URL}batch/", {"applications": applications[:5]})
    assert response.status_code == 503
    assert "changed while this batch was being prepared" in response.json()["detail"]
    assert DecisionLog.objects.count() == 0
