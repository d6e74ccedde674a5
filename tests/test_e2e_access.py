"""A plain salesperson (Marc Demo) sees only own sales targets, in the web client and
through the external API alike."""

import pytest

ACCESS_ERROR = "odoo.exceptions.AccessError"
TARGET_FIELDS = ["name", "user_id", "target_type", "target_amount", "achieved_amount"]


@pytest.fixture(scope="module")
def targets(admin):
    """Ids of the demo targets of admin and of Marc Demo, looked up as admin."""
    return {
        "admin": admin.xmlid_to_id("crm_core.crm_sales_target_demo_admin"),
        "demo": admin.xmlid_to_id("crm_core.crm_sales_target_demo_demo_user"),
    }


def _external_login(client, login, password):
    """An external client's login: ``/jsonrpc``, service ``common``; returns the uid."""
    uid = client.json_rpc("/jsonrpc", {
        "service": "common", "method": "login", "args": [client.db, login, password],
    })
    assert uid, f"{login} could not log in through /jsonrpc"
    return uid


def _execute_kw(db, uid, password, model, method, *args, **kwargs):
    """``/jsonrpc`` params of an external call: service ``object``, ``execute_kw``."""
    return {
        "service": "object", "method": "execute_kw",
        "args": [db, uid, password, model, method, list(args), kwargs],
    }


def test_admin_sees_both_targets(admin, targets):
    found = admin.call("crm.sales.target", "search", [("id", "in", list(targets.values()))])
    assert set(found) == set(targets.values())


def test_salesperson_reads_own_target(demo, targets):
    [target] = demo.call("crm.sales.target", "read", [targets["demo"]], TARGET_FIELDS)
    assert target["user_id"][0] == demo.uid
    assert target["target_type"] == "user"
    assert target["target_amount"] == 25000.0


def test_salesperson_cannot_read_admin_target(demo, targets):
    error = demo.call_error("crm.sales.target", "read", [targets["admin"]], TARGET_FIELDS)
    assert error["name"] == ACCESS_ERROR, error


def test_salesperson_does_not_find_admin_target(demo, targets):
    found = demo.call("crm.sales.target", "search", [])
    assert targets["demo"] in found
    assert targets["admin"] not in found
    assert demo.call("crm.sales.target", "search", [("id", "=", targets["admin"])]) == []
    rows = demo.call("crm.sales.target", "search_read", [], ["user_id", "target_type"])
    for row in rows:
        assert row["target_type"] == "team" or (row["user_id"] and row["user_id"][0] == demo.uid), (
            f"Marc Demo sees someone else's target: {row}"
        )


def test_salesperson_cannot_create_target(admin, demo):
    before = admin.call("crm.sales.target", "search_count", [], context={"active_test": False})
    try:
        error = demo.call_error("crm.sales.target", "create", {
            "target_type": "user", "user_id": demo.uid, "period_type": "month",
            "date_start": "2031-01-01", "target_amount": 1.0,
        })
    finally:
        stray = admin.call(
            "crm.sales.target", "search",
            [("user_id", "=", demo.uid), ("date_start", "=", "2031-01-01")],
            context={"active_test": False},
        )
        if stray:
            admin.call("crm.sales.target", "unlink", stray)
    assert error["name"] == ACCESS_ERROR, error
    assert admin.call(
        "crm.sales.target", "search_count", [], context={"active_test": False}
    ) == before


def test_external_api_applies_the_same_rules(new_client, targets):
    client = new_client()
    uid = _external_login(client, "demo", "demo")

    def params(method, *args, **kwargs):
        return _execute_kw(client.db, uid, "demo", "crm.sales.target", method, *args, **kwargs)

    [own] = client.json_rpc("/jsonrpc", params("read", [targets["demo"]], ["user_id"]))
    assert own["user_id"][0] == uid
    error = client.json_rpc_error("/jsonrpc", params("read", [targets["admin"]], ["user_id"]))
    assert error["name"] == ACCESS_ERROR, error
    found = client.json_rpc("/jsonrpc", params("search", []))
    assert targets["demo"] in found
    assert targets["admin"] not in found
