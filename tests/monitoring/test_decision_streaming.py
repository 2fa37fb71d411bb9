"""Drift reads the window's encoded decisions in chunks; COPY and the ORM fallback agree."""

from datetime import timedelta

import numpy as np
import pytest
from django.db import connection

from governance.ml.baseline import bin_histogram
from monitoring import selectors
from monitoring.psi import WindowHistogram
from predictions.models import DecisionLog
from tests.support import applications

from .support import WINDOW, WINDOW_END, WINDOW_START

pytestmark = pytest.mark.django_db


@pytest.fixture
def window_rows(production_version, log_decisions):
    """350 decisions inside the window, its first and last instants included, and rows just
    outside it and without features, which must not be read."""
    frame = applications(356, seed=5)
    times = (
        [WINDOW_START]
        + [WINDOW_START + timedelta(seconds=10 * i) for i in range(1, 348)]
        + [
            WINDOW_END - timedelta(microseconds=1),
            WINDOW_START - timedelta(microseconds=1),  # before the window
            WINDOW_END,  # the next window's
        ]
    )
    rows = log_decisions(production_version, frame.iloc[:351], at=times)
    removed = log_decisions(production_version, frame.iloc[351:], at=WINDOW_START + timedelta(minutes=1))
    DecisionLog.objects.filter(pk__in=[r.pk for r in removed]).update(
        inputs=None, features=None, inputs_removed_at=WINDOW_END
    )
    return production_version, rows[:349]


def histogram(version, *, use_copy: bool) -> WindowHistogram:
    names = [f["name"] for f in version.feature_schema["fields"]]
    result = WindowHistogram([version.baseline["features"][n] for n in names], version.baseline["score"])
    selectors.decision_vectors(version=version, window=WINDOW, consume=result.add, use_copy=use_copy)
    return result


@pytest.mark.parametrize("chunk_rows", [7, 65_536])
def test_chunked_reading_counts_exactly_the_window(window_rows, monkeypatch, chunk_rows):
    monkeypatch.setattr(selectors, "CHUNK_ROWS", chunk_rows)
    version, rows = window_rows
    streamed = histogram(version, use_copy=connection.vendor == "postgresql")
    expected_features = np.vstack([np.frombuffer(r.features, dtype="<f8") for r in rows])
    expected_scores = np.array([r.probability for r in rows])
    names = [f["name"] for f in version.feature_schema["fields"]]
    assert streamed.rows == 349
    for j, name in enumerate(names):
        expected = bin_histogram(expected_features[:, j], version.baseline["features"][name])
        assert streamed.field_counts[j].tolist() == expected.tolist(), name
    assert streamed.score_counts.tolist() == bin_histogram(expected_scores, version.baseline["score"]).tolist()


@pytest.mark.postgresql
@pytest.mark.parametrize("chunk_rows", [1, 7, 65_536])
def test_copy_streaming_and_the_fallback_give_identical_counts(window_rows, monkeypatch, chunk_rows):
    monkeypatch.setattr(selectors, "CHUNK_ROWS", chunk_rows)
    version, _ = window_rows
    copied, fetched = histogram(version, use_copy=True), histogram(version, use_copy=False)
    assert copied.rows == fetched.rows == 349
    assert [c.tolist() for c in copied.field_counts] == [c.tolist() for c in fetched.field_counts]
    assert copied.score_counts.tolist() == fetched.score_counts.tolist()


def test_a_vector_of_the_wrong_length_is_refused_not_misread(window_rows):
    version, _ = window_rows
    version.feature_schema = {**version.feature_schema, "fields": version.feature_schema["fields"][:-1]}
    with pytest.raises(ValueError, match="does not have 27 encoded fields"):
        selectors.decision_vectors(version=version, window=WINDOW, consume=lambda f, s: None)
    assert DecisionLog.objects.count() == 356  # the connection is still usable, e.g. to record the failure
