import pytz

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_duration

LIST_STATES = [("draft", "Draft"), ("running", "Running"), ("done", "Done")]
ENTRY_COUNTS = ("pending", "in_progress", "done", "skipped", "failed")


class CrmCallList(models.Model):
    _name = "crm.call.list"
    _description = "Call List"
    _inherit = ["mail.thread", "mail.activity.mixin", "crm.protected.fields.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company,
    )
    user_id = fields.Many2one(
        "res.users", string="Responsible", default=lambda self: self.env.user, tracking=True,
        domain="[('share', '=', False)]",
    )
    campaign_id = fields.Many2one(
        "utm.campaign", tracking=True,
        help="The campaign the calls belong to; its target segment builds the list when "
        "no segment is set.",
    )
    segment_id = fields.Many2one(
        "crm.segment", tracking=True, check_company=True,
        help="The customers to call: its members with a phone or a mobile.",
    )
    hour_from = fields.Float(
        string="Call From", default=9.0, required=True,
        help="Calls start at this hour, on the called party's clock (the customer's "
        "time zone, else their country's, else the company's).",
    )
    hour_to = fields.Float(
        string="Call Until", default=18.0, required=True,
        help="No call is offered from this hour on, on the called party's clock.",
    )
    max_attempts = fields.Integer(
        default=3, required=True,
        help="An entry whose calls did not get through this many times fails.",
    )
    retry_delay_hours = fields.Float(
        string="Retry Delay (hours)", default=4.0, required=True,
        help="Hours to wait before calling again after no answer, busy or call back later.",
    )
    reservation_timeout_minutes = fields.Integer(
        string="Release Reservations After (min)", default=60, required=True,
        help="An entry an agent reserved and left in progress longer than this goes back "
        "to pending, for any agent to call (0: never).",
    )
    state = fields.Selection(
        LIST_STATES, required=True, default="draft", index=True, tracking=True, copy=False,
    )
    date_built = fields.Datetime(string="Last Built", readonly=True, copy=False)
    note = fields.Html(string="Call Script")
    entry_ids = fields.One2many("crm.call.list.entry", "list_id", string="Entries")
    entry_count = fields.Integer(string="Number of Entries", compute="_compute_counts")
    pending_count = fields.Integer(string="Pending", compute="_compute_counts")
    in_progress_count = fields.Integer(string="In Progress", compute="_compute_counts")
    done_count = fields.Integer(string="Done", compute="_compute_counts")
    skipped_count = fields.Integer(string="Skipped", compute="_compute_counts")
    failed_count = fields.Integer(string="Failed", compute="_compute_counts")
    progress = fields.Float(
        string="Progress (%)", compute="_compute_counts",
        help="Entries called to the end (done or failed), out of the entries to call "
        "(the skipped ones, on the do-not-call list, are not to be called).",
    )
    my_entry_count = fields.Integer(
        string="My Entries", compute="_compute_my_entry_count",
        help="The entries of this list the current user works on.",
    )

    _sql_constraints = [
        ("hours_check", "CHECK(hour_from >= 0 AND hour_from < hour_to AND hour_to <= 24)",
         "The calling hours must run forward within the day (0 to 24)."),
        ("max_attempts_positive", "CHECK(max_attempts > 0)",
         "A call list needs at least one attempt per entry."),
        ("retry_delay_positive", "CHECK(retry_delay_hours >= 0)",
         "The retry delay cannot be negative."),
        ("reservation_timeout_positive", "CHECK(reservation_timeout_minutes >= 0)",
         "The reservation timeout cannot be negative."),
    ]

    @api.depends("entry_ids.state")
    def _compute_counts(self):
        groups = self.env["crm.call.list.entry"].sudo()._read_group(
            [("list_id", "in", self.ids)], ["list_id", "state"], ["__count"],
        )
        counts = {(call_list.id, state): count for call_list, state, count in groups}
        for call_list in self:
            total = 0
            for state in ENTRY_COUNTS:
                count = counts.get((call_list.id, state), 0)
                call_list[f"{state}_count"] = count
                total += count
            call_list.entry_count = total
            to_call = total - call_list.skipped_count
            closed = call_list.done_count + call_list.failed_count
            call_list.progress = 100.0 * closed / to_call if to_call else 0.0

    @api.depends_context("uid")
    def _compute_my_entry_count(self):
        """What the Entries button opens for this user: the entries they may read."""
        counts = dict(self.env["crm.call.list.entry"]._read_group(
            [("list_id", "in", self.ids)], ["list_id"], ["__count"],
        ))
        for call_list in self:
            call_list.my_entry_count = counts.get(call_list, 0)

    @api.model
    def fields_get(self, allfields=None, attributes=None):
        """Agents read call lists: *Archive* is not offered to them (the web client
        offers it whenever ``active`` is not read-only)."""
        result = super().fields_get(allfields, attributes)
        if "active" in result and not self.has_access("write"):
            result["active"]["readonly"] = True
        return result

    @api.model
    def _crm_server_fields(self):
        # moved by the buttons and the builder only
        return (*super()._crm_server_fields(), "state", "date_built")

    # actions ---------------------------------------------------------------

    def _segment(self):
        self.ensure_one()
        return self.segment_id or self.campaign_id.segment_id

    def action_build(self):
        """Add an entry for every member of the segment (or of the campaign's target
        segment) with a phone or a mobile, not yet on the list: pending, or skipped
        with the reason when they are on the do-not-call list."""
        self.check_access("write")
        Entry = self.env["crm.call.list.entry"].sudo()
        for call_list in self:
            if call_list.state == "done":
                raise UserError(self.env._("The call list %(list)s is closed.",
                                           list=call_list.name))
            segment = call_list._segment()
            if not segment:
                raise UserError(self.env._(
                    "Set a segment, or a campaign with a target segment, to build the call "
                    "list %(list)s from.", list=call_list.name,
                ))
            members = segment._get_members().filtered(lambda p: p.phone or p.mobile)
            listed = set(Entry.search([("list_id", "=", call_list.id)]).partner_id.ids)
            Entry.create([
                {
                    "list_id": call_list.id,
                    "partner_id": partner.id,
                    "phone": partner.phone if partner.crm_phone_normalized or not partner.mobile
                    else partner.mobile,
                }
                for partner in members if partner.id not in listed
            ])
            call_list.sudo().date_built = fields.Datetime.now()
        return True

    def action_start(self):
        self.check_access("write")
        if any(not call_list.entry_ids for call_list in self):
            raise UserError(self.env._("Build the list or add entries before starting it."))
        self.sudo().write({"state": "running"})
        return True

    def action_close(self):
        self.check_access("write")
        self.sudo().write({"state": "done"})
        return True

    def action_reset_draft(self):
        self.check_access("write")
        self.sudo().write({"state": "draft"})
        return True

    def action_next_call(self):
        """Reserve the next entry to call for the user's agent and open it."""
        self.ensure_one()
        entry = self.reserve_next_entry()
        if not entry:
            raise UserError(self.env._(
                "Nothing to call on %(list)s now: no pending entry is due, or it is outside "
                "the calling hours (%(start)s to %(end)s).",
                list=self.name, start=self._format_hour(self.hour_from),
                end=self._format_hour(self.hour_to),
            ))
        return self.env["crm.call"]._open(entry)

    def action_view_entries(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_callcenter.crm_call_list_entry_action"
        )
        action["domain"] = [("list_id", "=", self.id)]
        action["context"] = {"default_list_id": self.id}
        return action

    # business methods ------------------------------------------------------

    @api.model
    def _format_hour(self, hour):
        return format_duration(hour)

    def _in_calling_hours(self, now, tz_name=None):
        """Whether ``now`` (UTC) is within the calling hours, in the time zone
        ``tz_name`` (the called party's; default: the user's)."""
        self.ensure_one()
        tz = pytz.timezone(tz_name or self.env.user.tz or "UTC")
        local = pytz.utc.localize(now).astimezone(tz)
        hour = local.hour + local.minute / 60.0 + local.second / 3600.0
        return self.hour_from <= hour < self.hour_to

    def reserve_next_entry(self):
        """The next pending entry due now and within the calling hours, reserved for
        the calling user's agent (in progress), or an empty recordset.

        Two agents calling at the same moment never get the same entry: the entry is
        locked (``FOR UPDATE SKIP LOCKED``) until the reservation commits. An agent
        holds one entry of a list at a time: while they hold one, it is the one they
        get (their requests one after the other, even at the same moment).
        """
        self.ensure_one()
        self.check_access("read")
        agent = self.env["crm.call.agent"]._crm_current_agent(self.company_id)
        return self.sudo()._reserve_next_entry(agent, fields.Datetime.now()).sudo(False)

    def _held_entry(self, agent):
        """The entry of this list that ``agent`` holds (in progress), if any. The
        agent's reservations in this list are taken one after the other: two requests
        of the same agent at once (a double tap) wait for each other, and the second
        finds the entry the first reserved."""
        self.env.cr.execute(SQL(
            "SELECT id FROM crm_call_agent WHERE id = %s FOR NO KEY UPDATE", agent.id))
        Entry = self.env["crm.call.list.entry"]
        Entry.flush_model(["list_id", "state", "agent_id"])
        return Entry.search([("list_id", "=", self.id), ("agent_id", "=", agent.id),
                             ("state", "=", "in_progress")], limit=1)

    def _reserve_next_entry(self, agent, now):
        """See :meth:`reserve_next_entry` (in ``sudo``, for ``agent``, at ``now``)."""
        self.ensure_one()
        Entry = self.env["crm.call.list.entry"]
        if self.state != "running":
            raise UserError(self.env._("Start the call list %(list)s before calling.",
                                       list=self.name))
        held = self._held_entry(agent)
        if held:
            # the entry they hold, when it may be called now
            return held if self._in_calling_hours(now, held.tz) else Entry
        Entry.flush_model(["list_id", "state", "date_next_attempt", "tz"])
        while True:
            self.env.cr.execute(SQL(
                """
                SELECT id FROM crm_call_list_entry
                 WHERE list_id = %(list)s AND state = 'pending'
                   AND (date_next_attempt IS NULL OR date_next_attempt <= %(now)s)
                   -- within the calling hours on the called party's clock
                   AND EXTRACT(EPOCH FROM ((%(now)s::timestamp AT TIME ZONE 'UTC')
                                           AT TIME ZONE COALESCE(tz, 'UTC'))::time)
                       >= %(start)s
                   AND EXTRACT(EPOCH FROM ((%(now)s::timestamp AT TIME ZONE 'UTC')
                                           AT TIME ZONE COALESCE(tz, 'UTC'))::time)
                       < %(end)s
                 ORDER BY date_next_attempt NULLS FIRST, id
                 LIMIT 1
                   FOR UPDATE SKIP LOCKED
                """,
                list=self.id, now=now, start=self.hour_from * 3600,
                end=self.hour_to * 3600,
            ))
            row = self.env.cr.fetchone()
            if not row:
                return Entry
            entry = Entry.browse(row[0])
            entry.invalidate_recordset()
            code = entry._do_not_call_codes().get(entry.id)
            if code:
                # blacklisted or opted out since the list was built
                entry.write({"state": "skipped", "skip_code": code})
                Entry.flush_model(["state"])
                continue
            entry.write({"state": "in_progress", "agent_id": agent.id, "date_reserved": now})
            return entry
