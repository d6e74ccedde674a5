import logging
from collections import defaultdict

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

MAX_DAYS = 3650  # ten years: further than any birthday, warranty or inactivity

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
    _inherit = ["mail.thread", "crm.protected.fields.mixin"]
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
        default=lambda self: self.env.company._crm_today(),
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
        help="Gets the activity when the customer has no salesperson. Without it, the "
        "leader of the customer's sales team, then the Default CRM Responsible of the "
        "company (Settings) get it.",
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

    @api.model
    def _crm_server_fields(self):
        # the log is the job's record of what it did
        return (*super()._crm_server_fields(), "log_ids")

    @api.constrains("days", "trigger", "action", "mail_template_id", "sms_body")
    def _check_rule(self):
        for rule in self:
            if rule.days < 0:
                raise ValidationError(
                    self.env._("The number of days of care rule %(rule)s cannot be negative.",
                               rule=rule.name))
            if rule.days > MAX_DAYS:
                raise ValidationError(
                    self.env._("The number of days of care rule %(rule)s must be at most "
                               "%(max)s (%(days)s given).",
                               rule=rule.name, max=MAX_DAYS, days=rule.days))
            if rule.trigger in ("after_order", "inactive") and not rule.days:
                raise ValidationError(
                    self.env._("Care rule %(rule)s needs a number of days.", rule=rule.name))
            if rule.action == "email" and not rule.mail_template_id:
                raise ValidationError(
                    self.env._("Care rule %(rule)s sends an email: choose its template.",
                               rule=rule.name))
            if rule.action == "sms" and not rule.sms_body:
                raise ValidationError(
                    self.env._("Care rule %(rule)s sends an SMS: write its text.",
                               rule=rule.name))

    # Occasions ---------------------------------------------------------------

    def _occasions_sql(self, today):
        """``(partner_id, occasion, sale_order_id)`` rows due today for this rule.

        The day of an order is the day of the rule's company, in its time zone, as
        ``today`` is (see ``_run``)."""
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
                   AND %(day)s + %(days)s <= %(today)s
                   AND %(day)s + %(days)s >= %(start)s
                """,
                company=company, today=today, days=self.days, start=self.date_start,
                day=self.company_id._crm_local_date_sql(SQL("so.date_order")),
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
                           %(day)s AS day
                      FROM sale_order so
                      JOIN res_partner cp ON cp.id = so.partner_id
                     WHERE so.state = 'sale' AND so.company_id = %(company)s
                     ORDER BY cp.commercial_partner_id, so.date_order DESC, so.id DESC) last
             WHERE last.day + %(days)s <= %(today)s
               AND last.day + %(days)s >= %(start)s
            """,
            company=company, today=today, days=self.days, start=self.date_start,
            day=self.company_id._crm_local_date_sql(SQL("so.date_order")),
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
        """Act once on every occasion due today (by default, today in the time zone of
        each rule's company, whoever runs it); return the new log lines."""
        logs = self.env["crm.care.log"]
        for rule in self:
            new_logs = rule._claim_occasions(today or rule.company_id._crm_today())
            if new_logs:
                rule._act(new_logs)
            logs |= new_logs
        return logs

    def _act(self, logs):
        self.ensure_one()
        partners = logs.partner_id
        if self.action == "activity":
            teams = self._get_customer_teams(partners)
            unassigned = self.env["res.partner"]
            # the occasions of each person who does them (a customer may have two)
            occasions = defaultdict(list)
            for log in logs:
                partner = log.partner_id
                user = self._get_responsible(
                    partner, log.sale_order_id, teams.get(partner.commercial_partner_id.id))
                if not user:
                    unassigned |= partner
                    continue
                occasions[user].append(partner.id)
            for user, partner_ids in occasions.items():
                # written in the language of whoever does them, not of the job's user
                rule = self.with_context(lang=user.lang or self.env.lang)
                # due on the company's day (the type's delay counts from it), not on
                # the day of the job's user; one batch per person
                self.env["res.partner"].browse(partner_ids).with_context(
                    tz=self.company_id._crm_tz()).activity_schedule(
                    activity_type_id=self.activity_type_id.id or False,
                    summary=rule.activity_summary or rule.name,
                    note=rule.env._("Customer care: %(rule)s", rule=rule.name),
                    user_id=user.id,
                )
            if unassigned:
                self._log_unassigned(unassigned)
        elif self.action == "email":
            self.mail_template_id.send_mail_batch(partners.ids)
        elif self.action == "sms":
            # in the customer's language; queued, the host's SMS job sends them in batches
            for partner in partners:
                body = self.with_context(lang=partner.lang).sms_body
                partner._message_sms(body=body, put_in_queue=True)

    def _get_customer_teams(self, partners):
        """The sales team of each customer: the team of its latest sale order in the
        rule's company (contacts rolled up to their company), in one query.

        :return: ``{commercial_partner_id: crm.team}``
        """
        self.ensure_one()
        commercial_ids = tuple(set(partners.commercial_partner_id.ids))
        if not commercial_ids:
            return {}
        self.env["sale.order"].flush_model(["partner_id", "team_id", "company_id", "date_order"])
        self.env.cr.execute(SQL(
            """
            SELECT DISTINCT ON (p.commercial_partner_id) p.commercial_partner_id, so.team_id
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
             WHERE p.commercial_partner_id IN %s AND so.company_id = %s
               AND so.team_id IS NOT NULL AND so.state != 'cancel'
             ORDER BY p.commercial_partner_id, so.date_order DESC, so.id DESC
            """,
            commercial_ids, self.company_id.id,
        ))
        Team = self.env["crm.team"]
        return {partner_id: Team.browse(team_id) for partner_id, team_id in self.env.cr.fetchall()}

    def _get_responsible(self, partner, order=None, team=None):
        """The person who gets the care activity of ``partner``: the customer's
        salesperson (of the contact, of its company, else of the order of the
        occasion), else the rule's responsible, else the leader of the customer's
        sales team (of the order, of the customer's latest order, of its salesperson),
        else the company's Default CRM Responsible. Never the system user, an archived
        or a portal user, and only a user of the rule's company.

        :return: a ``res.users`` record, empty when nobody applies
        """
        self.ensure_one()
        commercial = partner.commercial_partner_id
        order = order or self.env["sale.order"]
        salespeople = partner.user_id | commercial.user_id | order.user_id
        candidates = (
            partner.user_id, commercial.user_id, order.user_id,
            self.user_id,
            order.team_id.user_id, (team or self.env["crm.team"]).user_id,
            *(user.sudo().sale_team_id.user_id for user in salespeople),
            self.company_id.crm_fallback_user_id,
        )
        for user in candidates:
            if self._is_valid_responsible(user):
                return user
        return self.env["res.users"]

    def _is_valid_responsible(self, user):
        user = user.sudo()
        return bool(user) and user.active and not user.share \
            and user.id != SUPERUSER_ID and self.company_id in user.company_ids

    def _log_unassigned(self, partners):
        """No activity without a person to do it: say so on the rule and in the log."""
        self.ensure_one()
        _logger.warning(
            "Customer care rule %s: no responsible for partners %s, no activity created",
            self.id, partners.ids,
        )
        self.sudo().message_post(
            body=self.env._(
                "No activity was created for %(partners)s: they have no salesperson, the "
                "rule has no fallback responsible, their sales team has no leader and the "
                "company has no Default CRM Responsible (Settings).",
                partners=", ".join(partners.mapped("display_name")),
            ),
            subtype_xmlid="mail.mt_note",
        )

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

    @api.readonly
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
