import logging
from datetime import timedelta

import phonenumbers
import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_time

from .crm_call import DNC_CODES

_logger = logging.getLogger(__name__)

# why an entry is skipped or failed: stored as a code, told in the reader's language
SKIP_CODES = [
    *DNC_CODES,
    ("max_attempts", "No result after the maximum of attempts"),
    ("outcome", "Dial outcome"),
]
ENTRY_STATES = [
    ("pending", "Pending"),
    ("in_progress", "In Progress"),
    ("done", "Done"),
    ("skipped", "Skipped"),
    ("failed", "Failed"),
]


class CrmCallListEntry(models.Model):
    _name = "crm.call.list.entry"
    _description = "Call List Entry"
    _inherit = ["mail.thread.phone", "crm.protected.fields.mixin"]
    _order = "list_id, date_next_attempt, id"
    _check_company_auto = True
    _rec_name = "phone"

    list_id = fields.Many2one(
        "crm.call.list", string="Call List", required=True, index=True, ondelete="cascade",
    )
    company_id = fields.Many2one(related="list_id.company_id", store=True, index=True)
    campaign_id = fields.Many2one(related="list_id.campaign_id", store=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", index=True, check_company=True,
    )
    phone = fields.Char(required=True, help="The number to call, as typed.")
    phone_sanitized = fields.Char(string="Number (E.164)", index=True)
    tz = fields.Char(
        string="Customer's Time Zone", compute="_compute_tz", store=True,
        help="The calling hours are the called party's: the customer's time zone, else "
        "their country's (or the number's), else the company's.",
    )
    state = fields.Selection(
        ENTRY_STATES, required=True, default="pending", index=True, copy=False,
    )
    skip_code = fields.Selection(SKIP_CODES, string="Skip Reason Code", readonly=True,
                                 copy=False, index=True)
    skip_reason = fields.Char(compute="_compute_skip_reason")
    skip_text = fields.Char(
        string="Former Skip Reason", readonly=True, copy=False,
        help="The reason as written before reasons were stored as codes.",
    )
    attempt_count = fields.Integer(string="Attempts", readonly=True, copy=False)
    date_next_attempt = fields.Datetime(
        string="Next Attempt", readonly=True, copy=False, index=True,
        help="The entry is not offered before this time (empty: at once).",
    )
    date_last_attempt = fields.Datetime(string="Last Attempt", readonly=True, copy=False)
    date_reserved = fields.Datetime(
        string="Reserved On", readonly=True, copy=False,
        help="When an agent took the entry; left in progress too long, it goes back to "
        "pending (see the call list's reservation timeout).",
    )
    outcome_id = fields.Many2one(
        "crm.call.outcome", string="Last Outcome", readonly=True, copy=False,
    )
    agent_id = fields.Many2one(
        "crm.call.agent", readonly=True, copy=False, index=True, check_company=True,
    )
    user_id = fields.Many2one(
        related="agent_id.user_id", store=True, index=True, string="Agent User",
    )
    call_id = fields.Many2one(
        "crm.call", string="Last Call", readonly=True, copy=False, check_company=True,
    )
    note = fields.Text(string="Notes")
    script = fields.Html(related="list_id.note", string="Call Script")
    do_not_call = fields.Boolean(
        compute="_compute_do_not_call",
        help="The number is on the do-not-call list or the customer asked not to be "
        "called: Dial will refuse it.",
    )

    @api.depends("partner_id", "phone")
    def _compute_display_name(self):
        """The customer, as agents know whom they call; the number without one."""
        for entry in self:
            entry.display_name = entry.partner_id.display_name or entry.phone or ""

    @api.depends("partner_id.crm_call_opt_out", "phone_sanitized")
    def _compute_do_not_call(self):
        codes = self._do_not_call_codes()
        for entry in self:
            entry.do_not_call = entry.id in codes

    # numbers through the host's mail.thread.phone: read in the customer's country,
    # else the list's company's

    def _phone_get_number_fields(self):
        return ["phone"]

    def _phone_get_sanitize_triggers(self):
        return ["phone", "partner_id", "partner_id.country_id", "list_id"]

    def _phone_get_country(self):
        return {
            entry.id: entry.partner_id.country_id or entry.list_id.company_id.country_id
            for entry in self
            if entry.partner_id.country_id or entry.list_id.company_id.country_id
        }

    @api.depends("partner_id.tz", "partner_id.country_id", "phone_sanitized",
                 "list_id.company_id")
    def _compute_tz(self):
        for entry in self:
            entry.tz = entry._callee_tz()

    def _callee_tz(self):
        """The called party's time zone: the customer's, else the first of their
        country's (or of the number's country), else the company's."""
        self.ensure_one()
        partner = self.partner_id
        if partner.tz in pytz.all_timezones_set:
            return partner.tz
        country = partner.country_id.code
        if not country and self.phone_sanitized:
            try:
                country = phonenumbers.region_code_for_number(
                    phonenumbers.parse(self.phone_sanitized))
            except phonenumbers.NumberParseException:
                country = None
        zones = pytz.country_timezones.get(country or "", [])
        if zones:
            return zones[0]
        return (self.list_id.company_id or self.env.company)._crm_tz()

    @api.model
    def _normalize(self, phone, partner, company):
        """``phone`` in E.164 as ``phone_sanitized`` will store it, before the entry
        exists: read in the customer's country, else the company's."""
        if not phone or not isinstance(phone, str):
            return False
        return self.browse()._phone_format(
            number=phone, country=partner.country_id or company.country_id or False,
        )

    @api.model_create_multi
    def create(self, vals_list):
        """Entries are built by the thousand: no creation message, no follower (their
        chatter holds the agents' notes)."""
        return super(CrmCallListEntry, self.with_context(
            mail_create_nolog=True, mail_create_nosubscribe=True,
        )).create(vals_list)

    @api.model
    def _crm_server_fields(self):
        # the reservation, the dial results and the do-not-call list move them
        return (
            *super()._crm_server_fields(),
            "state", "skip_code", "skip_reason", "skip_text", "attempt_count",
            "date_next_attempt", "date_last_attempt",
            "outcome_id", "agent_id", "call_id", "phone_sanitized", "date_reserved", "tz",
            # stored copies of the agent's and the list's
            "user_id", "company_id", "campaign_id",
        )

    @api.model
    def _crm_add_server_values(self, vals_list):
        """A new entry for a do-not-call number or customer is skipped, with the reason."""
        vals_list = super()._crm_add_server_values(vals_list)
        todo = [vals for vals in vals_list if vals.get("state", "pending") == "pending"]
        if not todo:
            return vals_list
        lists = self.env["crm.call.list"].sudo().browse({vals.get("list_id") for vals in todo})
        partners = self.env["res.partner"].sudo().browse(
            {vals["partner_id"] for vals in todo if vals.get("partner_id")}
        )
        items = []
        for vals in todo:
            partner = partners.browse(vals.get("partner_id") or [])
            company = lists.browse(vals.get("list_id") or []).company_id
            items.append((partner, self._normalize(vals.get("phone"), partner, company)))
        for vals, code in zip(todo, self._do_not_call_code_list(items), strict=True):
            if code:
                vals.update(state="skipped", skip_code=code)
        return vals_list

    @api.depends("skip_code", "skip_text", "partner_id", "phone_sanitized", "phone",
                 "attempt_count", "outcome_id")
    @api.depends_context("lang")
    def _compute_skip_reason(self):
        for entry in self:
            if entry.skip_code == "outcome":
                entry.skip_reason = entry.outcome_id.name
            elif entry.skip_code == "max_attempts":
                entry.skip_reason = self.env._("No result after %(count)s attempts.",
                                               count=entry.attempt_count)
            elif entry.skip_code:
                entry.skip_reason = entry._do_not_call_text(
                    entry.skip_code, entry.partner_id, entry.phone_sanitized or entry.phone)
            else:
                entry.skip_reason = entry.skip_text

    # do-not-call -----------------------------------------------------------

    @api.model
    def _do_not_call_code_list(self, items):
        """Why each ``(partner, normalized number)`` may not be called, as a code, or
        False: ``opt_out`` (the customer asked not to be called) or ``blacklist`` (the
        number is on the host's do-not-call list, ``phone.blacklist``). One query for
        all the numbers."""
        numbers = list({number for __, number in items if number})
        blacklisted = set(
            self.env["phone.blacklist"].sudo().search([("number", "in", numbers)]).mapped(
                "number")
        ) if numbers else set()
        codes = []
        for partner, number in items:
            if partner and partner.sudo().crm_call_opt_out:
                codes.append("opt_out")
            elif number and number in blacklisted:
                codes.append("blacklist")
            else:
                codes.append(False)
        return codes

    @api.model
    def _do_not_call_text(self, code, partner, number):
        """The do-not-call ``code`` told in the reader's language."""
        if code == "opt_out":
            return self.env._("%(customer)s asked not to be called (Do Not Call).",
                              customer=partner.sudo().display_name)
        return self.env._("The number %(number)s is on the do-not-call list.", number=number)

    @api.model
    def _do_not_call_reason_list(self, items):
        """Why each ``(partner, normalized number)`` may not be called, in the
        reader's language, or False."""
        return [
            self._do_not_call_text(code, partner, number) if code else False
            for (partner, number), code in zip(items, self._do_not_call_code_list(items),
                                               strict=True)
        ]

    def _do_not_call_codes(self):
        """``{entry id: code}`` for the entries that may not be called now."""
        codes = self._do_not_call_code_list(
            [(entry.partner_id, entry.phone_sanitized) for entry in self]
        )
        return {entry.id: code for entry, code in zip(self, codes, strict=True) if code}

    def _do_not_call_reasons(self):
        """``{entry id: reason}`` for the entries that may not be called now."""
        codes = self._do_not_call_codes()
        return {
            entry.id: self._do_not_call_text(codes[entry.id], entry.partner_id,
                                             entry.phone_sanitized)
            for entry in self if entry.id in codes
        }

    # actions ---------------------------------------------------------------

    def _check_own(self):
        """An agent works the entries reserved for them; supervisors any entry."""
        if self.env.su or self.env.user.has_group(
            "crm_callcenter.group_crm_callcenter_supervisor"
        ):
            return
        if any(entry.user_id != self.env.user for entry in self):
            raise AccessError(self.env._("This entry is reserved for another agent."))

    def action_dial(self):
        """Call the entry's number: an outbound call for the user's agent, opened in its
        form. Refused for a do-not-call number or customer."""
        self.ensure_one()
        self.check_access("read")
        agent = self.env["crm.call.agent"]._crm_current_agent(self.company_id)
        entry = self.sudo()
        reason = entry._do_not_call_reasons().get(entry.id)
        if reason:
            raise UserError(self.env._("Not dialled: %(reason)s", reason=reason))
        now = fields.Datetime.now()
        if not entry.list_id._in_calling_hours(now, entry.tz):
            call_list = entry.list_id
            raise UserError(self.env._(
                "It is %(time)s for %(customer)s (%(tz)s), outside the calling hours of "
                "%(list)s (%(start)s to %(end)s): call later.",
                time=format_time(self.env, now, tz=entry.tz or "UTC", time_format="HH:mm"),
                customer=entry.partner_id.display_name or entry.phone, tz=entry.tz,
                list=call_list.name, start=call_list._format_hour(call_list.hour_from),
                end=call_list._format_hour(call_list.hour_to),
            ))
        if entry.state == "pending":
            held = entry.list_id._held_entry(agent)
            if held:
                raise UserError(self.env._(
                    "You are calling %(entry)s of this list already: record its outcome "
                    "before dialling another entry.", entry=held.display_name))
            entry._lock_pending()
            entry.write({"state": "in_progress", "agent_id": agent.id,
                         "date_reserved": now})
        elif entry.state != "in_progress":
            raise UserError(self.env._(
                "This entry is %(state)s: there is nothing to dial.",
                state=dict(self._fields["state"]._description_selection(self.env))[
                    entry.state],
            ))
        else:
            self._check_own()
        call = entry.call_id
        if not call or call.state not in ("queued", "ringing", "in_progress"):
            call = self.env["crm.cti.endpoint"]._crm_dial(
                entry.company_id, entry.phone, entry.partner_id, {
                    "campaign_id": entry.list_id.campaign_id.id,
                    "routing_steps": [{"code": "call_list", "list": entry.list_id.id}],
                }, agent=entry.agent_id or agent, keep_open=True,
            )
            entry.call_id = call
        return call._open(call)

    def _lock_pending(self):
        """Lock the pending entry, or refuse when another agent holds it."""
        self.ensure_one()
        self.flush_recordset(["state"])
        self.env.cr.execute(SQL(
            "SELECT id FROM crm_call_list_entry WHERE id = %s AND state = 'pending' "
            "FOR UPDATE SKIP LOCKED", self.id,
        ))
        if not self.env.cr.fetchone():
            raise UserError(self.env._("Another agent is calling this entry."))

    def action_record_outcome(self):
        self.ensure_one()
        self._check_own()
        return self.env["crm.call.list.outcome.wizard"].with_context(
            default_entry_id=self.id,
        )._get_records_action(name=self.env._("Dial Outcome"), target="new")

    def _record_outcome(self, outcome, note=None, now=None):
        """The dial result of the entry in progress: its call gets the outcome, the
        entry is done, retried, failed or skipped as the outcome's action says."""
        self.ensure_one()
        self.check_access("read")
        self._check_own()
        entry = self.sudo()
        if entry.state != "in_progress":
            raise UserError(self.env._("Reserve or dial the entry before recording its outcome."))
        now = now or fields.Datetime.now()
        call = entry.call_id
        if call:
            call_vals = {"outcome_id": outcome.id}
            closing = call.state in ("queued", "ringing", "in_progress")
            if closing:
                call_vals.update(state="done", date_end=now)
            if note:
                call_vals["note"] = f"{call.note}\n{note}" if call.note else note
            call.write(call_vals)
            if closing:
                # the PBX's later "ended" finds the call done: the agent is free now
                self.env["crm.cti.endpoint"].sudo()._cti_release(call, now)
        attempts = entry.attempt_count + 1
        vals = {
            "attempt_count": attempts, "date_last_attempt": now, "outcome_id": outcome.id,
        }
        if note:
            vals["note"] = f"{entry.note}\n{note}" if entry.note else note
        action = outcome.action
        if action == "retry":
            if attempts >= entry.list_id.max_attempts:
                vals.update(state="failed", skip_code="max_attempts")
            else:
                vals.update(
                    state="pending", agent_id=False, date_reserved=False,
                    date_next_attempt=now + timedelta(hours=entry.list_id.retry_delay_hours),
                )
        elif action == "stop":
            vals.update(state="failed", skip_code="outcome")
        elif action == "do_not_call":
            entry.write(vals)
            entry._add_to_do_not_call(outcome)
            return True
        else:
            vals["state"] = "done"
        entry.write(vals)
        return True

    def _add_to_do_not_call(self, outcome):
        """Put the number on the host's do-not-call list, and skip this entry and the
        other pending entries of that number."""
        self.ensure_one()
        number = self.phone_sanitized or self.phone
        self.env["phone.blacklist"].sudo()._add([number], message=self.env._(
            "Asked not to be called (%(outcome)s) on the call list %(list)s.",
            outcome=outcome.name, list=self.list_id.name,
        ))
        others = self.sudo().search([
            ("phone_sanitized", "=", number), ("state", "=", "pending"),
            ("id", "!=", self.id),
        ])
        (self | others).write({"state": "skipped", "skip_code": "blacklist"})

    @api.model
    def _cron_release_stuck_entries(self, now=None):
        """Entries an agent reserved and left in progress longer than their list's
        reservation timeout go back to pending, for any agent to call; an entry whose
        call is being talked right now stays. One query, whatever the number of lists.

        :return: the released entries
        """
        now = now or fields.Datetime.now()
        self.flush_model(["state", "date_reserved", "call_id", "list_id"])
        self.env["crm.call.list"].flush_model(["reservation_timeout_minutes"])
        self.env["crm.call"].flush_model(["state"])
        self.env.cr.execute(SQL(
            """
            SELECT entry.id
              FROM crm_call_list_entry entry
              JOIN crm_call_list list ON list.id = entry.list_id
              LEFT JOIN crm_call call ON call.id = entry.call_id
             WHERE entry.state = 'in_progress'
               AND list.reservation_timeout_minutes > 0
               AND COALESCE(entry.date_reserved, entry.write_date)
                   < %(now)s - make_interval(mins => list.reservation_timeout_minutes)
               AND (call.id IS NULL OR call.state != 'in_progress')
               FOR UPDATE OF entry SKIP LOCKED
            """,
            now=now,
        ))
        entries = self.sudo().browse(row[0] for row in self.env.cr.fetchall())
        if entries:
            entries.write({"state": "pending", "agent_id": False, "date_reserved": False})
            _logger.info("Released %s call list entries reserved for too long", len(entries))
        return entries
