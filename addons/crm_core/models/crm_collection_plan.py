import logging
from collections import defaultdict
from datetime import date, timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, create_index, format_amount, format_date

_logger = logging.getLogger(__name__)

PLAN_STATES = [
    ("planned", "Planned"),
    ("partial", "Partly Collected"),
    ("collected", "Collected"),
    ("overdue", "Overdue"),
    ("cancelled", "Cancelled"),
]
METHODS = [
    ("transfer", "Bank Transfer"),
    ("cash", "Cash"),
    ("check", "Check"),
    ("bill", "Bank Acceptance Bill"),
    ("card", "Card"),
    ("other", "Other"),
]
# the reminder job's batch: committed one by one (the host's cron progress)
REMINDER_BATCH = 200


class CrmCollectionPlan(models.Model):
    """An instalment of the payment plan of a confirmed order (回款计划).

    What was collected comes from the host's accounting: customer payments
    reconciled with the order's invoices fill the instalments in date order; credit
    notes take their amount off the last ones. Only the server writes the figures
    and the state (``_crm_refresh_orders``); the salesperson plans the rest until
    the instalment is collected.
    """

    _name = "crm.collection.plan"
    _description = "Collection Plan Instalment"
    _inherit = ["mail.thread", "mail.activity.mixin", "crm.protected.fields.mixin"]
    _order = "order_id, date_planned, sequence, id"
    _check_company_auto = True

    order_id = fields.Many2one(
        "sale.order", required=True, index=True, ondelete="cascade",
        check_company=True, domain="[('state', '=', 'sale')]",
    )
    company_id = fields.Many2one(related="order_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="order_id.currency_id", store=True)
    partner_id = fields.Many2one(
        related="order_id.partner_id.commercial_partner_id", store=True, index=True,
        string="Customer",
    )
    user_id = fields.Many2one(related="order_id.user_id", store=True, index=True,
                              string="Salesperson")
    team_id = fields.Many2one(related="order_id.team_id", store=True, index=True,
                              string="Sales Team")
    sequence = fields.Integer(string="Instalment", required=True, default=1)
    date_planned = fields.Date(string="Planned Date", required=True, tracking=True)
    amount = fields.Monetary(required=True, tracking=True)
    percentage = fields.Float(
        string="% of Order", compute="_compute_percentage", inverse="_inverse_percentage",
        digits=(16, 2), help="The instalment's share of the order's total; typing it sets the "
        "amount.",
    )
    method = fields.Selection(METHODS, string="Payment Method", default="transfer")
    note = fields.Char(string="Notes")
    amount_collected = fields.Monetary(
        string="Collected", readonly=True, copy=False,
        help="Customer payments reconciled with the order's invoices, filling the "
        "instalments in date order.",
    )
    amount_credited = fields.Monetary(
        string="Credited", readonly=True, copy=False,
        help="Credit notes of the order, taken off the last instalments.",
    )
    amount_outstanding = fields.Monetary(string="Outstanding", readonly=True, copy=False)
    amount_company = fields.Float(
        string="Amount (Company Currency)", readonly=True, copy=False,
        help="The amount at the order's rate, for the reports in company currency.",
    )
    amount_outstanding_company = fields.Float(
        string="Outstanding (Company Currency)", readonly=True, copy=False,
    )
    state = fields.Selection(
        PLAN_STATES, required=True, default="planned", readonly=True, copy=False,
        index=True, tracking=True,
    )
    date_reminded_due = fields.Datetime(string="Due Reminder Sent", readonly=True,
                                        copy=False)
    date_reminded_overdue = fields.Datetime(string="Overdue Reminder Sent", readonly=True,
                                            copy=False)

    _sql_constraints = [
        ("sequence_order_uniq", "unique(order_id, sequence)",
         "Each instalment of an order has its own number."),
    ]

    def init(self):
        res = super().init()
        # the reminder and overdue jobs read the instalments still to collect by date:
        # their cost follows what is open, not the collected history
        create_index(
            self.env.cr, "crm_collection_plan_open_date_index", self._table,
            ["date_planned"], where="state IN ('planned', 'partial', 'overdue')",
        )
        return res

    @api.depends("order_id.name", "sequence")
    def _compute_display_name(self):
        for plan in self:
            plan.display_name = self.env._(
                "%(order)s, instalment %(number)s",
                order=plan.order_id.name or "", number=plan.sequence,
            )

    @api.depends("amount", "order_id.amount_total")
    def _compute_percentage(self):
        for plan in self:
            total = plan.order_id.amount_total
            plan.percentage = plan.amount / total * 100 if total else 0.0

    def _inverse_percentage(self):
        for plan in self:
            plan.amount = plan.order_id.currency_id.round(
                plan.order_id.amount_total * plan.percentage / 100
            )

    @api.onchange("percentage")
    def _onchange_percentage(self):
        self._inverse_percentage()

    @api.model
    def _crm_server_fields(self):
        return (
            *super()._crm_server_fields(),
            "amount_collected", "amount_credited", "amount_outstanding", "state",
            "amount_company", "amount_outstanding_company",
            "date_reminded_due", "date_reminded_overdue",
            "company_id", "currency_id", "partner_id", "user_id", "team_id",
        )

    # checks ----------------------------------------------------------------

    @api.constrains("amount", "date_planned", "order_id", "sequence")
    def _check_instalment(self):
        for plan in self:
            order = plan.order_id
            if order.state != "sale":
                raise ValidationError(self.env._(
                    "Plan collections on a confirmed order: %(order)s is not confirmed.",
                    order=order.name,
                ))
            if plan.sequence <= 0:
                raise ValidationError(self.env._(
                    "Instalments are numbered from 1, not %(number)s.", number=plan.sequence,
                ))
            if plan.currency_id.compare_amounts(plan.amount, 0) <= 0:
                raise ValidationError(self.env._(
                    "Instalment %(number)s of %(order)s needs an amount above zero.",
                    number=plan.sequence, order=order.name,
                ))
            order_day = order.company_id._crm_local_date(order.date_order)
            if plan.date_planned < order_day:
                raise ValidationError(self.env._(
                    "Instalment %(number)s of %(order)s is planned on %(date)s, before the "
                    "order's date (%(order_date)s).",
                    number=plan.sequence, order=order.name,
                    date=format_date(self.env, plan.date_planned),
                    order_date=format_date(self.env, order_day),
                ))

    def _check_editable(self, vals):
        """A collected instalment is settled: its amount and date stay; a partly
        collected one keeps at least what was collected. Managers of sales may still
        correct them."""
        if self.env.su or self.env.user.has_group("sales_team.group_sale_manager"):
            return
        for plan in self:
            settled = plan.amount_collected + plan.amount_credited
            if plan.state == "cancelled":
                raise UserError(self.env._(
                    "%(instalment)s belongs to a cancelled order: it cannot change.",
                    instalment=plan.display_name,
                ))
            if plan.state == "collected" and (
                {"date_planned", "order_id"} & set(vals)
                or ("amount" in vals and plan.currency_id.compare_amounts(
                    vals["amount"], plan.amount))
            ):
                raise UserError(self.env._(
                    "%(instalment)s is collected: its amount and date stay as they are.",
                    instalment=plan.display_name,
                ))
            if "amount" in vals and plan.currency_id.compare_amounts(
                vals["amount"], settled
            ) < 0:
                raise UserError(self.env._(
                    "%(instalment)s has %(settled)s collected already: its amount cannot "
                    "go below it.",
                    instalment=plan.display_name,
                    settled=format_amount(self.env, settled, plan.currency_id),
                ))

    # CRUD ------------------------------------------------------------------

    def _crm_check_totals(self, orders):
        """The plans of ``orders`` add up to their totals, once all the changes of the
        call are made (the order's form sends them together)."""
        if not self.env.context.get("crm_plan_check_deferred"):
            orders.exists()._crm_check_collection_plan()

    @api.model_create_multi
    def create(self, vals_list):
        plans = super().create(vals_list)
        self._crm_check_totals(plans.order_id)
        plans._crm_refresh_orders(plans.order_id.ids)
        return plans

    def write(self, vals):
        self._check_editable(vals)
        orders = self.order_id
        result = super().write(vals)
        if {"amount", "date_planned", "order_id", "sequence", "percentage"} & set(vals):
            self._crm_check_totals(orders | self.order_id)
            self._crm_refresh_orders((orders | self.order_id).ids)
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_collected(self):
        if self.env.su or self.env.user.has_group("sales_team.group_sale_manager"):
            return
        for plan in self:
            if plan.amount_collected:
                raise UserError(self.env._(
                    "%(instalment)s has payments collected: it cannot be deleted.",
                    instalment=plan.display_name,
                ))

    def unlink(self):
        orders = self.order_id
        result = super().unlink()
        self._crm_check_totals(orders)
        self._crm_refresh_orders(orders.exists().ids)
        return result

    # what was collected ------------------------------------------------------

    @api.model
    def _crm_order_moves_sql(self, order_ids=None):
        """SQL of ``(order_id, move_id, move_type, part, share)``: the posted customer
        invoices and credit notes of the orders (all, or those of ``order_ids``: ids,
        or an ``SQL`` query of ids),
        with the order's part of each (tax included, in the move's currency) and its
        share of the move's total."""
        if order_ids is None:
            where = SQL("TRUE")
        elif isinstance(order_ids, SQL):  # a query of order ids
            where = SQL("sol.order_id IN (%s)", order_ids)
        else:
            where = SQL("sol.order_id = ANY(%s)", list(order_ids))
        return SQL(
            """
            SELECT om.order_id, om.move_id, move.move_type, om.part,
                   om.part / NULLIF(move.amount_total, 0) AS share
              FROM (SELECT sol.order_id, aml.move_id, SUM(aml.price_total) AS part
                      FROM sale_order_line sol
                      JOIN sale_order_line_invoice_rel rel ON rel.order_line_id = sol.id
                      JOIN account_move_line aml ON aml.id = rel.invoice_line_id
                     WHERE %(where)s
                     GROUP BY sol.order_id, aml.move_id) om
              JOIN account_move move ON move.id = om.move_id
             WHERE move.state = 'posted' AND move.move_type IN ('out_invoice', 'out_refund')
            """,
            where=where,
        )

    @api.model
    def _crm_payments_sql(self, order_ids=None):
        """SQL of ``(order_id, date, amount, amount_company)``: what was collected on
        the orders (all, or those of ``order_ids``) by day, in the order's currency
        and in the company's at the payment's rate.

        Customer payments (and bank statement lines) reconciled with the order's
        posted invoices count; refunds paid back on its credit notes count against.
        An invoice of several orders shares what was paid on it in proportion to
        each order's part of it. Dates are accounting dates: the company's days.
        Reconciliations with another invoice or a credit note are no cash."""
        return SQL(
            """
            WITH order_move AS (%(order_moves)s),
            cash AS (
                SELECT line.move_id, other.date,
                       SUM(CASE WHEN part.debit_move_id = line.id
                                THEN part.debit_amount_currency
                                ELSE -part.credit_amount_currency END) AS amount,
                       SUM(CASE WHEN part.debit_move_id = line.id
                                THEN part.amount ELSE -part.amount END) AS amount_company
                  FROM account_move_line line
                  JOIN account_account account ON account.id = line.account_id
                  JOIN account_partial_reconcile part
                    ON line.id IN (part.debit_move_id, part.credit_move_id)
                  JOIN account_move_line other
                    ON other.id = CASE WHEN part.debit_move_id = line.id
                                       THEN part.credit_move_id ELSE part.debit_move_id END
                  JOIN account_move other_move ON other_move.id = other.move_id
                 WHERE line.move_id IN (SELECT move_id FROM order_move)
                   AND account.account_type = 'asset_receivable'
                   AND other_move.move_type = 'entry'
                 GROUP BY line.move_id, other.date
            )
            SELECT om.order_id, cash.date,
                   SUM(cash.amount * om.share) AS amount,
                   SUM(cash.amount_company * om.share) AS amount_company
              FROM order_move om
              JOIN cash ON cash.move_id = om.move_id
             GROUP BY om.order_id, cash.date
            """,
            order_moves=self._crm_order_moves_sql(order_ids),
        )

    @api.model
    def _crm_collected_sql(self, order_ids):
        """SQL of ``(order_id, collected, credited, last_date)`` for the orders
        ``order_ids``, in the order's currency: their collected payments (kept in
        ``crm.collection.payment``) and the totals of their credit notes."""
        return SQL(
            """
            SELECT o.order_id,
                   COALESCE(p.collected, 0) AS collected,
                   COALESCE(c.credited, 0) AS credited,
                   p.last_date
              FROM (SELECT unnest(%(order_ids)s::int[]) AS order_id) o
              LEFT JOIN (SELECT order_id, SUM(amount) AS collected, MAX(date) AS last_date
                           FROM crm_collection_payment
                          WHERE order_id = ANY(%(order_ids)s) GROUP BY order_id) p
                ON p.order_id = o.order_id
              LEFT JOIN (SELECT order_id, SUM(part) AS credited
                           FROM (%(moves)s) m WHERE move_type = 'out_refund'
                          GROUP BY order_id) c
                ON c.order_id = o.order_id
            """,
            order_ids=list(order_ids),
            moves=self._crm_order_moves_sql(order_ids),
        )

    @api.model
    def _crm_refresh_orders(self, order_ids):
        """Recompute what was collected on the orders ``order_ids`` and the figures
        and states of their instalments, in three statements whatever their number:
        cash fills the instalments in date order, credit notes take their amount
        off the last ones; an instalment past its date (in the company's time zone)
        with something outstanding is overdue; the instalments of a cancelled order
        are cancelled."""
        order_ids = [oid for oid in set(order_ids) if isinstance(oid, int)]
        if not order_ids:
            return
        self.env.flush_all()
        self.env.cr.execute(SQL(
            """
            DELETE FROM crm_collection_payment WHERE order_id = ANY(%(order_ids)s);
            INSERT INTO crm_collection_payment (order_id, company_id, date, amount,
                                                amount_company, user_id, team_id,
                                                partner_id)
            SELECT pay.order_id, so.company_id, pay.date, pay.amount, pay.amount_company,
                   so.user_id, so.team_id, partner.commercial_partner_id
              FROM (%(payments)s) pay
              JOIN sale_order so ON so.id = pay.order_id
              JOIN res_partner partner ON partner.id = so.partner_id
            """,
            order_ids=order_ids, payments=self._crm_payments_sql(order_ids),
        ))
        self.env["crm.collection.payment"].invalidate_model()
        today = self.env["res.company"]._crm_local_date_sql_by_company(
            SQL("now() AT TIME ZONE 'UTC'"), SQL("so.company_id"))
        self.env.cr.execute(SQL(
            """
            WITH collected AS (%(collected)s),
            figures AS (
                SELECT so.id AS order_id,
                       ROUND(COALESCE(c.collected, 0)::numeric, currency.decimal_places)
                           AS collected,
                       ROUND(COALESCE(c.credited, 0)::numeric, currency.decimal_places)
                           AS credited,
                       c.last_date,
                       so.state AS order_state,
                       COALESCE(NULLIF(so.currency_rate, 0), 1) AS rate,
                       %(today)s AS today
                  FROM sale_order so
                  JOIN res_currency currency ON currency.id = so.currency_id
                  LEFT JOIN collected c ON c.order_id = so.id
                 WHERE so.id = ANY(%(order_ids)s)
            ),
            credit AS (
                SELECT plan.id, plan.order_id, plan.amount, plan.date_planned, plan.sequence,
                       f.collected, f.order_state, f.today, f.rate,
                       GREATEST(0, LEAST(plan.amount, f.credited - (
                           SUM(plan.amount) OVER (PARTITION BY plan.order_id
                               ORDER BY plan.date_planned DESC, plan.sequence DESC, plan.id DESC)
                           - plan.amount))) AS credited
                  FROM crm_collection_plan plan
                  JOIN figures f ON f.order_id = plan.order_id
            ),
            filled AS (
                SELECT credit.*,
                       GREATEST(0, LEAST(amount - credited, collected - (
                           SUM(amount - credited) OVER (PARTITION BY order_id
                               ORDER BY date_planned, sequence, id)
                           - (amount - credited)))) AS paid
                  FROM credit
            )
            UPDATE crm_collection_plan plan
               SET amount_collected = filled.paid,
                   amount_credited = filled.credited,
                   amount_outstanding = filled.amount - filled.credited - filled.paid,
                   amount_company = filled.amount / filled.rate,
                   amount_outstanding_company
                       = (filled.amount - filled.credited - filled.paid) / filled.rate,
                   state = CASE
                       WHEN filled.order_state = 'cancel' THEN 'cancelled'
                       WHEN filled.amount - filled.credited - filled.paid <= 0.005
                            THEN 'collected'
                       WHEN filled.date_planned < filled.today THEN 'overdue'
                       WHEN filled.paid > 0 THEN 'partial'
                       ELSE 'planned' END
              FROM filled
             WHERE plan.id = filled.id
            """,
            collected=self._crm_collected_sql(order_ids), today=today,
            order_ids=order_ids,
        ))
        self.env.cr.execute(SQL(
            """
            WITH collected AS (%(collected)s),
            overdue AS (
                SELECT order_id, SUM(amount_outstanding) AS amount
                  FROM crm_collection_plan
                 WHERE order_id = ANY(%(order_ids)s) AND state = 'overdue'
                 GROUP BY order_id
            )
            UPDATE sale_order so
               SET crm_amount_collected = c.collected,
                   crm_amount_credited = c.credited,
                   crm_amount_outstanding = CASE WHEN so.state = 'sale' THEN GREATEST(0,
                       so.amount_total - c.credited - c.collected) ELSE 0 END,
                   crm_amount_overdue = CASE WHEN so.state = 'sale'
                       THEN COALESCE(o.amount, 0) ELSE 0 END,
                   crm_date_last_collection = c.last_date,
                   crm_amount_collected_company = ROUND(
                       c.collected / COALESCE(NULLIF(so.currency_rate, 0), 1)::numeric,
                       c.company_decimals),
                   crm_amount_overdue_company = ROUND(CASE WHEN so.state = 'sale'
                       THEN COALESCE(o.amount, 0) ELSE 0 END
                       / COALESCE(NULLIF(so.currency_rate, 0), 1)::numeric,
                       c.company_decimals),
                   crm_amount_outstanding_company = ROUND(CASE WHEN so.state = 'sale'
                       THEN GREATEST(0, so.amount_total - c.credited - c.collected) ELSE 0 END
                       / COALESCE(NULLIF(so.currency_rate, 0), 1)::numeric,
                       c.company_decimals)
              FROM (SELECT target.id,
                           ROUND(COALESCE(raw.collected, 0)::numeric, currency.decimal_places)
                               AS collected,
                           ROUND(COALESCE(raw.credited, 0)::numeric, currency.decimal_places)
                               AS credited,
                           raw.last_date,
                           company_currency.decimal_places AS company_decimals
                      FROM sale_order target
                      JOIN res_currency currency ON currency.id = target.currency_id
                      JOIN res_company company ON company.id = target.company_id
                      JOIN res_currency company_currency
                        ON company_currency.id = company.currency_id
                      LEFT JOIN collected raw ON raw.order_id = target.id
                     WHERE target.id = ANY(%(order_ids)s)) c
              LEFT JOIN overdue o ON o.order_id = c.id
             WHERE so.id = c.id
            """,
            collected=self._crm_collected_sql(order_ids), order_ids=order_ids,
        ))
        self.env["sale.order"].browse(order_ids).invalidate_recordset([
            "crm_amount_collected", "crm_amount_credited", "crm_amount_outstanding",
            "crm_amount_overdue", "crm_date_last_collection",
            "crm_amount_collected_company", "crm_amount_overdue_company",
            "crm_amount_outstanding_company",
        ])
        self.invalidate_model([
            "amount_collected", "amount_credited", "amount_outstanding", "state",
            "amount_company", "amount_outstanding_company",
        ])

    @api.model
    def _crm_refresh_all_orders(self):
        """Count what was collected on every order (at install and upgrade)."""
        self.env.cr.execute("SELECT id FROM sale_order WHERE state IN ('sale', 'cancel')")
        self._crm_refresh_orders([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _cron_refresh_states(self):
        """Every hour: instalments whose date passed become overdue (the company's
        day), with everything else about their orders brought up to date."""
        self.env.cr.execute(SQL(
            """
            SELECT DISTINCT order_id FROM crm_collection_plan
             WHERE state IN ('planned', 'partial') AND date_planned <= CURRENT_DATE + 1
            """
        ))
        self._crm_refresh_orders([row[0] for row in self.env.cr.fetchall()])

    # reminders ---------------------------------------------------------------

    @api.model
    def _cron_send_reminders(self):
        """The salesperson of each instalment still to collect gets an activity a
        number of days before it is due (the company's setting), and another once it
        is overdue: once per instalment and event. An instalment is claimed by
        stamping it in the same statement that picks it (rows another run holds are
        skipped), and each batch is committed: two runs at once never remind twice,
        and nobody's edit waits for the whole job."""
        done = 0
        for event in ("due", "overdue"):
            while True:
                plans = self._crm_claim_reminders(event, REMINDER_BATCH)
                if not plans:
                    break
                plans._crm_remind(event)
                done += len(plans)
                if len(plans) < REMINDER_BATCH:
                    break
                # the host's cron commits the batch and calls again for the rest
                self.env["ir.cron"]._notify_progress(done=done, remaining=REMINDER_BATCH)
                return
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)

    @api.model
    def _crm_claim_reminders(self, event, limit):
        """Stamp and return up to ``limit`` instalments to remind of ``event`` now: due
        within the company's reminder days, or past their date, in the company's day.
        The days of each company are a range on the index of open instalments."""
        self.env.flush_all()
        column = SQL.identifier(f"date_reminded_{event}")
        windows = []
        open_states = [("state", "in", ("planned", "partial", "overdue"))]
        for [company] in self.sudo()._read_group(open_states, ["company_id"]):
            today = company._crm_today()
            if event == "due":
                windows.append((company.id, today,
                                today + timedelta(days=company.crm_collection_reminder_days)))
            else:
                windows.append((company.id, date.min, today - timedelta(days=1)))
        if not windows:
            return self.browse()
        self.env.cr.execute(SQL(
            """
            UPDATE crm_collection_plan claimed
               SET %(column)s = now() AT TIME ZONE 'UTC'
             WHERE claimed.id IN (
                   SELECT plan.id
                     FROM crm_collection_plan plan
                     JOIN (VALUES %(windows)s) AS span(company_id, date_from, date_to)
                       ON plan.company_id = span.company_id
                      AND plan.date_planned BETWEEN span.date_from AND span.date_to
                    WHERE plan.%(column)s IS NULL
                      AND plan.state IN ('planned', 'partial', 'overdue')
                      AND plan.amount_outstanding > 0
                    ORDER BY plan.date_planned, plan.id
                    LIMIT %(limit)s
                      FOR UPDATE OF plan SKIP LOCKED)
               AND claimed.%(column)s IS NULL
            RETURNING claimed.id
            """,
            column=column, limit=limit,
            windows=SQL(", ").join(
                SQL("(%s::int, %s::date, %s::date)", *window) for window in windows),
        ))
        ids = [row[0] for row in self.env.cr.fetchall()]
        self.invalidate_model([f"date_reminded_{event}"])
        return self.browse(ids)

    def _crm_remind(self, event):
        """The activity of ``event`` for each instalment's salesperson (else the
        company's default CRM responsible): its type names it, in the reader's
        language; the instalment tells the rest."""
        xmlid = f"crm_core.mail_activity_type_collection_{event}"
        batches = defaultdict(lambda: self.browse())
        for plan in self.sudo():
            user = plan.user_id or plan.company_id.crm_fallback_user_id
            if user:
                # the company's today (the job's user has a time zone of its own)
                deadline = plan.date_planned if event == "due" \
                    else plan.company_id._crm_today()
                batches[user, deadline] |= plan
        # one creation of activities per salesperson and deadline
        for (user, deadline), plans in batches.items():
            plans.sudo().activity_schedule(xmlid, user_id=user.id, date_deadline=deadline)
        _logger.info("Collection reminders (%s): %s instalments", event, len(self))

    # demo data ---------------------------------------------------------------

    @api.model
    def _crm_demo_collect(self, order_ids, fraction, days_ago=0):
        """Demo data: invoice each order, post the invoice and register a customer
        payment of ``fraction`` of it, dated ``days_ago`` days ago, as an accountant
        would."""
        orders = self.env["sale.order"].browse(order_ids)
        date = fields.Date.context_today(self) - timedelta(days=days_ago)
        for order in orders:
            invoice = order._create_invoices()
            invoice.invoice_date = date
            invoice.action_post()
            journal = self.env["account.journal"].search([
                ("type", "=", "bank"), ("company_id", "=", order.company_id.id),
            ], limit=1)
            if not journal or not fraction:
                continue
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids,
            ).create({
                "amount": invoice.currency_id.round(invoice.amount_total * fraction),
                "payment_date": date, "journal_id": journal.id,
            })._create_payments()
