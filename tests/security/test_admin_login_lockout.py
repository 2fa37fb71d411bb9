"""Admin login is rate-limited against password guessing."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def login(client: Client, password: str):
    return client.post("/admin/login/?next=/admin/", {"username": "vera", "password": password})


def test_repeated_wrong_passwords_lock_the_login_even_for_the_right_one(django_user_model, settings):
    django_user_model.objects.create_user("vera", password="the right password 42", is_staff=True)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "guess").status_code == 200  # the form again, with an error
    assert login(client, "guess").status_code == 429
    assert login(client, "the right password 42").status_code == 429


def test_a_success_before_the_limit_resets_the_count(django_user_model, settings):
    django_user_model.objects.create_user("vera", password="the right password 42", is_staff=True)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "guess")
    assert login(client, "the right password 42").status_code == 302
    client.logout()
    assert login(client, "guess").status_code == 200
