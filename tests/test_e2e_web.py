"""The pages a browser gets: the login form and the backend of the competitors."""

import json
from urllib.parse import parse_qs, urlparse

import lxml.etree
import lxml.html

BACKEND_PATH = "/odoo/action-crm_core.crm_competitor_action"


def _login_form(html):
    """The login form of a page, as an lxml element (fails if there is none)."""
    document = lxml.html.fromstring(html)
    forms = [
        form for form in document.iter("form")
        if urlparse(form.get("action") or "").path == "/web/login"
    ]
    assert forms, "the page has no form posting to /web/login"
    return forms[0]


def _web_client_scripts(document):
    """Sources of the scripts of the web client's assets bundle in a page."""
    return [
        src for src in document.xpath("//script/@src")
        if "/web.assets_web." in src or "/web.assets_web/" in src
    ]


def _session_info(html):
    """The ``odoo.__session_info__`` object a page hands to its JavaScript."""
    marker = "odoo.__session_info__ = "
    start = html.find(marker)
    assert start >= 0, "the page carries no session info"
    info, _end = json.JSONDecoder().raw_decode(html, start + len(marker))
    return info


def _browser_login(client, login, password):
    """Log in through the login form, as a person in a browser does."""
    page = client.http.get(client.url("/web/login"), timeout=60)
    assert page.status_code == 200
    form = _login_form(page.text)
    fields = dict(form.form_values())
    fields.update(login=login, password=password)
    response = client.http.post(
        client.url("/web/login"), data=fields, allow_redirects=False, timeout=60
    )
    assert response.status_code in (302, 303), (
        f"login as {login} did not redirect (HTTP {response.status_code})"
    )
    assert urlparse(response.headers["Location"]).path.startswith("/odoo"), (
        f"login as {login} redirected to {response.headers['Location']}"
    )
    assert client.http.cookies.get("session_id"), "no session cookie after login"


def test_login_page_is_served(new_client):
    client = new_client()
    response = client.http.get(client.url("/web/login"), timeout=60)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    form = _login_form(response.text)
    assert (form.get("method") or "").lower() == "post"
    names = {field.get("name") for field in form.iter("input")}
    assert {"login", "password", "csrf_token"} <= names, names
    csrf = form.xpath(".//input[@name='csrf_token']/@value")
    assert csrf and csrf[0], "the login form has no CSRF token"
    assert form.xpath(".//button[@type='submit']"), "the login form has no submit button"


def test_backend_page_redirects_to_login_when_logged_out(new_client):
    client = new_client()
    response = client.http.get(client.url(BACKEND_PATH), allow_redirects=False, timeout=60)
    assert response.status_code in (302, 303), response.status_code
    location = urlparse(response.headers["Location"])
    assert location.path == "/web/login", response.headers["Location"]
    assert parse_qs(location.query)["redirect"][0].startswith(BACKEND_PATH)
    # the browser follows the redirect to the login form
    page = client.http.get(client.url(BACKEND_PATH), timeout=60)
    assert page.status_code == 200
    _login_form(page.text)
    assert not _web_client_scripts(lxml.html.fromstring(page.text))
    assert _session_info(page.text).get("is_public") is True


def test_backend_page_serves_the_web_client_when_logged_in(new_client):
    client = new_client()
    _browser_login(client, "admin", "admin")
    response = client.http.get(client.url(BACKEND_PATH), allow_redirects=False, timeout=120)
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("text/html")
    html = response.text
    document = lxml.html.fromstring(html)
    assert "o_web_client" in (document.body.get("class") or ""), "not the web client"
    assert _web_client_scripts(document), "the web client's assets are not loaded"
    assert not document.xpath("//form[contains(@action, '/web/login')]")
    info = _session_info(html)
    assert info["is_internal_user"] is True
    assert info["uid"] == client.json_rpc("/web/session/get_session_info", {})["uid"]
    # what the web client then asks for to open that path: the competitors' action
    action = client.json_rpc(
        "/web/action/load", {"action_id": "crm_core.crm_competitor_action"}
    )
    assert action["type"] == "ir.actions.act_window"
    assert action["res_model"] == "crm.competitor"
    assert {view_type for _view_id, view_type in action["views"]} >= {"list", "form"}
    # then the views of the action and the first page of the list
    views = client.json_rpc("/web/dataset/call_kw/crm.competitor/get_views", {
        "model": "crm.competitor", "method": "get_views",
        "args": [],
        "kwargs": {
            "views": [*action["views"], [False, "search"]],
            "options": {"action_id": action["id"], "load_filters": True, "toolbar": True},
        },
    })["views"]
    list_arch = lxml.etree.fromstring(views["list"]["arch"])
    columns = [field.get("name") for field in list_arch.iter("field")]
    assert {"name", "price_position", "lead_count", "won_count", "lost_count"} <= set(columns)
    assert views["form"]["arch"] and views["search"]["arch"]
    page = client.json_rpc("/web/dataset/call_kw/crm.competitor/web_search_read", {
        "model": "crm.competitor", "method": "web_search_read",
        "args": [],
        "kwargs": {
            "domain": [],
            "specification": {name: {} for name in columns},
            "limit": 80,
        },
    })
    names = {record["name"] for record in page["records"]}
    assert "Northwind CRM" in names, names  # a demo competitor
