"""Artifacts load only when they are exactly what was registered, and never run code."""

import hashlib
import json
import pickle

import numpy as np
import pytest

from governance.ml.artifact import ArtifactError, ArtifactIntegrityError, read_artifact, write_artifact
from governance.ml.scorer import Scorer
from governance.selectors import artifact_location, model_version_scorer


def test_artifact_is_json_with_lightgbm_text_not_a_pickle(draft_version):
    content = artifact_location(draft_version).read_bytes()
    document = json.loads(content)
    assert document["format"] == "loanportal.lightgbm-json"
    assert document["lightgbm_model"].startswith("tree\n")
    assert hashlib.sha256(content).hexdigest() == draft_version.artifact_sha256
    assert len(content) == draft_version.artifact_size


def test_one_changed_byte_is_refused_with_a_clear_error(draft_version):
    path = artifact_location(draft_version)
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0x01
    path.write_bytes(bytes(content))
    with pytest.raises(ArtifactIntegrityError, match="failed its integrity check.*refusing to load"):
        model_version_scorer(version=draft_version)


def test_a_pickle_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "model.json"
    path.write_bytes(pickle.dumps(Exploit()))
    with pytest.raises(ArtifactError, match="not a JSON model document"):
        read_artifact(path, hashlib.sha256(path.read_bytes()).hexdigest())
    assert not marker.exists()


def test_json_in_another_format_is_refused(tmp_path):
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(ArtifactError, match="not in the loanportal.lightgbm-json format"):
        read_artifact(path, hashlib.sha256(path.read_bytes()).hexdigest())


def test_round_trip_scores_like_the_trained_model(training_result, demo_dataset, tmp_path):
    relative, sha256, _ = write_artifact(tmp_path, "loan-default", training_result.document)
    loaded = Scorer(read_artifact(tmp_path / relative, sha256))
    original = Scorer(training_result.document)
    frame = demo_dataset.frame.head(500)
    np.testing.assert_array_equal(loaded.score_frame(frame), original.score_frame(frame))
