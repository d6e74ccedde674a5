import logging

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

TRIGGERS = [
    ("birthday", "Birthday"),
    ("after_order", "Days after a confirmed order"),
    ("before_end", "Days before the warranty/contract end"),
    ("inactive", "Days without an order"),
]
ACTIONS = [
    ("activity", "Activity for the salesperson"),
    ("email", "Email"),
    ("sms", "SMS"),
]


class CrmCareRule(models.Model):
    _name = "crm.care.rule"
    _description = "Customer Care Rule"
    _inherit = ["mail.thread"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    trigger = fields.Selection(TRIGGERS, required=True, default="birthday", tracking=True)
    days = fields.Integer(
        tracking=True,
        help="Birthday: days before the birthday (0: on the day). After an order: days "
        "after its confirmation. Warranty end: days before it. Inactivity: days since "
        "the last order.",
    )
    date_start = fields.Date(
        string="Active From",
        required=True,
        default=fields.Date.context_today,
        help="Occasions falling before this day are ignored, so that a new rule does not "
        "act on the whole history.",
    )
    segment_id = fields.Many2one(
        "crm.segment", check_company=True,
        help="Only customers of this segment (all customers when empty).",
    )
    action = fields.Selection(ACTIONS, required=True, default="activity", tracking=True)
    activity_type_id = fields.Many2one(
        "mail.activity.type", default=lambda self: self.env.ref(
            "mail.mail_activity_data_call", raise_if_not_found=False),
    )
    activity_summary = fields.Char(translate=True)
    user_id = fields.Many2one(
        "res.users", string="Fallback Responsible", domain=[("share", "=", False)],
        help="Gets the activity when the customer has no salesperson.",
    )
    mail_template_id = fields.Many2one(
        "mail.template", string="Email Template",
        domain=[("model", "=", "res.partner")],
    )
    sms_body = fields.Text(string="SMS Text", translate=True)
    log_ids = fields.One2many("crm.care.log", "rule_id", string="Actions Log")
    log_count = fields.Integer(compute="_compute_log_count")

    def _compute_log_count(self):
        groups = self.env["crm.care.log"]._read_group(
            [("rule_id", "in", self.ids)], ["rule_id"], ["__count"]
        )
        counts = {rule.id: count for rule, count in groups}
        for rule in self:
            rule.log_count = counts.get(rule.id, 0)

    @api.constrains("days", "trigger", "action", "mail_template_id", "sms_body")
    def _check_rule(self):
        for rule in self:
            if rule.days < 0:
                raise ValidationError(
                    self.env._("The number of days of care rule %(rule)s cannot be negative.",
                               rule=rule.name))
            if rule.trigger in ("after_order", "inactive") and not rule.days:
                raise ValidationError(
                    self.env._("Care rule %(rule)s needs a number of days.", rule=rule.name))
            if rule.action == "email" and not rule.mail_template_id:
                raise ValidationError(
                    self.env._("Care rule %(rule)s sends an email: choose its template.",
                               rule=rule.name))
            if rule.action == "sms":
                if "sms.sms" not in self.env:
                    raise ValidationError(
                        self.env._("Care rule %(rule)s sends SMS, but the SMS app is not "
                                   "installed.", rule=rule.name))
                if not rule.sms_body:
                    raise ValidationError(
                        self.env._("Care rule %(rule)s sends an SMS: write its text.",
                                   rule=rule.name))

    # Occasions ---------------------------------------------------------------

    def _occasions_sql(self, today):
        """``(partner_id, occasion, sale_order_id)`` rows due today for this rule."""
        self.ensure_one()
        company = self.company_id.id
        if self.trigger == "birthday":
            return SQL(
                """
                SELECT b.id, 'birthday-' || EXTRACT(YEAR FROM b.next_birthday)::int, NULL::int
                  FROM (SELECT p.id,
                               CASE WHEN this_year >= %(today)s THEN this_year
                                    ELSE (p.birthdate + make_interval(
                                          years => EXTRACT(YEAR FROM %(today)s)::int
                                                   - EXTRACT(YEAR FROM p.birthdate)::int + 1))::date
                               END AS next_birthday
                          FROM res_partner p,
                               LATERAL (SELECT (p.birthdate + make_interval(
                                          years => EXTRACT(YEAR FROM %(today)s)::int
                                                   - EXTRACT(YEAR FROM p.birthdate)::int))::date
                                        AS this_year) y
                         WHERE p.birthdate IS NOT NULL AND p.active) b
                 WHERE b.next_birthday - %(days)s <= %(today)s
                   AND b.next_birthday - %(days)s >= %(start)s
                """,
                today=today, days=self.days, start=self.date_start,
            )
        if self.trigger == "after_order":
            return SQL(
                """
                SELECT so.partner_id, 'order-' || so.id, so.id
                  FROM sale_order so
                 WHERE so.state = 'sale' AND so.company_id = %(company)s
                   AND so.date_order::date + %(days)s <= %(today)s
                   AND so.date_order::date + %(days)s >= %(start)s
                """,
                company=company, today=today, days=self.days, start=self.date_start,
            )
        if self.trigger == "before_end":
            return SQL(
                """
                SELECT so.partner_id, 'end-' || so.id || '-' || so.warranty_end_date, so.id
                  FROM sale_order so
                 WHERE so.state = 'sale' AND so.company_id = %(company)s
                   AND so.warranty_end_date IS NOT NULL
                   AND so.warranty_end_date - %(days)s <= %(today)s
                   AND so.warranty_end_date >= %(today)s
                   AND so.warranty_end_date - %(days)s >= %(start)s
                """,
                company=company, today=today, days=self.days, start=self.date_start,
            )
        # inactive: one occasion per episode, named after the last order
        return SQL(
            """
            SELECT last.partner_id, 'inactive-' || last.order_id, last.order_id
              FROM (SELECT DISTINCT ON (cp.commercial_partner_id)
                           cp.commercial_partner_id AS partner_id, so.id AS order_id,
                           so.date_order::date AS day
                      FROM sale_order so
                      JOIN res_partner cp ON cp.id = so.partner_id
                     WHERE so.state = 'sale' AND so.company_id = %(company)s
                     ORDER BY cp.commercial_partner_id, so.date_order DESC, so.id DESC) last
             WHERE last.day + %(days)s <= %(today)s
               AND last.day + %(days)s >= %(start)s
            """,
            company=company, today=today, days=self.days, start=self.date_start,
        )

    def _claim_occasions(self, today):
        """Insert the log lines of the due occasions and return the new ones.

        The unique constraint of the log and ``ON CONFLICT DO NOTHING`` make
        each occasion claimed once, however often and concurrently the job runs.
        """
        self.ensure_one()
        self.env.flush_all()
        if self.segment_id:
            members = self.segment_id._get_member_query().subselect()
        else:
            members = SQL(
                "(SELECT id FROM res_partner WHERE company_id IS NULL OR company_id = %s)",
                self.company_id.id,
            )
        self.env.cr.execute(SQL(
            """
            INSERT INTO crm_care_log (rule_id, partner_id, occasion, sale_order_id, date,
                                      action, trigger, company_id,
                                      create_uid, create_date, write_uid, write_date)
            SELECT %(rule)s, o.partner_id, o.occasion, o.order_id, NOW() AT TIME ZONE 'UTC',
                   %(action)s, %(trigger)s, %(company)s,
                   %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
              FROM (%(occasions)s) AS o(partner_id, occasion, order_id)
             WHERE o.partner_id IN %(members)s
            ON CONFLICT (rule_id, partner_id, occasion) DO NOTHING
            RETURNING id
            """,
            rule=self.id,
            action=self.action,
            trigger=self.trigger,
            company=self.company_id.id,
            uid=self.env.uid,
            occasions=self._occasions_sql(today),
            members=members,
        ))
        ids = [row[0] for row in self.env.cr.fetchall()]
        return self.env["crm.care.log"].browse(ids)

    def _run(self, today=None):
        """Act once on every occasion due today; return the new log lines."""
        today = today or fields.Date.context_today(self)
        logs = self.env["crm.care.log"]
        for rule in self:
            new_logs = rule._claim_occasions(today)
            if new_logs:
                rule._act(new_logs)
            logs |= new_logs
        return logs

    def _act(self, logs):
        self.ensure_one()
        partners = logs.partner_id
        if self.action == "activity":
            for log in logs:
                partner = log.partner_id
                user = (partner.user_id or partner.commercial_partner_id.user_id
                        or log.sale_order_id.user_id or self.user_id or self.env.user)
                partner.activity_schedule(
                    activity_type_id=self.activity_type_id.id or False,
                    summary=self.activity_summary or self.name,
                    note=self.env._("Customer care: %(rule)s", rule=self.name),
                    user_id=user.id,
                )
        elif self.action == "email":
            self.mail_template_id.send_mail_batch(partners.ids)
        elif self.action == "sms" and "sms.sms" in self.env:
            for partner in partners:
                partner._message_sms(body=self.sms_body)

    def action_run(self):
        logs = self._run()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._("%(count)s customer care actions done.",
                                      count=len(logs)),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def action_view_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_marketing.crm_care_log_action")
        action["domain"] = [("rule_id", "=", self.id)]
        return action

    @api.model
    def _cron_run_care_rules(self):
        for rule in self.search([("active", "=", True)]):
            try:
                with self.env.cr.savepoint():
                    rule._run()
            except Exception:
                _logger.exception("Customer care rule %s failed", rule.id)
