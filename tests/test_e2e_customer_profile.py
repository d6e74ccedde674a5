"""The customer profile of crm_core as a client reads and searches it over JSON-RPC."""

from datetime import date

PROFILE_FIELDS = [
    "name", "is_company", "customer_tier", "lifecycle_stage", "customer_since",
    "acquisition_source_id", "crm_sale_amount",
]
PERSON_FIELDS = ["name", "birthdate", "age", "gender", "income_band"]


def _age_on(birthdate, today):
    born = date.fromisoformat(birthdate)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def test_key_customer_profile(admin):
    partner_id = admin.xmlid_to_id("crm_core.res_partner_demo_huachen")
    source_id = admin.xmlid_to_id("utm.utm_source_search_engine")
    [partner] = admin.call("res.partner", "read", [partner_id], PROFILE_FIELDS)
    assert partner["name"] == "上海华辰贸易有限公司"
    assert partner["customer_tier"] == "key"
    assert partner["lifecycle_stage"] == "stability"
    assert partner["customer_since"]
    assert date.fromisoformat(partner["customer_since"]) < date.today()
    assert partner["acquisition_source_id"][0] == source_id
    assert isinstance(partner["crm_sale_amount"], int | float)
    # the list filters of the profile find it
    found = admin.call(
        "res.partner", "search",
        [("customer_tier", "=", "key"), ("lifecycle_stage", "=", "stability")],
    )
    assert partner_id in found


def test_contact_profile_and_age(admin):
    person_id = admin.xmlid_to_id("crm_core.res_partner_demo_huachen_li")
    [person] = admin.call("res.partner", "read", [person_id], PERSON_FIELDS)
    assert person["gender"] == "female"
    assert person["income_band"] == "upper_middle"
    assert person["birthdate"]
    assert person["age"] == _age_on(person["birthdate"], date.today())
    assert person["age"] >= 18


def test_search_partners_by_age(admin):
    adults = [
        admin.xmlid_to_id("crm_core.res_partner_demo_huachen_li"),
        admin.xmlid_to_id("crm_core.res_partner_demo_wang"),
    ]
    company_id = admin.xmlid_to_id("crm_core.res_partner_demo_huachen")  # no birthdate

    rows = admin.call(
        "res.partner", "search_read", [("age", ">=", 18)], ["age", "birthdate"]
    )
    found = {row["id"] for row in rows}
    assert set(adults) <= found
    assert company_id not in found
    assert all(row["birthdate"] and row["age"] >= 18 for row in rows), rows

    minors = admin.call("res.partner", "search", [("age", "<", 18)])
    assert not set(adults) & set(minors)

    [li] = admin.call("res.partner", "read", adults[:1], ["age"])
    assert adults[0] in admin.call("res.partner", "search", [("age", "=", li["age"])])
    assert adults[0] not in admin.call("res.partner", "search", [("age", "=", li["age"] + 1)])
    assert admin.call("res.partner", "search_count", [("age", ">=", 18)]) == len(rows)
