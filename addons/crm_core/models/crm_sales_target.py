from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}
TARGET_KINDS = [("orders", "Orders"), ("collections", "Collections")]


class CrmSalesTarget(models.Model):
    _name = "crm.sales.target"
    _description = "Sales Target"
    _inherit = ["mail.thread", "crm.protected.fields.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True, readonly=False)
    active = fields.Boolean(default=True)
    target_type = fields.Selection(
        [("user", "Salesperson"), ("team", "Sales Team")],
        string="Target For",
        required=True,
        default="user",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Salesperson",
        index=True,
        tracking=True,
        domain="[('share', '=', False)]",
        check_company=True,
    )
    team_id = fields.Many2one(
        "crm.team", string="Sales Team", index=True, tracking=True, check_company=True,
    )
    target_kind = fields.Selection(
        TARGET_KINDS, string="Target On", required=True, default="orders", index=True,
        tracking=True,
        help="Orders: the untaxed amount of the orders confirmed in the period (销售目标). "
        "Collections: the payments collected in the period on the orders (回款目标).",
    )
    period_type = fields.Selection(
        [("month", "Month"), ("quarter", "Quarter"), ("year", "Year")],
        string="Period",
        required=True,
        default="month",
    )
    date_start = fields.Date(
        string="Start",
        required=True,
        default=lambda self: self.env.company._crm_today().replace(day=1),
        tracking=True,
    )
    date_end = fields.Date(
        string="End",
        compute="_compute_date_end",
        store=True,
        readonly=False,
        copy=False,
        tracking=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    target_amount = fields.Monetary(required=True, tracking=True)
    achieved_amount = fields.Monetary(
        string="Achieved",
        compute="_compute_achieved",
        help="Orders: the untaxed amount of the sale orders confirmed in the period; "
        "collections: the payments collected in the period on the orders (tax included, at "
        "the payments' rates). In company currency; the period's days are the company's.",
    )
    attainment = fields.Float(
        string="Attainment (%)",
        compute="_compute_achieved",
        help="Achieved amount as a percentage of the target.",
    )

    @api.depends("period_type", "date_start")
    def _compute_date_end(self):
        for target in self:
            if target.date_start:
                months = PERIOD_MONTHS[target.period_type or "month"]
                target.date_end = target.date_start + relativedelta(months=months, days=-1)

    @api.depends("target_type", "user_id", "team_id", "date_start", "date_end")
    def _compute_name(self):
        for target in self:
            owner = target.user_id if target.target_type == "user" else target.team_id
            period = ""
            if target.date_start and target.date_end:
                period = f"{target.date_start} → {target.date_end}"
            target.name = " · ".join(part for part in (owner.name, period) if part)

    @api.depends(
        "target_type", "user_id", "team_id", "date_start", "date_end", "company_id",
        "target_amount", "target_kind",
    )
    def _compute_achieved(self):
        achieved = self._get_achieved_amounts()
        for target in self:
            target.achieved_amount = achieved.get(target, 0.0)
            target.attainment = (
                100.0 * target.achieved_amount / target.target_amount
                if target.target_amount
                else 0.0
            )

    def _get_achieved_amounts(self):
        """Achieved amount of every target of ``self`` in one query.

        Unsaved values take part as well: the targets are passed as a VALUES list.
        The period is the company's days: an order counts from the moment the
        company's first day begins to the moment the day after its last begins (the
        company's time zone is read in the query, as ``_period_bounds`` reads it);
        a payment counts on its accounting date, a day of the company already.
        """
        targets = [
            target for target in self
            if target.date_start and target.date_end and target.company_id
            and (target.user_id if target.target_type == "user" else target.team_id)
        ]
        if not targets:
            return {}
        achieved = self._get_achieved_collections(
            [target for target in targets if target.target_kind == "collections"])
        targets = [target for target in targets if target.target_kind != "collections"]
        if not targets:
            return achieved
        Company = self.env["res.company"]
        self.env["sale.order"].flush_model(
            ["state", "date_order", "user_id", "team_id", "company_id", "amount_untaxed",
             "currency_rate"]
        )
        rows = self._target_values_sql(targets)
        self.env.cr.execute(SQL(
            """
            SELECT t.idx, SUM(%s)
              FROM (VALUES %s) AS t(idx, company_id, date_start, date_end, user_id, team_id)
              JOIN sale_order so
                ON so.state = 'sale'
               AND so.company_id = t.company_id
               AND so.date_order >= %s
               AND so.date_order < %s
               AND (so.user_id = t.user_id OR so.team_id = t.team_id)
             GROUP BY t.idx
            """,
            self.env["sale.order"]._crm_amount_company_sql("so"),
            rows,
            Company._crm_day_start_sql_by_company(SQL("t.date_start"), SQL("t.company_id")),
            Company._crm_day_start_sql_by_company(SQL("t.date_end + 1"), SQL("t.company_id")),
        ))
        achieved.update(
            {targets[index]: amount for index, amount in self.env.cr.fetchall()})
        return achieved

    @api.model
    def _target_values_sql(self, targets):
        return SQL(", ").join(
            SQL(
                "(%s, %s::int, %s::date, %s::date, %s::int, %s::int)",
                index,
                target.company_id.id,
                target.date_start,
                target.date_end,
                target.user_id.id if target.target_type == "user" else None,
                target.team_id.id if target.target_type == "team" else None,
            )
            for index, target in enumerate(targets)
        )

    @api.model
    def _get_achieved_collections(self, targets):
        """What was collected in each collection target's period on the orders of its
        salesperson or team, in company currency: ``{target: amount}``, one query."""
        if not targets:
            return {}
        self.env.flush_all()
        self.env.cr.execute(SQL(
            """
            SELECT t.idx, SUM(pay.amount_company)
              FROM (VALUES %s) AS t(idx, company_id, date_start, date_end, user_id, team_id)
              JOIN sale_order so
                ON so.company_id = t.company_id
               AND (so.user_id = t.user_id OR so.team_id = t.team_id)
              JOIN crm_collection_payment pay
                ON pay.order_id = so.id
               AND pay.date BETWEEN t.date_start AND t.date_end
             GROUP BY t.idx
            """,
            self._target_values_sql(targets),
        ))
        return {targets[index]: amount for index, amount in self.env.cr.fetchall()}

    @api.constrains("target_amount")
    def _check_target_amount(self):
        for target in self:
            if target.target_amount < 0:
                raise ValidationError(self.env._("A sales target cannot be negative."))

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for target in self:
            if not target.date_end:
                raise ValidationError(self.env._("Set the end of the target period."))
            if target.date_end < target.date_start:
                raise ValidationError(
                    self.env._("The end of the target period cannot be before its start.")
                )

    @api.constrains(
        "target_type", "user_id", "team_id", "period_type", "date_start", "date_end",
        "company_id", "active", "target_kind",
    )
    def _check_overlap(self):
        """One target per owner, kind and period length at a time: a second November
        target would leave the forecast to pick one. A month within a quarter is fine,
        and so is a collection target beside an order target."""
        for target in self.filtered("active"):
            owner = (
                ("user_id", "=", target.user_id.id) if target.target_type == "user"
                else ("team_id", "=", target.team_id.id)
            )
            # a target the user cannot see overlaps all the same
            other = self.sudo().search([
                ("id", "!=", target.id),
                ("target_type", "=", target.target_type),
                ("target_kind", "=", target.target_kind),
                owner,
                ("period_type", "=", target.period_type),
                ("company_id", "=", target.company_id.id),
                ("date_start", "<=", target.date_end),
                ("date_end", ">=", target.date_start),
            ], limit=1)
            if other:
                raise ValidationError(self.env._(
                    "%(owner)s already has a %(period)s target from %(start)s to %(end)s. "
                    "Change that target or archive it instead of adding a second one.",
                    owner=(target.user_id if target.target_type == "user"
                           else target.team_id).display_name,
                    period=dict(self._fields["period_type"]._description_selection(self.env))[
                        target.period_type
                    ].lower(),
                    start=other.date_start, end=other.date_end,
                ))

    @api.constrains("target_type", "user_id", "team_id")
    def _check_owner(self):
        for target in self:
            if target.target_type == "user" and not target.user_id:
                raise ValidationError(self.env._("Choose the salesperson of this target."))
            if target.target_type == "team" and not target.team_id:
                raise ValidationError(self.env._("Choose the sales team of this target."))

    @api.readonly
    def action_view_orders(self):
        """Confirmed orders counted in the achieved amount."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        owner = (
            ("user_id", "=", self.user_id.id)
            if self.target_type == "user"
            else ("team_id", "=", self.team_id.id)
        )
        if self.target_kind == "collections":
            self.env.flush_all()
            self.env.cr.execute(SQL(
                "SELECT DISTINCT order_id FROM crm_collection_payment "
                "WHERE company_id = %s AND date BETWEEN %s AND %s",
                self.company_id.id, self.date_start, self.date_end,
            ))
            action["domain"] = [
                ("id", "in", [row[0] for row in self.env.cr.fetchall()]),
                ("company_id", "=", self.company_id.id), owner,
            ]
            action["context"] = {"create": False}
            return action
        start, stop = self._period_bounds()
        action["domain"] = [
            ("state", "=", "sale"),
            ("company_id", "=", self.company_id.id),
            ("date_order", ">=", fields.Datetime.to_string(start)),
            ("date_order", "<", fields.Datetime.to_string(stop)),
            owner,
        ]
        action["context"] = {"create": False}
        return action

    def _period_bounds(self):
        """The target's period as naive UTC datetimes ``[start, stop)``: from the
        beginning of the company's first day of the period to the beginning of the
        day after its last, in the company's time zone."""
        self.ensure_one()
        company = self.company_id
        return (company._crm_day_start(self.date_start),
                company._crm_day_start(self.date_end + relativedelta(days=1)))
