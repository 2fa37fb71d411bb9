"""The README's provisioning examples ("Provision people and systems with:") run as printed:
a validator who can sign in, an API client whose printed token scores, then rotated (the old
token stops working) and revoked."""

import re
import shlex
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from rest_framework.test import APIClient

from tests.predictions.support import PREDICT_URL
from tests.support import readme_block

pytestmark = pytest.mark.django_db


def readme_provisioning_commands() -> list[list[str]]:
    block = readme_block("sh", "Provision people and systems with:")
    lines = [line.split("  #")[0] for line in block.splitlines()]
    return [shlex.split(line)[2:] for line in lines if line.startswith("python manage.py ")]


def run(args: list[str]) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def answers(token: str) -> int:
    cache.clear()  # the token cache would hide a rotation for API_TOKEN_CACHE_SECONDS
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.post(PREDICT_URL, {}, format="json").status_code


def test_the_readme_provisioning_examples_run_as_printed(production_version):
    create_validator, create_client, rotate, revoke = readme_provisioning_commands()
    assert run(create_validator) == "vera has the role Model Validator.\n"
    password = create_validator[create_validator.index("--password") + 1]
    assert get_user_model().objects.get(username="vera").check_password(password)

    printed = run(create_client).splitlines()
    assert printed[0] == "los-prod has the role API Client."
    first = re.fullmatch(r"API token: (\w+)", printed[1]).group(1)
    assert answers(first) == 400  # authenticated: the empty application is refused as invalid

    second = re.fullmatch(r"New API token: (\w+)\n", run(rotate)).group(1)
    assert second != first and answers(first) == 401 and answers(second) == 400

    run(revoke)
    assert answers(second) == 401
