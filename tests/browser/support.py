"""Helpers of the real-browser tests."""

from typing import Any


def log_in(page: Any, username: str, password: str) -> None:
    """Log in to the admin with the login form, as a person does."""
    page.context.clear_cookies()
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")
