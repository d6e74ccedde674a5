import math

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

DEFAULT_PERIOD_DAYS = 365
MAX_PERIOD_DAYS = 36500  # a hundred years: far enough back, and no date overflows
OPERATORS = {
    "=": SQL("="), "!=": SQL("<>"), "<": SQL("<"), "<=": SQL("<="), ">": SQL(">"),
    ">=": SQL(">="),
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    # Behavioural variables of segments: not stored, searched by one SQL subquery
    # over the confirmed orders (rolled up to the commercial partner), so that a
    # segment is always current without a snapshot to maintain.
    crm_days_since_last_order = fields.Integer(
        string="Days Since Last Order",
        compute="_compute_crm_order_behaviour",
        search="_search_crm_days_since_last_order",
        help="Days since the last confirmed sale order of the customer (empty: never ordered).",
        groups="sales_team.group_sale_salesman,mass_mailing.group_mass_mailing_user",
    )
    crm_order_count = fields.Integer(
        string="Orders in Period",
        compute="_compute_crm_order_behaviour",
        search="_search_crm_order_count",
        help="Confirmed sale orders of the customer over the period of the segment "
        "(365 days by default).",
        groups="sales_team.group_sale_salesman,mass_mailing.group_mass_mailing_user",
    )
    crm_spend = fields.Float(
        string="Spend in Period",
        compute="_compute_crm_order_behaviour",
        search="_search_crm_spend",
        help="Untaxed amount of the confirmed sale orders of the customer over the period "
        "of the segment (365 days by default), in company currency.",
        groups="sales_team.group_sale_salesman,mass_mailing.group_mass_mailing_user",
    )
    loyalty_tier_id = fields.Many2one(
        "crm.loyalty.tier",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="Current tier in the loyalty program, recomputed every day.",
    )
    crm_loyalty_points = fields.Float(
        string="Loyalty Points", compute="_compute_crm_loyalty_points",
        groups="sales_team.group_sale_salesman",
    )
    crm_campaign_count = fields.Integer(
        string="Campaigns", compute="_compute_crm_campaign_count",
        groups="sales_team.group_sale_salesman",
    )

    @api.model
    def _crm_server_fields(self):
        # computed by the daily job from points or spend, never set by hand
        return (*super()._crm_server_fields(), "loyalty_tier_id")

    # Behaviour ---------------------------------------------------------------

    def _crm_period_days(self):
        """The number of days over which orders and spend are counted: the context key
        ``crm_period_days`` (set by segments, or by any RPC client), else a year.

        :raise ValidationError: when it is not a whole number of days between 1 and
            ``MAX_PERIOD_DAYS``
        """
        days = self.env.context.get("crm_period_days")
        if days is None or days is False or days == "":
            return DEFAULT_PERIOD_DAYS
        if isinstance(days, str) and days.strip().isdigit() and len(days.strip()) < 10:
            days = int(days.strip())
        if isinstance(days, bool) or not isinstance(days, int) \
                or not 1 <= days <= MAX_PERIOD_DAYS:
            raise ValidationError(
                self.env._(
                    "The behaviour period must be a whole number of days between 1 and "
                    "%(max)s, not %(days)s.",
                    max=MAX_PERIOD_DAYS,
                    days=repr(days)[:50],
                )
            )
        return days

    def _crm_order_stats_sql(self):
        """Per commercial partner: days since the last order, orders and spend in the
        period. Days are those of each order's company, in its time zone: the day of
        the order and that company's today."""
        self.env["sale.order"].flush_model(
            ["state", "date_order", "partner_id", "company_id", "amount_untaxed",
             "currency_rate"]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        Company = self.env["res.company"]
        return SQL(
            """
            SELECT cp.commercial_partner_id AS partner_id,
                   MIN(o.today - o.day) AS days_since,
                   COUNT(*) FILTER (WHERE o.day >= o.today - %(days)s) AS orders,
                   COALESCE(SUM(o.amount)
                            FILTER (WHERE o.day >= o.today - %(days)s), 0) AS spend
              FROM (SELECT so.partner_id, %(order_amount)s AS amount,
                           %(day)s AS day, %(today)s AS today
                      FROM sale_order so
                     WHERE so.state = 'sale' AND so.company_id IN %(companies)s) o
              JOIN res_partner cp ON cp.id = o.partner_id
             GROUP BY cp.commercial_partner_id
            """,
            order_amount=self.env["sale.order"]._crm_amount_company_sql("so"),
            day=Company._crm_local_date_sql_by_company(SQL("so.date_order"),
                                                       SQL("so.company_id")),
            today=Company._crm_local_date_sql_by_company(
                SQL("%s::timestamp", fields.Datetime.now()), SQL("so.company_id")),
            days=self._crm_period_days(),
            companies=tuple(self.env.companies.ids),
        )

    def _compute_crm_order_behaviour(self):
        stats = {}
        ids = [pid for pid in self.ids if isinstance(pid, int)]
        if ids:
            self.env.cr.execute(SQL(
                """
                SELECT p.id, s.days_since, s.orders, s.spend
                  FROM res_partner p
                  JOIN (%s) s ON s.partner_id = p.commercial_partner_id
                 WHERE p.id IN %s
                """,
                self._crm_order_stats_sql(),
                tuple(ids),
            ))
            stats = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        for partner in self:
            days, orders, spend = stats.get(partner.id, (False, 0, 0.0))
            partner.crm_days_since_last_order = days
            partner.crm_order_count = orders
            partner.crm_spend = spend

    def _crm_search_behaviour(self, column, operator, value, empty):
        """Domain on a behavioural variable: ``id IN (one SQL subquery)``.

        :param empty: value of the variable for customers without orders (None:
                      they match no comparison, only ``= False``)
        """
        if operator in ("=", "!=") and value is False:
            # set / not set: "has ordered" or "has never ordered"
            matching = SQL(
                "(SELECT p.id FROM res_partner p JOIN (%s) s "
                "ON s.partner_id = p.commercial_partner_id)",
                self._crm_order_stats_sql(),
            )
            return [("id", "not in" if operator == "=" else "in", matching)]
        if operator not in OPERATORS or isinstance(value, bool) \
                or not isinstance(value, int | float) \
                or (isinstance(value, float) and not math.isfinite(value)):
            raise ValidationError(
                self.env._("Order behaviour can only be compared with a finite number.")
            )
        column_sql = SQL("s.%s", SQL.identifier(column))
        if empty is not None:
            column_sql = SQL("COALESCE(%s, %s)", column_sql, empty)
        matching = SQL(
            """
            (SELECT p.id FROM res_partner p
               LEFT JOIN (%s) s ON s.partner_id = p.commercial_partner_id
              WHERE %s %s %s)
            """,
            self._crm_order_stats_sql(),
            column_sql,
            OPERATORS[operator],
            value,
        )
        return [("id", "in", matching)]

    def _search_crm_days_since_last_order(self, operator, value):
        return self._crm_search_behaviour("days_since", operator, value, None)

    def _search_crm_order_count(self, operator, value):
        return self._crm_search_behaviour("orders", operator, value, 0)

    def _search_crm_spend(self, operator, value):
        return self._crm_search_behaviour("spend", operator, value, 0)

    # Loyalty and 360° ------------------------------------------------------

    def _compute_crm_loyalty_points(self):
        points = self._crm_360_read_group(
            "loyalty.card", [("program_id.program_type", "=", "loyalty")], ["points:sum"]
        )
        for partner in self:
            partner.crm_loyalty_points = points.get(partner.id, [0.0])[0]

    def _crm_campaigns_by_partner(self):
        """Campaigns that reached each partner (its leads and orders, contacts rolled
        up to their company): two grouped reads whatever the number of partners."""
        partner_ids = {pid for pid in self.ids if isinstance(pid, int)}
        result = {pid: set() for pid in partner_ids}
        if not partner_ids:
            return result
        family = self.with_context(active_test=False).search_fetch(
            [("id", "child_of", list(partner_ids))], ["parent_id"]
        )
        for model in ("crm.lead", "sale.order"):
            records = self.env[model].with_context(active_test=False)
            for partner, campaign in records._read_group(
                [("partner_id", "in", family.ids), ("campaign_id", "!=", False)],
                ["partner_id", "campaign_id"],
            ):
                while partner:
                    if partner.id in result:
                        result[partner.id].add(campaign.id)
                    partner = partner.parent_id
        return result

    def _compute_crm_campaign_count(self):
        campaigns = self._crm_campaigns_by_partner()
        for partner in self:
            partner.crm_campaign_count = len(campaigns.get(partner.id, ()))

    @api.readonly
    def action_view_crm_campaigns(self):
        self.ensure_one()
        campaign_ids = self._crm_campaigns_by_partner().get(self.id, set())
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_marketing.utm_campaign_action_marketing"
        )
        action["domain"] = [("id", "in", list(campaign_ids))]
        action["context"] = {"create": False}
        return action

    @api.readonly
    def action_view_crm_loyalty_cards(self):
        """The loyalty cards of the customer and its contacts, titled after their
        program when there is one (the host's action is titled "Coupons")."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("loyalty.loyalty_card_action")
        domain = [
            ("partner_id", "child_of", self.commercial_partner_id.id),
            ("program_id.program_type", "=", "loyalty"),
        ]
        programs = self.env["loyalty.card"].search(domain).program_id
        action.update({
            "name": programs.name if len(programs) == 1 else self.env._("Loyalty Cards"),
            "domain": domain,
            "context": {"create": False, "program_type": "loyalty"},
            "help": Markup("<p class='o_view_nocontent_empty_folder'>%s</p>") % self.env._(
                "No loyalty card for this customer yet."),
        })
        return action

    @api.model
    def _crm_post_tier_changes(self, changes):
        """Log upgrades and downgrades in the partners' chatter.

        :param changes: list of ``(partner_id, old_tier, new_tier)`` records
        """
        bodies = {}
        for partner_id, old, new in changes:
            if not new:
                text = self.env._(
                    "Loyalty tier %(old)s lost.", old=old.name)
            elif not old:
                text = self.env._("Loyalty tier %(new)s reached.", new=new.name)
            elif (new.threshold, new.sequence) > (old.threshold, old.sequence):
                text = self.env._(
                    "Upgraded from loyalty tier %(old)s to %(new)s.", old=old.name, new=new.name)
            else:
                text = self.env._(
                    "Downgraded from loyalty tier %(old)s to %(new)s.",
                    old=old.name, new=new.name)
            bodies[partner_id] = text
        if bodies:
            self.browse(list(bodies))._message_log_batch(bodies)
