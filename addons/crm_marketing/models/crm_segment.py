import ast

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import SQL


class CrmSegment(models.Model):
    _name = "crm.segment"
    _description = "Customer Segment"
    _inherit = ["mail.thread"]
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    color = fields.Integer()
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    domain = fields.Char(
        string="Members",
        required=True,
        default="[]",
        tracking=True,
        help="Conditions on the customer: demographic (age, gender, income band, region, "
        "industry, tier, lifecycle stage) and behavioural (days since the last order, "
        "orders and spend over the period).",
    )
    period_days = fields.Integer(
        string="Behaviour Period (days)",
        default=365,
        required=True,
        help="Number of days back over which the orders and spend of a customer are "
        "counted in the conditions of this segment.",
    )
    member_count = fields.Integer(string="Number of Members", compute="_compute_member_count")
    mailing_list_id = fields.Many2one(
        "mailing.list", copy=False, ondelete="set null", readonly=True,
        help="Mailing list kept equal to the members of the segment that have an email.",
    )
    last_sync_date = fields.Datetime(string="Last Synchronization", readonly=True, copy=False)
    campaign_ids = fields.One2many("utm.campaign", "segment_id", string="Campaigns")
    campaign_count = fields.Integer(compute="_compute_campaign_count")

    @api.depends("domain", "period_days", "company_id")
    @api.depends_context("company", "allowed_company_ids")
    def _compute_member_count(self):
        Partner = self.env["res.partner"]
        for segment in self:
            try:
                domain = segment._get_member_domain()
            except ValidationError:
                segment.member_count = 0
                continue
            segment.member_count = Partner.with_context(
                crm_period_days=segment.period_days
            ).search_count(domain)

    def _compute_campaign_count(self):
        groups = self.env["utm.campaign"]._read_group(
            [("segment_id", "in", self.ids)], ["segment_id"], ["__count"]
        )
        counts = {segment.id: count for segment, count in groups}
        for segment in self:
            segment.campaign_count = counts.get(segment.id, 0)

    @api.constrains("domain")
    def _check_domain(self):
        for segment in self:
            segment._parse_domain()

    @api.constrains("period_days")
    def _check_period_days(self):
        for segment in self:
            if segment.period_days <= 0:
                raise ValidationError(
                    self.env._(
                        "The behaviour period of segment %(segment)s must be at least one day.",
                        segment=segment.name,
                    )
                )

    def _parse_domain(self):
        """The domain of the segment as a list, checked against res.partner.

        :raise ValidationError: when it does not parse or names a missing field
        """
        self.ensure_one()
        text = (self.domain or "[]").strip()
        try:
            domain = ast.literal_eval(text)
            if not isinstance(domain, list | tuple):
                raise ValueError(text)
            domain = list(domain)
            expression.expression(
                expression.normalize_domain(domain), self.env["res.partner"]
            )
        except (ValueError, SyntaxError, TypeError, KeyError, MemoryError,
                RecursionError, AssertionError) as error:
            raise ValidationError(
                self.env._(
                    "The conditions of segment %(segment)s are not valid: %(domain)s "
                    "(%(error)s).",
                    segment=self.name,
                    domain=text,
                    error=error,
                )
            ) from error
        return domain

    def _get_member_domain(self):
        """Partners of the segment: its conditions, and never another company's."""
        self.ensure_one()
        return expression.AND([
            self._parse_domain(),
            ["|", ("company_id", "=", False), ("company_id", "=", self.company_id.id)],
        ])

    def _get_member_query(self):
        """The members as a query (no fetch), to be used as a subquery."""
        self.ensure_one()
        return self.env["res.partner"].with_context(
            crm_period_days=self.period_days
        )._search(self._get_member_domain())

    def _get_members(self):
        self.ensure_one()
        return self.env["res.partner"].with_context(crm_period_days=self.period_days).search(
            self._get_member_domain()
        )

    def action_view_members(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("contacts.action_contacts")
        action.update({
            "name": self.env._("Members of %(segment)s", segment=self.name),
            "domain": self._get_member_domain(),
            "context": {"crm_period_days": self.period_days, "create": False},
            "view_mode": "list,kanban,form",
            "views": [(False, "list"), (False, "kanban"), (False, "form")],
        })
        return action

    def action_view_campaigns(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_marketing.utm_campaign_action_marketing"
        )
        action["domain"] = [("segment_id", "=", self.id)]
        action["context"] = {"default_segment_id": self.id}
        return action

    def action_sync_mailing_list(self):
        """Make the mailing list of each segment equal to its members with an email."""
        for segment in self:
            segment._sync_mailing_list()
        return True

    def _sync_mailing_list(self):
        """Set-based: a few INSERT/DELETE statements whatever the number of members.

        Members are matched to mailing contacts by normalized email; missing
        contacts are created; subscriptions of contacts no longer in the segment
        are removed; the opt-out of staying subscriptions is kept.
        """
        self.ensure_one()
        self.check_access("write")
        if not self.mailing_list_id:
            self.mailing_list_id = self.env["mailing.list"].create({
                "name": self.name,
                "is_public": False,
            })
        members = self._get_member_query()
        list_id = self.mailing_list_id.id
        self.env.flush_all()
        cr = self.env.cr
        uid = self.env.uid
        # The member emails, materialized once: every statement below joins on them.
        cr.execute(SQL("DROP TABLE IF EXISTS crm_segment_sync_member"))
        cr.execute(SQL(
            """
            CREATE TEMPORARY TABLE crm_segment_sync_member ON COMMIT DROP AS
            SELECT DISTINCT ON (p.email_normalized) p.email_normalized, p.name, p.email
              FROM res_partner p
             WHERE p.id IN %s AND p.email_normalized IS NOT NULL
             ORDER BY p.email_normalized, p.id
            """,
            members.subselect(),
        ))
        cr.execute(SQL(
            "CREATE UNIQUE INDEX ON crm_segment_sync_member (email_normalized); "
            "ANALYZE crm_segment_sync_member"
        ))
        # 1. a mailing contact for every member email that has none
        cr.execute(SQL(
            """
            INSERT INTO mailing_contact (name, email, email_normalized, message_bounce,
                                         create_uid, create_date, write_uid, write_date)
            SELECT m.name, m.email, m.email_normalized, 0,
                   %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
              FROM crm_segment_sync_member m
             WHERE NOT EXISTS (SELECT 1 FROM mailing_contact c
                                WHERE c.email_normalized = m.email_normalized)
            """,
            uid=uid,
        ))
        created = cr.rowcount
        # 2. subscribe the first contact of each member email not subscribed yet
        cr.execute(SQL(
            """
            INSERT INTO mailing_subscription (contact_id, list_id, opt_out,
                                              create_uid, create_date, write_uid, write_date)
            SELECT MIN(c.id), %(list)s, FALSE,
                   %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
              FROM mailing_contact c
              JOIN crm_segment_sync_member m ON m.email_normalized = c.email_normalized
             WHERE NOT EXISTS (SELECT 1 FROM mailing_subscription s
                                 JOIN mailing_contact sc ON sc.id = s.contact_id
                                WHERE s.list_id = %(list)s
                                  AND sc.email_normalized = c.email_normalized)
             GROUP BY c.email_normalized
            ON CONFLICT (contact_id, list_id) DO NOTHING
            """,
            list=list_id,
            uid=uid,
        ))
        added = cr.rowcount
        # 3. unsubscribe whoever is no longer a member; an opt-out is kept, so that
        #    a contact who leaves and comes back is not subscribed again
        cr.execute(SQL(
            """
            DELETE FROM mailing_subscription s
             USING mailing_contact c
             WHERE c.id = s.contact_id
               AND s.list_id = %(list)s
               AND NOT s.opt_out
               AND NOT EXISTS (SELECT 1 FROM crm_segment_sync_member m
                                WHERE m.email_normalized = c.email_normalized)
            """,
            list=list_id,
        ))
        removed = cr.rowcount
        cr.execute(SQL("DROP TABLE crm_segment_sync_member"))
        self.env.invalidate_all()
        self.last_sync_date = fields.Datetime.now()
        return {"created": created, "added": added, "removed": removed}

    @api.model
    def _cron_sync_mailing_lists(self):
        for segment in self.search([("mailing_list_id", "!=", False)]):
            segment._sync_mailing_list()
