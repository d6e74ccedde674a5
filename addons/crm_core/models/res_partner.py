from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .hr_expense import APPROVED_EXPENSE_STATES

CUSTOMER_TIERS = [
    ("key", "Key customer"),
    ("normal", "Normal customer"),
    ("small", "Small customer"),
]
LIFECYCLE_STAGES = [
    ("prospect", "Prospect"),
    ("exploration", "Exploration"),
    ("formation", "Formation"),
    ("stability", "Stability"),
    ("decline", "Decline"),
    ("churned", "Churned"),
]
GENDERS = [
    ("female", "Female"),
    ("male", "Male"),
    ("other", "Other"),
]
# birthdates before this year are typing mistakes; ages are searched up to MAX_AGE
OLDEST_BIRTH_YEAR = 1900
MAX_AGE = 150
INCOME_BANDS = [
    ("low", "Low"),
    ("lower_middle", "Lower middle"),
    ("middle", "Middle"),
    ("upper_middle", "Upper middle"),
    ("high", "High"),
]


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "crm.protected.fields.mixin"]

    customer_tier = fields.Selection(
        CUSTOMER_TIERS,
        tracking=True,
        index=True,
        groups="base.group_user",
        help="Place of the customer in the customer pyramid: key customers bring most "
        "of the value, small customers the least.",
    )
    lifecycle_stage = fields.Selection(
        LIFECYCLE_STAGES,
        tracking=True,
        index=True,
        groups="base.group_user",
        help="Stage of the customer relationship: exploration (first purchases), "
        "formation (growing), stability (mature), decline (slipping away), churned.",
    )
    birthdate = fields.Date()
    age = fields.Integer(compute="_compute_age", search="_search_age")
    gender = fields.Selection(GENDERS)
    income_band = fields.Selection(INCOME_BANDS, groups="base.group_user")
    customer_since = fields.Date(
        tracking=True,
        groups="base.group_user",
        copy=False,
        help="Date of the first confirmed sale order; CRM managers can correct it.",
    )
    acquisition_source_id = fields.Many2one(
        "utm.source",
        groups="base.group_user",
        help="Where the customer came from (campaign source, fair, referral...).",
    )
    is_crm_manager = fields.Boolean(compute="_compute_is_crm_manager")
    crm_currency_id = fields.Many2one("res.currency", compute="_compute_crm_currency_id")
    crm_sale_amount = fields.Monetary(
        string="Sales Revenue",
        currency_field="crm_currency_id",
        compute="_compute_crm_sale_amount",
        groups="sales_team.group_sale_salesman",
        help="Untaxed amount of the confirmed sale orders of this customer and its "
        "contacts, in company currency.",
    )

    crm_amount_collected = fields.Monetary(
        string="Collected",
        currency_field="crm_currency_id",
        compute="_compute_crm_collections",
        groups="sales_team.group_sale_salesman",
        help="Payments collected on the confirmed orders of this customer and its "
        "contacts in the current company, in its currency (回款).",
    )
    crm_amount_outstanding = fields.Monetary(
        string="Outstanding",
        currency_field="crm_currency_id",
        compute="_compute_crm_collections",
        groups="sales_team.group_sale_salesman",
        help="Left to collect on the confirmed orders of this customer and its contacts in "
        "the current company (their totals less credit notes and payments), in its currency.",
    )
    crm_expense_amount = fields.Monetary(
        string="Cost to Serve",
        currency_field="crm_currency_id",
        compute="_compute_crm_expense_amount",
        groups="sales_team.group_sale_salesman",
        help="Approved expenses spent on this customer and its contacts in the current "
        "company (费用), in its currency.",
    )
    crm_amount_overdue = fields.Monetary(
        string="Overdue",
        currency_field="crm_currency_id",
        compute="_compute_crm_collections",
        groups="sales_team.group_sale_salesman",
        help="Outstanding on the instalments past their date, in the current company: "
        "a warning that the customer may be slipping away.",
    )

    @api.depends("birthdate")
    @api.depends_context("company")
    def _compute_age(self):
        # on the company's day, as the suite's other days: a segment of the night job
        # and a user in the company's city agree on who turned a year older
        today = self.env.company._crm_today()
        for partner in self:
            # a birthdate in the future (refused on save) has no age yet
            partner.age = (
                relativedelta(today, partner.birthdate).years
                if partner.birthdate and partner.birthdate <= today else 0
            )

    def _search_age(self, operator, value):
        """Translate a condition on the age into one on the birthdate."""
        if operator not in ("=", "!=", "<", "<=", ">", ">=") or isinstance(value, bool) \
                or not isinstance(value, int):
            raise ValidationError(self.env._("The age can only be compared with a whole number."))
        # birthdates go back to OLDEST_BIRTH_YEAR at most: any age beyond is the same
        # condition as MAX_AGE + 1, which no date overflows
        value = min(max(value, -1), MAX_AGE + 1)
        today = self.env.company._crm_today()

        def born_before(years):  # age >= years  <=>  birthdate <= today - years
            return today - relativedelta(years=years)

        if operator == ">":
            operator, value = ">=", value + 1
        elif operator == "<":
            operator, value = "<=", value - 1
        if operator == ">=":
            return [("birthdate", "<=", born_before(value))]
        if operator == "<=":
            return [("birthdate", ">", born_before(value + 1))]
        exact = [
            ("birthdate", "<=", born_before(value)),
            ("birthdate", ">", born_before(value + 1)),
        ]
        if operator == "=":
            return exact
        return ["|", ("birthdate", "=", False), "!", "&", *exact]

    @api.depends_context("uid")
    def _compute_is_crm_manager(self):
        self.is_crm_manager = self.env.user.has_group("sales_team.group_sale_manager")

    @api.depends_context("company")
    def _compute_crm_currency_id(self):
        self.crm_currency_id = self.env.company.currency_id

    def _compute_crm_sale_amount(self):
        # sale.report is a view over orders and their lines: write them first
        self.env["sale.order.line"].flush_model()
        self.env["sale.order"].flush_model()
        amounts = self._crm_360_read_group(
            "sale.report", [("state", "=", "sale")], ["price_subtotal:sum"]
        )
        for partner in self:
            partner.crm_sale_amount = amounts.get(partner.id, [0.0])[0]

    @api.depends_context("company", "uid")
    def _compute_crm_expense_amount(self):
        """Approved expenses spent on the customer and its contacts in the current
        company: shown to its own salesperson and to those who see all documents (read
        as superuser: the host's rules show an employee their own expenses only)."""
        see_all = self.env.user.has_group("sales_team.group_sale_salesman_all_leads")
        partners = self.filtered(lambda p: see_all or p.user_id == self.env.user)
        totals = partners._crm_360_read_group(
            "hr.expense",
            [("state", "in", APPROVED_EXPENSE_STATES),
             ("company_id", "=", self.env.company.id)],
            ["total_amount:sum"], partner_field="crm_partner_id", sudo=True,
        )
        for partner in self:
            partner.crm_expense_amount = totals.get(partner.id, [0.0])[0]

    @api.readonly
    def action_view_crm_expenses(self):
        """The approved expenses spent on the customer, behind the cost-to-serve button
        (the host's rules on expenses decide which the user reads)."""
        self.ensure_one()
        return self.env["hr.expense"]._crm_approved_action(
            "crm_partner_id", self.commercial_partner_id.id)

    @api.depends_context("company", "uid")
    def _compute_crm_collections(self):
        """The current company's figures (a partner is shared between companies),
        over the orders the user may read."""
        amounts = self._crm_360_read_group(
            "sale.order",
            [("state", "=", "sale"), ("company_id", "=", self.env.company.id)],
            ["crm_amount_collected_company:sum", "crm_amount_overdue_company:sum",
             "crm_amount_outstanding_company:sum"],
        )
        for partner in self:
            (partner.crm_amount_collected, partner.crm_amount_overdue,
             partner.crm_amount_outstanding) = amounts.get(partner.id, [0.0, 0.0, 0.0])

    @api.constrains("birthdate")
    def _check_birthdate(self):
        today = fields.Date.context_today(self)
        for partner in self:
            if partner.birthdate and partner.birthdate.year < OLDEST_BIRTH_YEAR:
                raise ValidationError(
                    self.env._(
                        "The birthdate of %(partner)s cannot be before %(year)s (%(date)s).",
                        partner=partner.display_name,
                        year=OLDEST_BIRTH_YEAR,
                        date=partner.birthdate,
                    )
                )
            if partner.birthdate and partner.birthdate > today:
                raise ValidationError(
                    self.env._(
                        "The birthdate of %(partner)s cannot be in the future (%(date)s).",
                        partner=partner.display_name,
                        date=partner.birthdate,
                    )
                )

    @api.model
    def _crm_manager_fields(self):
        """Fields that CRM managers (Sales: Administrator) and the suite's own jobs set,
        never other users by hand; the addons of the suite add theirs."""
        return (*super()._crm_manager_fields(), "customer_tier", "lifecycle_stage",
                "customer_since")

    @api.model
    def _crm_manager_group(self):
        return "sales_team.group_sale_manager"

    @api.model
    def _crm_set_customer_since_from_orders(self, partner_ids=None):
        """Customer since the day of the first confirmed order, for the ordering contact
        and its company; an earlier date typed by a manager is kept. One statement
        whatever the number of partners: run on install for the orders confirmed before.

        :param partner_ids: the partners to look at (default: all)
        """
        if partner_ids is not None and not partner_ids:
            return []
        self.env["sale.order"].flush_model(["state", "date_order", "partner_id", "company_id"])
        self.flush_model(["commercial_partner_id", "customer_since"])
        only = SQL("AND f.partner_id IN %s", tuple(partner_ids)) if partner_ids else SQL()
        # the day of the order in its company's time zone
        day = self.env["res.company"]._crm_local_date_sql_by_company(
            SQL("so.date_order"), SQL("so.company_id"))
        self.env.cr.execute(SQL(
            """
            UPDATE res_partner p
               SET customer_since = f.day
              FROM (SELECT partner_id, MIN(day) AS day
                      FROM (SELECT so.partner_id, %s AS day
                              FROM sale_order so
                             WHERE so.state = 'sale'
                            UNION ALL
                            SELECT buyer.commercial_partner_id, %s
                              FROM sale_order so
                              JOIN res_partner buyer ON buyer.id = so.partner_id
                             WHERE so.state = 'sale') AS orders
                     GROUP BY partner_id) AS f
             WHERE p.id = f.partner_id %s
               AND (p.customer_since IS NULL OR p.customer_since > f.day)
            RETURNING p.id
            """,
            day, day, only,
        ))
        changed = [row[0] for row in self.env.cr.fetchall()]
        self.browse(changed).invalidate_recordset(["customer_since"])
        return changed

    # 360° view ------------------------------------------------------------

    def _crm_360_read_group(self, model, domain, aggregates, partner_field="partner_id",
                            sudo=False):
        """Aggregate records of ``model`` linked to these partners and their contacts.

        One grouped read whatever the number of partners and records: the
        framework every smart button of the 360° view builds on (orders,
        complaints, calls, surveys...).

        :param model: name of the model to aggregate
        :param domain: extra domain on ``model``
        :param aggregates: ``_read_group`` aggregates, e.g. ``["__count"]``
        :param partner_field: many2one of ``model`` towards ``res.partner``
        :param sudo: read ``model`` as superuser (totals shown beyond its own rules)
        :return: ``{partner_id: [aggregate values]}`` for the saved partners of
                 ``self``, a contact's figures also counted on its parents
        """
        partner_ids = {pid for pid in self.ids if isinstance(pid, int)}
        result = {pid: [0] * len(aggregates) for pid in partner_ids}
        if not partner_ids:
            return result
        all_partners = self.with_context(active_test=False).search_fetch(
            [("id", "child_of", list(partner_ids))], ["parent_id"]
        )
        records = self.env[model].sudo() if sudo else self.env[model]
        groups = records._read_group(
            domain + [(partner_field, "in", all_partners.ids)],
            groupby=[partner_field],
            aggregates=aggregates,
        )
        for partner, *values in groups:
            while partner:
                if partner.id in result:
                    totals = result[partner.id]
                    for index, value in enumerate(values):
                        totals[index] += value or 0
                partner = partner.parent_id
        return result

    @api.readonly
    def action_view_crm_collections(self):
        """The customer's instalments in the current company, behind the collections
        button."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_core.crm_collection_plan_action")
        action["domain"] = [
            ("partner_id", "=", self.commercial_partner_id.id),
            ("company_id", "=", self.env.company.id),
        ]
        action["context"] = {"search_default_filter_open": 1}
        return action

    @api.readonly
    def action_view_crm_sale_orders(self):
        """Confirmed orders of the customer, behind the revenue button."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        action["domain"] = [
            ("partner_id", "child_of", self.commercial_partner_id.id),
            ("state", "=", "sale"),
        ]
        action["context"] = {"default_partner_id": self.id}
        return action
