"""The prediction API's fixtures (a production version, an API client, applications the
model scores), shared with the security tests that attack that API."""

from tests.predictions.conftest import api, application, scored_frame  # noqa: F401
