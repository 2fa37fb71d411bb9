"""Every URL under /api/ answers errors as JSON `{detail, errors}`, with DEBUG on or off;
the admin and other pages keep HTML; `/` is the front page the admin's "View site" leads to."""

import pytest
from django.test import Client


def json_error(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail", "errors"} and body["detail"] and body["errors"] == {}
    return body


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings) -> bool:
    settings.DEBUG = request.param
    return request.param


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/no-such-endpoint/",
        "/api/nothing",
        "/api/v1/predictions/not-a-uuid/",
        "/api/v1/versions/abc/",
        "/api/v1/incidents/1x/resolve/",
    ],
)
def test_an_unknown_api_url_or_malformed_id_is_a_json_404(client: Client, debug: bool, url: str) -> None:
    body = json_error(client.get(url), 404)
    assert body["detail"].startswith("Not found")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "method, url",
    [
        ("delete", "/api/v1/predictions/"),
        ("put", "/api/v1/outcomes/"),
        ("post", "/api/schema/"),
        ("post", "/api/docs/"),
    ],
)
def test_a_method_not_allowed_is_a_json_405_naming_it(client: Client, debug: bool, method: str, url: str) -> None:
    response = getattr(client, method)(url)
    if response.status_code in (401, 403):  # an authenticated view refuses first, also as JSON
        json_error(response, response.status_code)
        return
    body = json_error(response, 405)
    assert method.upper() in body["detail"]
    assert method.upper() not in response["Allow"]


@pytest.mark.django_db
def test_an_authenticated_client_gets_a_json_405(api, debug: bool) -> None:
    response = api.delete("/api/v1/predictions/")
    body = json_error(response, 405)
    assert body["detail"] == 'Method "DELETE" not allowed.'


@pytest.mark.django_db
def test_the_request_id_header_survives_the_reshaping(client: Client, debug: bool) -> None:
    response = client.get("/api/v1/nowhere/", HTTP_X_REQUEST_ID="req-42")
    json_error(response, 404)
    assert response["X-Request-ID"] == "req-42"


@pytest.mark.django_db
def test_pages_outside_the_api_keep_html_errors(client: Client, debug: bool) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_the_front_page_links_the_admin_the_api_docs_health_and_readiness(client: Client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    for href in ('href="/admin/"', 'href="/api/docs/"', 'href="/health/"', 'href="/ready/"'):
        assert href in page


@pytest.mark.django_db
def test_the_admins_view_site_link_leads_to_the_front_page(admin_client: Client) -> None:
    page = admin_client.get("/admin/").content.decode()
    assert '<a href="/">View site</a>' in page
    assert admin_client.get("/").status_code == 200
