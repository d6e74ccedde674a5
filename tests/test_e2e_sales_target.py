"""Competitors and sales targets created, read and refused over JSON-RPC."""

import uuid

import pytest

ALL = {"active_test": False}
# The users of the test database speak Chinese: English texts are asked for in English.
EN = {"lang": "en_US"}
ZH = {"lang": "zh_CN"}
NEGATIVE_EN = "cannot be negative"
NEGATIVE_ZH = "销售目标不能为负数"


@pytest.fixture
def cleanup(admin):
    """Records to delete as admin after the test: append ``(model, domain)``."""
    leftovers = []
    yield leftovers
    for model, domain in reversed(leftovers):
        record_ids = admin.call(model, "search", domain, context=ALL)
        if record_ids:
            admin.call(model, "unlink", record_ids)


def _unique(prefix):
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def _target_count(client):
    return client.call("crm.sales.target", "search_count", [], context=ALL)


def _target_vals(client, **vals):
    return {
        "target_type": "user",
        "user_id": client.uid,
        "period_type": "quarter",
        "date_start": "2031-04-01",
        "target_amount": 12345.0,
        **vals,
    }


def test_create_and_read_competitor(admin, cleanup):
    name = _unique("E2E Competitor")
    cleanup.append(("crm.competitor", [("name", "=", name)]))
    competitor_id = admin.call("crm.competitor", "create", {
        "name": name,
        "website": "https://e2e.example.com",
        "price_position": "higher",
        "strengths": "Brand",
        "weaknesses": "Price",
    })
    assert isinstance(competitor_id, int)
    [competitor] = admin.call(
        "crm.competitor", "read", [competitor_id],
        ["name", "website", "price_position", "active", "company_id", "lead_count",
         "won_count", "lost_count"],
    )
    assert competitor["name"] == name
    assert competitor["website"] == "https://e2e.example.com"
    assert competitor["price_position"] == "higher"
    assert competitor["active"] is True
    [user] = admin.call("res.users", "read", [admin.uid], ["company_id"])
    assert competitor["company_id"] == user["company_id"]
    assert (competitor["lead_count"], competitor["won_count"], competitor["lost_count"]) \
        == (0, 0, 0)
    assert admin.call("crm.competitor", "search", [("name", "=", name)]) == [competitor_id]
    # the name is unique per company; the SQL constraint's message comes in the
    # user's language whatever the context of the call (Odoo translates it after it)
    error = admin.call_error("crm.competitor", "create", {"name": name}, context=EN)
    assert error["name"] == "odoo.exceptions.ValidationError", error
    assert any(text in error["message"] for text in ("already exists", "已有同名")), error
    assert admin.call("crm.competitor", "search_count", [("name", "=", name)]) == 1


def test_create_and_read_sales_target(admin, cleanup):
    before = _target_count(admin)
    target_id = admin.call("crm.sales.target", "create", _target_vals(admin))
    cleanup.append(("crm.sales.target", [("id", "=", target_id)]))
    [target] = admin.call(
        "crm.sales.target", "read", [target_id],
        ["name", "target_type", "user_id", "period_type", "date_start", "date_end",
         "target_amount", "achieved_amount", "attainment"],
    )
    assert target["user_id"][0] == admin.uid
    assert target["period_type"] == "quarter"
    assert (target["date_start"], target["date_end"]) == ("2031-04-01", "2031-06-30")
    assert target["target_amount"] == 12345.0
    assert target["achieved_amount"] == 0.0
    assert target["attainment"] == 0.0
    assert "2031-04-01" in target["name"] and "2031-06-30" in target["name"]
    assert _target_count(admin) == before + 1


def test_negative_target_is_refused(admin, cleanup):
    name = _unique("E2E negative target")
    cleanup.append(("crm.sales.target", [("name", "=", name)]))
    before = _target_count(admin)
    error = admin.call_error(
        "crm.sales.target", "create", _target_vals(admin, name=name, target_amount=-100.0),
        context=EN,
    )
    assert error["name"] == "odoo.exceptions.ValidationError", error
    assert NEGATIVE_EN in error["message"], error["message"]
    assert _target_count(admin) == before

    # nor can an existing target become negative
    target_id = admin.call("crm.sales.target", "create", _target_vals(admin))
    cleanup.append(("crm.sales.target", [("id", "=", target_id)]))
    error = admin.call_error(
        "crm.sales.target", "write", [target_id], {"target_amount": -1.0}, context=EN
    )
    assert error["name"] == "odoo.exceptions.ValidationError", error
    assert NEGATIVE_EN in error["message"], error["message"]
    [target] = admin.call("crm.sales.target", "read", [target_id], ["target_amount"])
    assert target["target_amount"] == 12345.0


def test_negative_target_is_refused_in_chinese(admin, cleanup):
    assert admin.call("res.lang", "search_count", [("code", "=", "zh_CN")]) == 1, (
        "the language zh_CN is not loaded in the database"
    )
    name = _unique("E2E negative target")
    cleanup.append(("crm.sales.target", [("name", "=", name)]))
    before = _target_count(admin)
    error = admin.call_error(
        "crm.sales.target", "create", _target_vals(admin, name=name, target_amount=-100.0),
        context=ZH,
    )
    assert error["name"] == "odoo.exceptions.ValidationError", error
    assert NEGATIVE_ZH in error["message"], error["message"]
    assert _target_count(admin) == before
