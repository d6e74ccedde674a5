import random
from datetime import timedelta

from odoo import Command, fields
from odoo.tools import SQL

# What the demo leads are about, in both languages of the demo (lead names are not
# translated: a Chinese and an English reader each find theirs).
DEMO_SUBJECTS = (
    ("年度服务合同", "annual service contract"),
    ("系统升级", "system upgrade"),
    ("新门店上线", "new branch roll-out"),
    ("培训与实施", "training and implementation"),
    ("续约与扩容", "renewal and extension"),
    ("售后维护", "after-sales maintenance"),
)
# Chances of reaching each stage from the one before, when there was time to.
DEMO_QUALIFY, DEMO_QUOTE, DEMO_ORDER = 0.68, 0.56, 0.7
# Chances that a lead or opportunity that went no further was given up, once stale.
DEMO_GIVE_UP = 0.75
# The pipeline stage of a lead by how far it went (an ordered one is then won).
DEMO_STAGES = {"lead": 1, "opportunity": 2, "quoted": 3, "ordered": 3}
# The demo customers with two years of orders, whose profile follows from their place
# in the list (loyal, regular, loyal, new, declining, lost): crm_core's key customer
# comes first, a loyal one
ORDER_CUSTOMERS = (
    "crm_core.res_partner_demo_huachen",
    *(f"crm_analytics.res_partner_value_demo_{index:02d}" for index in range(2, 21)),
    "base.res_partner_1", "base.res_partner_2", "base.res_partner_3", "base.res_partner_4",
    "base.res_partner_10", "base.res_partner_12", "base.res_partner_18",
    "crm_analytics.res_partner_value_demo_01", "crm_core.res_partner_demo_ruifeng",
)
# The customers of the funnel's leads: loyal and regular ones above (whose profiles an
# order more does not change) and a prospect (whom they may turn into a customer)
FUNNEL_CUSTOMERS = (
    *(f"crm_analytics.res_partner_value_demo_{index:02d}"
      for index in (2, 3, 7, 8, 9, 13, 14, 15, 19, 20)),
    "base.res_partner_1", "base.res_partner_10", "base.res_partner_12",
    "base.res_partner_18", "base.res_partner_5",
)
FUNNEL_SALESPEOPLE = {"base.user_admin": "sales_team.team_sales_department",
                      "base.user_demo": "sales_team.crm_team_1"}
FUNNEL_CAMPAIGNS = ("crm_marketing.utm_campaign_demo_spring_tea",
                    "crm_marketing.utm_campaign_demo_singles_day")
FUNNEL_SOURCES = {"utm.utm_source_search_engine": "utm.utm_medium_website",
                  "utm.utm_source_linkedin": "utm.utm_medium_linkedin",
                  "utm.utm_source_facebook": "utm.utm_medium_facebook",
                  "utm.utm_source_newsletter": "utm.utm_medium_email"}


def load(env):
    """The demo's order history, after the demo records of the addon: two years of
    confirmed orders for the demo customers (loyal, regular, new, declining and lost
    ones); a year of the sales funnel (leads by the demo salespeople in their teams,
    some from the campaigns, qualified, quoted, ordered or lost on the way), before the
    customer value, which counts the confirmed orders; then a first computation of the
    customer value."""
    product = env.ref("crm_analytics.product_value_demo")
    create_orders(env, ORDER_CUSTOMERS, product.id)
    create_funnel(env, FUNNEL_SALESPEOPLE, FUNNEL_CUSTOMERS, product.id, FUNNEL_CAMPAIGNS,
                  FUNNEL_SOURCES)
    env["crm.analytics.engine"].run()


def create_orders(env, xmlids, product_id):
    """Demo data: two years of confirmed orders for the given customers, with
    profiles that make every score show (loyal, regular, new, declining, lost).
    Deterministic: the same orders on every install, dated from today."""
    rng = random.Random(20250101)
    today = fields.Datetime.now().replace(hour=10, minute=0, second=0, microsecond=0)
    specs = []
    partners = [env.ref(xmlid, raise_if_not_found=False) for xmlid in xmlids]
    for index, partner in enumerate(filter(None, partners)):
        profile = ("loyal", "regular", "loyal", "new", "declining", "lost")[index % 6]
        if profile == "loyal":
            days, gap, amount = 700 - rng.randint(0, 60), (25, 60), (2000, 8000)
            last = rng.randint(0, 20)
        elif profile == "regular":
            days, gap, amount = 650 - rng.randint(0, 100), (70, 120), (500, 3000)
            last = rng.randint(0, 60)
        elif profile == "new":
            days, gap, amount = rng.randint(20, 70), (15, 30), (300, 1500)
            last = rng.randint(0, 10)
        elif profile == "declining":
            days, gap, amount = 720 - rng.randint(0, 30), (40, 80), (1500, 5000)
            last = rng.randint(150, 300)
        else:
            days, gap, amount = 730 - rng.randint(0, 30), (60, 150), (200, 1200)
            last = rng.randint(400, 500)
        # each customer spends around a level of its own (what the Gamma-Gamma
        # model of the spend per purchase expects)
        level = rng.uniform(*amount)
        while days >= last:
            specs.append((partner, round(level * rng.uniform(0.75, 1.25)),
                          today - timedelta(days=days)))
            days -= rng.randint(*gap)
    orders = env["sale.order"].create([{
        "partner_id": partner.id,
        "user_id": partner.user_id.id or env.uid,
        "order_line": [Command.create({
            "product_id": product_id, "product_uom_qty": 1, "price_unit": amount,
            "tax_id": [Command.clear()],
        })],
    } for partner, amount, _date in specs])
    orders.action_confirm()
    # confirming dates an order now; the customers are customers since the first
    set_values(env, orders, {"date_order": [date for _p, _a, date in specs]})
    env["res.partner"].sudo()._crm_set_customer_since_from_orders(
        orders.partner_id.ids)
    return orders.ids


def create_funnel(env, salespeople, partner_xmlids, product_id, campaign_xmlids,
                  sources, count=44, campaign_count=8):
    """Demo data: a year of the sales funnel, lead → opportunity → quotation →
    order. ``count`` leads spread over the last twelve months and ``campaign_count``
    more in the window of each campaign already started, for the customers
    ``partner_xmlids``, by the salespeople ``{user xmlid: sales team xmlid}``, from
    the ``{utm source xmlid: utm medium xmlid}`` sources. Each lead is qualified,
    quoted (a sale order of ``product_id`` linked to the opportunity) and ordered
    (the order confirmed, the opportunity won) or given up (lost) on days after its
    creation and before today; recent ones are still open.

    Deterministic: the same funnel on every install, dated from today. The leads and
    orders get the XML ids ``crm_analytics.crm_lead_demo_funnel_NN`` and
    ``crm_analytics.sale_order_demo_funnel_NN``.

    :return: the ids of the leads
    """
    rng = random.Random(20250601)
    now = fields.Datetime.now().replace(microsecond=0)
    midnight = now.replace(hour=0, minute=0, second=0)
    ref = env.ref
    sellers = [(ref(user), ref(team)) for user, team in salespeople.items()]
    partners = [ref(xmlid, raise_if_not_found=False) for xmlid in partner_xmlids]
    partners = [partner for partner in partners if partner]
    product = env["product.product"].browse(product_id)
    sources = [(ref(source), ref(medium)) for source, medium in sources.items()]
    reasons = [ref(f"crm.lost_reason_{number}") for number in (1, 2, 1, 3)]

    # the days of creation: a steady flow, and a burst during each campaign
    days = [(365 - index * 8 - rng.randint(0, 6), False) for index in range(count)]
    for campaign in filter(None, (ref(xmlid, raise_if_not_found=False)
                                  for xmlid in campaign_xmlids)):
        if not campaign.date_start or campaign.date_start >= midnight.date():
            continue
        start = (midnight.date() - campaign.date_start).days
        end = max((midnight.date() - min(campaign.date_end or midnight.date(),
                                         midnight.date())).days, 1)
        days += [(rng.randint(end, start), campaign) for _index in range(campaign_count)]
    days.sort(key=lambda day: -day[0])
    # each customer in turn, in an order of chance
    rng.shuffle(partners)

    specs = []
    for index, (day, campaign) in enumerate(days):
        created = office_hours(rng, midnight - timedelta(days=day))
        partner = partners[index % len(partners)]
        own = [seller for seller in sellers if seller[0] == partner.user_id]
        user, team = own[0] if own else rng.choice(sellers)
        source, medium = rng.choice(sources)
        quantity = rng.randint(2, 8)
        subject_zh, subject_en = rng.choice(DEMO_SUBJECTS)
        spec = {
            "created": created, "opened": created + timedelta(minutes=rng.randint(10, 240)),
            "partner": partner, "user": user, "team": team, "quantity": quantity,
            "values": {
                "name": f"{partner.name}: {subject_zh} / {subject_en}",
                "partner_id": partner.id, "user_id": user.id, "team_id": team.id,
                "campaign_id": campaign.id if campaign else False,
                "source_id": source.id, "medium_id": medium.id,
                "expected_revenue": round(
                    quantity * product.lst_price * rng.uniform(0.9, 1.3), -2),
            },
        }
        funnel_outcome(rng, spec, now)
        spec["values"].update({
            "type": "lead" if spec["reached"] == "lead" else "opportunity",
            "stage_id": ref(f"crm.stage_lead{DEMO_STAGES[spec['reached']]}").id,
        })
        if spec["reached"] != "lead":
            deadline = spec.get("closed") or max(
                spec["converted"] + timedelta(days=rng.randint(30, 60)),
                now + timedelta(days=rng.randint(7, 45)))
            spec["values"]["date_deadline"] = deadline.date()
        spec["reason"] = rng.choice(reasons)
        specs.append(spec)

    quiet = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True,
                             mail_notrack=True, mail_auto_subscribe_no_notify=True))
    leads = quiet["crm.lead"].create([spec["values"] for spec in specs])
    for lead, spec in zip(leads, specs, strict=True):
        spec["lead"] = lead
    orders = funnel_orders(env, quiet, specs, product)

    won = leads.browse([spec["lead"].id for spec in specs if spec["reached"] == "ordered"])
    won.action_set_won()
    for reason in set(reasons):
        leads.browse([spec["lead"].id for spec in specs
                      if spec.get("lost") and spec["reason"] == reason]
                     ).action_set_lost(lost_reason_id=reason.id)
    set_values(env, leads, {
        "create_date": [spec["created"] for spec in specs],
        "date_open": [spec["opened"] for spec in specs],
        "date_conversion": [spec.get("converted") for spec in specs],
        "date_closed": [spec.get("closed") for spec in specs],
        "date_last_stage_update": [
            spec.get("closed") or spec.get("quoted") or spec.get("converted")
            or spec["created"] for spec in specs],
    })

    Data = env["ir.model.data"]
    Data._update_xmlids([{
        "xml_id": f"crm_analytics.crm_lead_demo_funnel_{index:02d}",
        "record": spec["lead"], "noupdate": True,
    } for index, spec in enumerate(specs, start=1)])
    Data._update_xmlids([{
        "xml_id": f"crm_analytics.sale_order_demo_funnel_{index:02d}",
        "record": spec["order"], "noupdate": True,
    } for index, spec in enumerate(specs, start=1) if spec.get("order")])
    env["res.partner"].sudo()._crm_set_customer_since_from_orders(
        orders.partner_id.ids)
    return leads.ids


def funnel_outcome(rng, spec, now):
    """How far the lead of ``spec`` went, and on which days: ``reached`` (lead,
    opportunity, quoted, ordered), ``converted``, ``quoted``, ``ordered`` and
    ``closed`` (won or lost) when it got there, ``lost`` when given up. A step that
    would fall after ``now`` did not happen yet."""
    spec["reached"] = "lead"
    last = spec["opened"]
    steps = (("converted", "opportunity", DEMO_QUALIFY, (1, 10)),
             ("quoted", "quoted", DEMO_QUOTE, (5, 25)),
             ("ordered", "ordered", DEMO_ORDER, (3, 20)))
    for key, stage, chance, (low, high) in steps:
        date = office_hours(rng, last + timedelta(days=rng.randint(low, high)))
        if rng.random() >= chance or date > now:
            break
        spec[key], spec["reached"], last = date, stage, date
    else:
        spec["closed"] = last
        return
    given_up = office_hours(rng, last + timedelta(days=rng.randint(10, 40)))
    if given_up <= now and rng.random() < DEMO_GIVE_UP:
        spec["lost"] = True
        spec["closed"] = given_up


def office_hours(rng, day):
    """A time during the office hours of ``day``."""
    return day.replace(hour=rng.randint(9, 17), minute=rng.randint(0, 59), second=0)


def funnel_orders(env, quiet, specs, product):
    """The quotations of the quoted leads of ``specs``, sent to the lead's customer
    and dated from the day it was quoted; those ordered confirmed and dated from the
    day they were (confirming dates an order now)."""
    quoted = [spec for spec in specs if spec.get("quoted")]
    orders = quiet["sale.order"].create([{
        "partner_id": spec["partner"].id,
        "opportunity_id": spec["lead"].id,
        "user_id": spec["user"].id,
        "team_id": spec["team"].id,
        "campaign_id": spec["values"]["campaign_id"],
        "source_id": spec["values"]["source_id"],
        "medium_id": spec["values"]["medium_id"],
        "validity_date": (spec["quoted"] + timedelta(days=30)).date(),
        "order_line": [Command.create({
            "product_id": product.id, "product_uom_qty": spec["quantity"],
            "price_unit": product.lst_price, "tax_id": [Command.clear()],
        })],
    } for spec in quoted])
    orders.action_quotation_sent()
    for order, spec in zip(orders, quoted, strict=True):
        spec["order"] = order
    ordered = [spec for spec in quoted if spec.get("ordered")]
    orders.browse([spec["order"].id for spec in ordered]).action_confirm()
    set_values(env, orders, {
        "create_date": [spec["quoted"] for spec in quoted],
        "date_order": [spec.get("ordered") or spec["quoted"] for spec in quoted],
    })
    return orders


def set_values(env, records, values):
    """Write ``values`` (``{field name: one value per record}``) on ``records`` in one
    statement, the fields the ORM keeps to itself (creation date) included; then
    let what depends on them recompute."""
    if not records:
        return
    env.flush_all()
    names = list(values)
    fields_ = [records._fields[name] for name in names]
    rows = SQL(", ").join(
        SQL("(%s, %s)", record.id, SQL(", ").join(
            SQL("%s::%s", values[name][index], SQL(field.column_type[1]))
            for name, field in zip(names, fields_, strict=True)))
        for index, record in enumerate(records))
    env.cr.execute(SQL(
        """UPDATE %(table)s t SET %(assignments)s
             FROM (VALUES %(rows)s) AS v(id, %(columns)s)
            WHERE t.id = v.id""",
        table=SQL.identifier(records._table),
        assignments=SQL(", ").join(
            SQL("%s = v.%s", SQL.identifier(name), SQL.identifier(name))
            for name in names),
        rows=rows,
        columns=SQL(", ").join(SQL.identifier(name) for name in names),
    ))
    records.invalidate_recordset(names)
    records.modified(names)
    env.flush_all()
