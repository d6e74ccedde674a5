import random
from datetime import timedelta

from odoo import Command, api, fields, models
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


class CrmAnalyticsEngine(models.AbstractModel):
    _inherit = "crm.analytics.engine"  # pylint: disable=consider-merging-classes-inherited

    @api.model
    def _demo_create_funnel(self, salespeople, partner_xmlids, product_id, campaign_xmlids,
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
        ref = self.env.ref
        sellers = [(ref(user), ref(team)) for user, team in salespeople.items()]
        partners = [ref(xmlid, raise_if_not_found=False) for xmlid in partner_xmlids]
        partners = [partner for partner in partners if partner]
        product = self.env["product.product"].browse(product_id)
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
            created = self._demo_office_hours(rng, midnight - timedelta(days=day))
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
            self._demo_funnel_outcome(rng, spec, now)
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

        quiet = self.with_context(tracking_disable=True, mail_create_nolog=True,
                                  mail_notrack=True, mail_auto_subscribe_no_notify=True)
        leads = quiet.env["crm.lead"].create([spec["values"] for spec in specs])
        for lead, spec in zip(leads, specs, strict=True):
            spec["lead"] = lead
        orders = self._demo_funnel_orders(quiet, specs, product)

        won = leads.browse([spec["lead"].id for spec in specs if spec["reached"] == "ordered"])
        won.action_set_won()
        for reason in set(reasons):
            leads.browse([spec["lead"].id for spec in specs
                          if spec.get("lost") and spec["reason"] == reason]
                         ).action_set_lost(lost_reason_id=reason.id)
        for spec in specs:
            last = spec.get("closed") or spec.get("quoted") or spec.get("converted")
            spec["lead"].write({
                "date_open": spec["opened"],
                "date_conversion": spec.get("converted", False),
                "date_closed": spec.get("closed", False),
                "date_last_stage_update": last or spec["created"],
            })
        self._demo_backdate("crm_lead", leads, [spec["created"] for spec in specs])

        Data = self.env["ir.model.data"]
        Data._update_xmlids([{
            "xml_id": f"crm_analytics.crm_lead_demo_funnel_{index:02d}",
            "record": spec["lead"], "noupdate": True,
        } for index, spec in enumerate(specs, start=1)])
        Data._update_xmlids([{
            "xml_id": f"crm_analytics.sale_order_demo_funnel_{index:02d}",
            "record": spec["order"], "noupdate": True,
        } for index, spec in enumerate(specs, start=1) if spec.get("order")])
        self.env["res.partner"].sudo()._crm_set_customer_since_from_orders(
            orders.partner_id.ids)
        return leads.ids

    @api.model
    def _demo_funnel_outcome(self, rng, spec, now):
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
            date = self._demo_office_hours(rng, last + timedelta(days=rng.randint(low, high)))
            if rng.random() >= chance or date > now:
                break
            spec[key], spec["reached"], last = date, stage, date
        else:
            spec["closed"] = last
            return
        given_up = self._demo_office_hours(rng, last + timedelta(days=rng.randint(10, 40)))
        if given_up <= now and rng.random() < DEMO_GIVE_UP:
            spec["lost"] = True
            spec["closed"] = given_up

    @api.model
    def _demo_office_hours(self, rng, day):
        """A time during the office hours of ``day``."""
        return day.replace(hour=rng.randint(9, 17), minute=rng.randint(0, 59), second=0)

    @api.model
    def _demo_funnel_orders(self, quiet, specs, product):
        """The quotations of the quoted leads of ``specs``, sent to the lead's customer
        and dated from the day it was quoted; those ordered confirmed and dated from the
        day they were (confirming dates an order now)."""
        quoted = [spec for spec in specs if spec.get("quoted")]
        orders = quiet.env["sale.order"].create([{
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
        for spec in quoted:
            spec["order"].date_order = spec.get("ordered") or spec["quoted"]
        self._demo_backdate("sale_order", orders, [spec["quoted"] for spec in quoted])
        return orders

    @api.model
    def _demo_backdate(self, table, records, dates):
        """Give ``records`` (rows of ``table``) the creation dates ``dates``: a field
        the ORM writes itself, set in one statement."""
        if not records:
            return
        self.env.flush_all()
        self.env.cr.execute(SQL(
            """UPDATE %(table)s t SET create_date = v.create_date
                 FROM (VALUES %(values)s) AS v(id, create_date)
                WHERE t.id = v.id""",
            table=SQL.identifier(table),
            values=SQL(", ").join(SQL("(%s, %s::timestamp)", record.id, date)
                                  for record, date in zip(records, dates, strict=True)),
        ))
        records.invalidate_recordset(["create_date"])
        records.modified(["create_date"])
        self.env.flush_all()
