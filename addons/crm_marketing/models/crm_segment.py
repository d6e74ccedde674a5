import ast
import logging
import math
from datetime import datetime

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression
from odoo.tools import DEFAULT_SERVER_DATE_FORMAT, DEFAULT_SERVER_DATETIME_FORMAT, SQL

from .res_partner import MAX_PERIOD_DAYS

_logger = logging.getLogger(__name__)

LIKE_OPERATORS = ("like", "not like", "ilike", "not ilike", "=like", "=ilike")
LIST_OPERATORS = ("in", "not in")
# the operators that also take False, for "is set" / "is not set"
EMPTY_OPERATORS = ("=", "!=", "=?", "in", "not in")
RELATIONAL_TYPES = ("many2one", "one2many", "many2many")
# errors of a count on conditions that fit their fields but that the database, or a
# search method, still refuses
COUNT_ERRORS = (psycopg2.Error, ValueError, OverflowError, UserError)


class CrmSegment(models.Model):
    _name = "crm.segment"
    _description = "Customer Segment"
    _inherit = ["mail.thread", "crm.protected.fields.mixin"]
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
    count_contacts = fields.Boolean(
        string="Count Contacts Individually",
        help="Count every matching contact as a member. By default a company and its "
        "contacts count as one customer. The member list and the mailing list always "
        "hold the contacts.",
    )
    member_count = fields.Integer(
        string="Number of Members",
        compute="_compute_member_count",
        help="Customers matching the conditions (a company and its contacts count once), "
        "or every matching contact when Count Contacts Individually is set.",
    )
    mailing_list_id = fields.Many2one(
        "mailing.list", copy=False, ondelete="set null", readonly=True,
        help="Mailing list kept equal to the members of the segment that have an email.",
    )
    last_sync_date = fields.Datetime(string="Last Synchronization", readonly=True, copy=False)
    campaign_ids = fields.One2many("utm.campaign", "segment_id", string="Campaigns")
    campaign_count = fields.Integer(compute="_compute_campaign_count")

    @api.model
    def _crm_server_fields(self):
        # written by the mailing-list synchronization only
        return (*super()._crm_server_fields(), "mailing_list_id", "last_sync_date")

    @api.depends("domain", "period_days", "company_id", "count_contacts")
    @api.depends_context("company", "allowed_company_ids")
    def _compute_member_count(self):
        """One count per segment; never raises: a segment whose conditions do not hold
        (saved before they were checked) counts no member, and does not stop the
        count of the others."""
        for segment in self:
            try:
                domain = segment._get_member_domain()
            except ValidationError:
                segment.member_count = 0
                continue
            try:
                with self.env.cr.savepoint(flush=False):
                    segment.member_count = segment._count_members(domain)
            except COUNT_ERRORS as error:
                _logger.warning("Segment %s could not count its members: %s", segment.id, error)
                segment.member_count = 0

    def _count_members(self, domain):
        """Matching contacts, or distinct customers (commercial partners): one query."""
        self.ensure_one()
        Partner = self.env["res.partner"].with_context(crm_period_days=self.period_days)
        if self.count_contacts:
            return Partner.search_count(domain)
        [(count,)] = Partner._read_group(domain, [], ["commercial_partner_id:count_distinct"])
        return count

    def _compute_campaign_count(self):
        groups = self.env["utm.campaign"]._read_group(
            [("segment_id", "in", self.ids)], ["segment_id"], ["__count"]
        )
        counts = {segment.id: count for segment, count in groups}
        for segment in self:
            segment.campaign_count = counts.get(segment.id, 0)

    @api.constrains("domain", "period_days", "company_id")
    def _check_domain(self):
        for segment in self:
            segment._check_period_days()  # the count below needs a valid period
            domain = segment._get_member_domain()
            # Last safety net: the conditions fit their fields, yet the database (or a
            # search method) may still refuse them; count once, in a savepoint, so that
            # a bad segment is refused here rather than breaking every count later.
            try:
                with self.env.cr.savepoint():
                    segment._count_members(domain)
            except COUNT_ERRORS as error:
                raise ValidationError(
                    self.env._(
                        "The conditions of segment %(segment)s cannot be applied: %(error)s",
                        segment=segment.name,
                        error=segment._count_error_message(error),
                    )
                ) from error

    def _count_error_message(self, error):
        if isinstance(error, psycopg2.Error):
            diag = getattr(error, "diag", None)
            message = diag and diag.message_primary
            return message or self.env._("the database refused them")
        if isinstance(error, UserError):
            return error.args[0] if error.args else str(error)
        return str(error)

    @api.constrains("period_days")
    def _check_period_days(self):
        for segment in self:
            if not 1 <= segment.period_days <= MAX_PERIOD_DAYS:
                raise ValidationError(
                    self.env._(
                        "The behaviour period of segment %(segment)s must be between 1 and "
                        "%(max)s days (%(days)s given).",
                        segment=segment.name,
                        max=MAX_PERIOD_DAYS,
                        days=segment.period_days,
                    )
                )

    def _parse_domain(self):
        """The domain of the segment as a list, checked against res.partner: every field
        exists and every value fits the field it is compared with.

        :raise ValidationError: when it does not parse, names a missing field or compares
            a field with a value of another type
        """
        self.ensure_one()
        text = (self.domain or "[]").strip()
        Partner = self.env["res.partner"]
        try:
            domain = ast.literal_eval(text)
            if not isinstance(domain, list | tuple):
                raise ValueError(text)
            domain = list(domain)
            normalized = expression.normalize_domain(domain)
        except (ValueError, SyntaxError, TypeError, KeyError, MemoryError,
                RecursionError, AssertionError) as error:
            raise self._invalid_domain_error(text, error) from error
        # the values first: building the query below already calls search methods
        self._check_domain_values(normalized, Partner)
        try:
            expression.expression(normalized, Partner)
        except (ValueError, TypeError, KeyError, RecursionError, AssertionError) as error:
            raise self._invalid_domain_error(text, error) from error
        except UserError as error:  # refused by a search method: say which segment
            raise self._invalid_domain_error(text, error.args[0]) from error
        return domain

    def _invalid_domain_error(self, text, error):
        return ValidationError(
            self.env._(
                "The conditions of segment %(segment)s are not valid: %(domain)s "
                "(%(error)s).",
                segment=self.name,
                domain=text,
                error=error,
            )
        )

    def _check_domain_values(self, domain, model):
        """Refuse a leaf whose value does not fit the type of the field it names.

        :param domain: a domain that parses, over ``model``
        :raise ValidationError: naming the segment, the field and the value
        """
        for leaf in domain:
            if not isinstance(leaf, list | tuple) or len(leaf) != 3:
                continue  # '&', '|', '!'
            path, operator, value = leaf
            if not isinstance(path, str):
                continue  # TRUE_LEAF, FALSE_LEAF
            field, comodel = self._leaf_field(path, model)
            if field is None or not isinstance(operator, str):
                continue  # refused as not valid by the domain's own check
            operator = operator.lower()
            if operator in ("any", "not any"):
                if isinstance(value, list | tuple) and comodel is not None:
                    self._check_domain_values(list(value), comodel)
                else:
                    self._raise_bad_value(model, path, value, self.env._("a list of conditions"))
                continue
            if operator in LIST_OPERATORS:
                if not isinstance(value, list | tuple):
                    self._raise_bad_value(model, path, value, self.env._("a list of values"))
                for item in value:
                    self._check_leaf_value(model, path, field, operator, item)
                continue
            self._check_leaf_value(model, path, field, operator, value)

    def _leaf_field(self, path, model):
        """The field a leaf's path ends on (None when it does not exist: the domain's
        own check says so), and its comodel when it is relational."""
        field = None
        for name in path.split("."):
            field = model._fields.get(name)
            model = self.env[field.comodel_name] if field and field.relational else None
            if model is None:
                break
        return field, model

    def _check_leaf_value(self, model, path, field, operator, value):
        """Check one value (one element of a list for ``in`` / ``not in``)."""
        if (value is False or value is None) and operator in EMPTY_OPERATORS:
            return  # is set / is not set
        if operator in LIKE_OPERATORS:
            if not isinstance(value, str):
                self._raise_bad_value(model, path, value, self.env._("a text"))
            return
        kind = field.type
        if kind in RELATIONAL_TYPES or operator in ("child_of", "parent_of"):
            if operator in LIST_OPERATORS:  # one element of the list
                if self._is_id(value):
                    return
                self._raise_bad_value(model, path, value, self.env._("a record id"))
            if isinstance(value, list | tuple):
                if all(self._is_id(item) for item in value):
                    return
            elif self._is_id(value) or isinstance(value, str):  # a text: searched by name
                return
            self._raise_bad_value(
                model, path, value, self.env._("a record id, a list of ids, a text or False"))
        expected = None
        if kind == "date":
            if not self._is_date(value):
                expected = self.env._("a date such as 2025-12-31")
        elif kind == "datetime":
            if not self._is_date(value):
                expected = self.env._("a date and time such as 2025-12-31 18:00:00")
        elif kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                expected = self.env._("a whole number")
        elif kind in ("float", "monetary"):
            if isinstance(value, bool) or not isinstance(value, int | float) \
                    or (isinstance(value, float) and not math.isfinite(value)):
                expected = self.env._("a finite number")
        elif kind == "boolean":
            if not isinstance(value, bool):
                expected = self.env._("True or False")
        elif kind in ("char", "text", "html"):
            if not isinstance(value, str):
                expected = self.env._("a text")
        elif kind == "selection":
            expected = self._check_selection_value(model, field, value)
        if expected:
            self._raise_bad_value(model, path, value, expected)

    def _check_selection_value(self, model, field, value):
        """What a selection field expects, or None when ``value`` is one of its keys."""
        if isinstance(field.selection, list | tuple):  # static: the keys are known
            keys = [key for key, _label in field.selection]
            if value in keys and not isinstance(value, bool):
                return None
            return self.env._(
                "one of %(values)s", values=", ".join(repr(key) for key in keys))
        if isinstance(value, str):  # dynamic: its keys are strings
            return None
        return self.env._("a text")

    @staticmethod
    def _is_id(value):
        return isinstance(value, int) and not isinstance(value, bool)

    @staticmethod
    def _is_date(value):
        """A date or a date and time, as the ORM writes them (and the database reads)."""
        if not isinstance(value, str):
            return False
        for pattern in (DEFAULT_SERVER_DATE_FORMAT, DEFAULT_SERVER_DATETIME_FORMAT):
            try:
                datetime.strptime(value, pattern)
            except ValueError:
                continue
            return True
        return False

    def _raise_bad_value(self, model, path, value, expected):
        name = path.split(".")[-1]
        label = model.fields_get([name], ["string"]).get(name, {}).get("string") or name
        raise ValidationError(
            self.env._(
                "The conditions of segment %(segment)s are not valid: field %(field)s "
                "(%(path)s) cannot be compared with %(value)s, it expects %(expected)s.",
                segment=self.name,
                field=label,
                path=path,
                value=repr(value),
                expected=expected,
            )
        )

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

    @api.readonly
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

    @api.readonly
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
        # one synchronization of a segment at a time (the job and the button): the
        # second waits for the first instead of creating the same contacts again
        self.env.cr.execute(SQL("SELECT id FROM crm_segment WHERE id = %s FOR UPDATE", self.id))
        # the link to the list and the date are the synchronization's to write:
        # refused to every client, written here after the access check above
        if not self.mailing_list_id:
            self.sudo().mailing_list_id = self.env["mailing.list"].create({
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
        self.sudo().last_sync_date = fields.Datetime.now()
        return {"created": created, "added": added, "removed": removed}

    @api.model
    def _cron_sync_mailing_lists(self):
        """Each segment on its own: one whose conditions break (saved before they were
        checked, or made invalid since) is logged and never stops the others."""
        for segment in self.search([("mailing_list_id", "!=", False)]):
            try:
                with self.env.cr.savepoint():
                    segment._sync_mailing_list()
            except Exception:
                _logger.exception("Mailing list of customer segment %s not synchronized",
                                  segment.id)
