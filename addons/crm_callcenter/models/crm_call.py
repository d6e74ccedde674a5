from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import clean_context, format_datetime

from .res_partner import TIMELINE_LIMIT

DIRECTIONS = [("inbound", "Inbound"), ("outbound", "Outbound")]
CALL_STATES = [
    ("queued", "Queued"),
    ("ringing", "Ringing"),
    ("in_progress", "In Progress"),
    ("done", "Done"),
    ("missed", "Missed"),
    ("abandoned", "Abandoned"),
]
ROUTING_RULES = [
    ("complaint_owner", "Owner of an open complaint"),
    ("complaint_team", "Team queue of an open complaint"),
    ("salesperson", "Customer's salesperson"),
    ("key_account", "Key-account agent"),
    ("strategy", "Queue strategy"),
    ("queued", "Waiting in queue"),
    ("dispatched", "Taken from the queue"),
    ("overflow", "Overflowed"),
    ("voicemail", "Voicemail"),
    ("ivr", "IVR"),
    ("outbound", "Outbound call"),
]
OPEN_STATES = ("queued", "ringing", "in_progress")
# why a number or customer may not be called
DNC_CODES = [
    ("opt_out", "Customer asked not to be called"),
    ("blacklist", "Number on the do-not-call list"),
]
# why the PBX did not place a dialled call
DIAL_ERRORS = [
    ("refused", "Refused by the PBX"),
    ("timeout", "No answer from the PBX in time"),
    ("unreachable", "PBX unreachable"),
]
HISTORY_LIMIT = 10


class CrmCall(models.Model):
    _name = "crm.call"
    _description = "Call"
    _inherit = ["mail.thread.phone", "mail.activity.mixin", "crm.protected.fields.mixin"]
    _order = "date_start desc, id desc"
    _check_company_auto = True

    direction = fields.Selection(DIRECTIONS, required=True, default="inbound", index=True)
    phone = fields.Char(
        help="The caller's number as the PBX or the agent gave it (the called number for "
        "outbound calls).",
    )
    phone_sanitized = fields.Char(string="Number (E.164)", index=True)
    phone_invalid = fields.Boolean(
        string="Invalid Number", compute="_compute_phone_invalid", store=True,
        help="The number could not be read as a phone number; it is kept as typed.",
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", compute="_compute_partner_id", store=True,
        readonly=False, index=True, tracking=True, check_company=True,
        help="Matched on the normalized number, or set by the agent.",
    )
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", store=True, index=True,
        string="Customer Company",
    )
    customer_tier = fields.Selection(
        related="commercial_partner_id.customer_tier", groups="base.group_user",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company,
    )
    agent_id = fields.Many2one(
        "crm.call.agent", index=True, tracking=True, check_company=True,
    )
    user_id = fields.Many2one(
        related="agent_id.user_id", store=True, index=True, string="Agent User",
    )
    queue_id = fields.Many2one(
        "crm.call.queue", index=True, tracking=True, check_company=True,
    )
    team_id = fields.Many2one(related="queue_id.team_id", store=True, index=True)
    dnc_violation = fields.Boolean(
        string="Do-Not-Call Violation", readonly=True, index=True, tracking=True,
        help="An outbound call that the phone system reported to a number on the "
        "do-not-call list or to a customer who asked not to be called: it was placed "
        "outside the CRM, which refuses such calls.",
    )
    dnc_code = fields.Selection(
        DNC_CODES, string="Violation Code", readonly=True,
        help="Why the call was not to be placed, as the server found it.",
    )
    dnc_reason = fields.Char(string="Violation", compute="_compute_dnc_reason")
    state = fields.Selection(
        CALL_STATES, required=True, default="done", index=True, tracking=True,
    )
    dial_error = fields.Selection(
        DIAL_ERRORS, string="Not Placed", readonly=True, copy=False,
        help="Click-to-dial: the PBX did not place this call (the agent may dial again).",
    )
    dial_error_detail = fields.Char(
        string="PBX Answer", readonly=True, copy=False,
        help="What the PBX answered to the dial request, as it said it.",
    )
    date_start = fields.Datetime(
        string="Started", readonly=True, index=True, copy=False,
        help="When the call reached the call center (first ring) or was logged.",
    )
    date_queued = fields.Datetime(
        string="Queued", readonly=True, copy=False, help="When it entered its current queue.",
    )
    date_answered = fields.Datetime(string="Answered", readonly=True, copy=False)
    date_end = fields.Datetime(string="Ended", readonly=True, copy=False)
    wait_seconds = fields.Integer(
        string="Wait (s)", readonly=True, copy=False, aggregator="avg",
        help="Seconds from the first ring to the answer (or to the hang-up).",
    )
    duration_seconds = fields.Integer(
        string="Talk (s)", readonly=True, copy=False, aggregator="avg",
        help="Seconds from the answer to the end of the call.",
    )
    queue_priority = fields.Integer(
        readonly=True, copy=False, help="Calls of higher priority wait ahead in the queue.",
    )
    queue_position = fields.Integer(compute="_compute_queue_position")
    routing_rule = fields.Selection(ROUTING_RULES, readonly=True, copy=False, index=True)
    routing_steps = fields.Json(
        readonly=True, copy=False,
        help="What the ACD decided, step by step, as codes and record ids: told in "
        "each reader's language by Routing Reason.",
    )
    routing_reason = fields.Text(
        compute="_compute_routing_reason",
        help="Why the ACD sent the call where it went, in the reader's language.",
    )
    ivr_menu_id = fields.Many2one(
        "crm.ivr.menu", string="IVR Menu", readonly=True, copy=False, check_company=True,
    )
    outcome_id = fields.Many2one("crm.call.outcome", tracking=True)
    lead_id = fields.Many2one("crm.lead", copy=False, check_company=True)
    complaint_id = fields.Many2one(
        "crm.complaint", copy=False, check_company=True,
    )
    campaign_id = fields.Many2one("utm.campaign")
    external_id = fields.Char(
        string="PBX Call ID", readonly=True, copy=False, index=True,
    )
    cti_endpoint_id = fields.Many2one(
        "crm.cti.endpoint", string="CTI Endpoint", readonly=True, copy=False,
    )
    note = fields.Text(string="Notes")
    history_call_ids = fields.Many2many(
        "crm.call", string="Previous Calls", compute="_compute_history",
    )
    history_complaint_ids = fields.Many2many(
        "crm.complaint", string="Open Complaints", compute="_compute_history",
    )
    history_order_ids = fields.Many2many(
        "sale.order", string="Orders", compute="_compute_history",
    )

    _sql_constraints = [
        ("external_id_company_uniq", "unique(external_id, company_id)",
         "The PBX already reported a call with this id."),
        ("seconds_positive", "CHECK(wait_seconds >= 0 AND duration_seconds >= 0)",
         "Wait and talk times cannot be negative."),
    ]

    @api.depends("partner_id", "phone", "date_start")
    @api.depends_context("tz", "lang")
    def _compute_display_name(self):
        """The caller and when the call started, in the reader's time zone and
        language (the host's formatting)."""
        for call in self:
            who = call.partner_id.display_name or call.phone or self.env._("Unknown caller")
            when = format_datetime(
                self.env, call.date_start, tz=self.env.context.get("tz") or self.env.user.tz,
                dt_format="short") if call.date_start else ""
            call.display_name = f"{who} {when}".strip()

    @api.depends("routing_steps")
    @api.depends_context("lang")
    def _compute_routing_reason(self):
        for call in self:
            call.routing_reason = "\n".join(
                call._crm_routing_step_text(step) for step in call.routing_steps or []
            ) or False

    def _crm_routing_step_text(self, step):
        """One routing step, told in the reader's language; the records it names
        (agents, queues, complaints) as they are named now."""
        env = self.env
        if isinstance(step, str):
            # a step written as text (calls dispatched before the steps were codes)
            return step
        code = step.get("code")

        def name(model, key, field="name"):
            record = env[model].sudo().browse(step.get(key) or []).exists()
            return record[field] if record else "?"

        if code == "complaint_owner":
            return env._("Open complaint %(complaint)s: offered to its owner %(agent)s.",
                         complaint=name("crm.complaint", "complaint", "reference"),
                         agent=name("crm.call.agent", "agent"))
        if code == "complaint_owner_away":
            return env._("Open complaint %(complaint)s: its owner %(user)s is not available.",
                         complaint=name("crm.complaint", "complaint", "reference"),
                         user=name("res.users", "user"))
        if code == "complaint_team":
            return env._("Open complaint %(complaint)s: sent to its team's queue %(queue)s.",
                         complaint=name("crm.complaint", "complaint", "reference"),
                         queue=name("crm.call.queue", "queue"))
        if code == "key_priority":
            return env._("Key customer: ahead of the others in the queue.")
        if code == "salesperson":
            return env._("Sales queue: offered to the customer's salesperson %(agent)s.",
                         agent=name("crm.call.agent", "agent"))
        if code == "salesperson_away":
            return env._("Sales queue: the customer's salesperson %(user)s is not available.",
                         user=name("res.users", "user"))
        if code == "key_account":
            return env._("Key customer: offered to key-account agents first.")
        if code == "strategy":
            strategies = dict(env["crm.call.queue"]._fields["strategy"]
                              ._description_selection(env))
            return env._("Queue %(queue)s (%(strategy)s): offered to %(agent)s.",
                         queue=name("crm.call.queue", "queue"),
                         strategy=strategies.get(step.get("strategy"), "?"),
                         agent=name("crm.call.agent", "agent"))
        if code == "dispatched":
            return env._("%(agent)s became available: took the call from queue %(queue)s.",
                         agent=name("crm.call.agent", "agent"),
                         queue=name("crm.call.queue", "queue"))
        if code == "waiting":
            return env._("Queue %(queue)s: no agent available, the call waits.",
                         queue=name("crm.call.queue", "queue"))
        if code == "overflow_queue":
            return env._("Waited past %(seconds)s s in %(queue)s: overflowed to %(target)s.",
                         seconds=step.get("seconds"), queue=name("crm.call.queue", "queue"),
                         target=name("crm.call.queue", "target"))
        if code == "overflow_voicemail":
            return env._("Waited past %(seconds)s s in %(queue)s: sent to voicemail.",
                         seconds=step.get("seconds"), queue=name("crm.call.queue", "queue"))
        # complaints assigned by the queues (the steps above are shared with them)
        if code == "complaint_intake":
            channels = dict(env["crm.complaint"]._fields["channel"]._description_selection(env))
            return env._("New complaint by %(channel)s: assigned through queue %(queue)s.",
                         channel=channels.get(step.get("channel"), "?"),
                         queue=name("crm.call.queue", "queue"))
        if code == "complaint_waits":
            return env._("Queue %(queue)s: no agent has room for another complaint, it "
                         "waits for the first one who has.",
                         queue=name("crm.call.queue", "queue"))
        if code == "complaint_dispatched":
            return env._("An agent of queue %(queue)s had room again: assigned, the nearest "
                         "SLA deadline first.", queue=name("crm.call.queue", "queue"))
        if code == "complaint_unassigned":
            return env._("Without an owner for more than %(minutes)s minutes: assigned "
                         "through queue %(queue)s.",
                         minutes=step.get("minutes"), queue=name("crm.call.queue", "queue"))
        if code == "dial_lead":
            return env._("Dialled from the lead %(lead)s.", lead=name("crm.lead", "lead"))
        if code == "dial_customer":
            return env._("Dialled from the customer %(customer)s.",
                         customer=name("res.partner", "partner", "display_name"))
        if code == "call_list":
            return env._("Call list %(list)s", list=name("crm.call.list", "list"))
        # written before the steps were codes: kept as it was written
        return step.get("text") or ""

    # numbers through the host's mail.thread.phone: the number as the company's phone
    # system gives or dials it, so read in the company's country (not the customer's,
    # which is matched from it)

    def _phone_get_number_fields(self):
        return ["phone"]

    def _phone_get_sanitize_triggers(self):
        return ["phone", "company_id"]

    def _phone_get_country(self):
        return {call.id: call.company_id.country_id for call in self
                if call.company_id.country_id}

    @api.depends("dnc_code", "partner_id", "phone_sanitized", "phone")
    @api.depends_context("lang")
    def _compute_dnc_reason(self):
        Entry = self.env["crm.call.list.entry"]
        for call in self:
            call.dnc_reason = call.dnc_code and Entry._do_not_call_text(
                call.dnc_code, call.partner_id, call.phone_sanitized or call.phone)

    @api.depends("phone", "phone_sanitized")
    def _compute_phone_invalid(self):
        for call in self:
            call.phone_invalid = bool(call.phone) and not call.phone_sanitized

    @api.depends("phone_sanitized")
    def _compute_partner_id(self):
        for call in self:
            if not call.partner_id and call.phone_sanitized:
                call.partner_id = self.env["res.partner"]._crm_match_phone(
                    call.phone_sanitized, call.company_id,
                )

    @api.depends("state", "queue_id", "queue_priority", "date_queued")
    def _compute_queue_position(self):
        for call in self:
            call.queue_position = call._acd_position() if call.state == "queued" else 0

    @api.depends("commercial_partner_id")
    def _compute_history(self):
        Complaint = self.env["crm.complaint"]
        Order = self.env["sale.order"]
        for call in self:
            partner = call.commercial_partner_id
            if not partner:
                call.history_call_ids = call.history_complaint_ids = False
                call.history_order_ids = False
                continue
            call.history_call_ids = self.search([
                ("commercial_partner_id", "=", partner.id), ("id", "!=", call._origin.id),
            ], limit=HISTORY_LIMIT)
            call.history_complaint_ids = Complaint.search([
                ("commercial_partner_id", "=", partner.id), ("stage_id.is_closed", "=", False),
            ], limit=HISTORY_LIMIT)
            call.history_order_ids = Order.search([
                ("partner_id", "child_of", partner.id), ("state", "!=", "cancel"),
            ], order="date_order desc, id desc", limit=HISTORY_LIMIT)

    @api.model
    def _crm_server_fields(self):
        # measured by the PBX or decided by the ACD: only the server writes them
        return (
            *super()._crm_server_fields(),
            "state", "date_start", "date_queued", "date_answered", "date_end",
            "wait_seconds", "duration_seconds", "queue_priority", "routing_rule",
            "routing_steps", "routing_reason", "agent_id", "queue_id", "ivr_menu_id",
            "external_id",
            "cti_endpoint_id", "phone_sanitized", "phone_invalid", "dnc_violation",
            "dnc_code", "dnc_reason",
            "dial_error", "dial_error_detail",
            # stored copies of the agent's, the queue's and the customer's: written
            # through, they would move the call (and the agent, queue or customer)
            "user_id", "team_id", "commercial_partner_id",
        )

    # do-not-call -----------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        """An outbound call to a do-not-call number or customer is refused, with the
        reason, whoever creates it; one that the phone system reports (placed outside
        the CRM: context ``crm_call_reported``) is recorded, flagged as a violation,
        and the agent's supervisor gets an activity."""
        reported = self.env.context.get("crm_call_reported")
        checks = self._crm_do_not_call_checks([
            (vals.get("direction") or self._fields["direction"].default(self),
             vals.get("partner_id"), vals.get("phone"), vals.get("company_id"))
            for vals in vals_list
        ])
        Entry = self.env["crm.call.list.entry"]
        for vals, (code, partner, number) in zip(vals_list, checks, strict=True):
            if code and not reported:
                raise UserError(self.env._(
                    "Not dialled: %(reason)s",
                    reason=Entry._do_not_call_text(code, partner, number),
                ))
            if code:
                vals.update(dnc_violation=True, dnc_code=code)
        calls = super().create(vals_list)
        calls.filtered("dnc_violation")._crm_warn_dnc_violation()
        calls._crm_touch_followups()
        return calls

    def write(self, vals):
        """Changing the number, customer or direction of a call under way into a
        do-not-call one is refused, as creating it is."""
        if {"direction", "partner_id", "phone"} & set(vals):
            under_way = self.filtered(lambda call: call.state in OPEN_STATES)
            reasons = self._crm_do_not_call_reasons([
                (vals.get("direction", call.direction),
                 vals.get("partner_id", call.partner_id.id),
                 vals.get("phone", call.phone), call.company_id.id)
                for call in under_way
            ])
            reason = next(filter(None, reasons), False)
            if reason:
                raise UserError(self.env._("Not dialled: %(reason)s", reason=reason))
        res = super().write(vals)
        if {"state", "partner_id"} & set(vals):
            self._crm_touch_followups()
        return res

    def _crm_touch_followups(self):
        """A call handled with a customer is a follow-up of that customer."""
        Partner = self.env["res.partner"].sudo()
        for call in self.filtered(lambda call: call.state == "done" and call.partner_id):
            Partner._crm_touch_followup(call.partner_id.ids, call.date_end)

    @api.model
    def _crm_do_not_call_reasons(self, items):
        """Why each outbound call ``(direction, partner id, number, company id)`` may
        not be placed, in the reader's language, or False."""
        Entry = self.env["crm.call.list.entry"]
        return [
            Entry._do_not_call_text(code, partner, number) if code else False
            for code, partner, number in self._crm_do_not_call_checks(items)
        ]

    @api.model
    def _crm_do_not_call_checks(self, items):
        """``(code, partner, number)`` for each outbound call ``(direction, partner id,
        number, company id)``, the code saying why it may not be placed (False: it
        may): the customer (given, else the one the number matches) opted out
        (``opt_out``), or the number is on the host's do-not-call list
        (``blacklist``)."""
        Partner = self.env["res.partner"].sudo()
        todo = []
        for direction, partner_id, phone, company_id in items:
            if direction != "outbound":
                todo.append(None)
                continue
            company = self.env["res.company"].browse(company_id) if company_id \
                else self.env.company
            partner = Partner.browse(partner_id or [])
            number = self.env["crm.call.list.entry"]._normalize(phone, partner, company)
            if not partner and number:
                partner = Partner._crm_match_phone(number, company)
            todo.append((partner, number))
        codes = iter(self.env["crm.call.list.entry"]._do_not_call_code_list(
            [item for item in todo if item]))
        return [(next(codes), *item) if item else (False, None, False) for item in todo]

    def _crm_warn_dnc_violation(self):
        """An activity *Do-Not-Call Violation* for the supervisor of each call's agent
        (their sales team's leader, else the company's default CRM responsible). It
        carries no text of its own: its type is named, and the call tells who called
        which number and why it was not to be called, in each reader's language."""
        for call in self.sudo():
            agent_user = call.agent_id.user_id
            supervisor = agent_user.sale_team_id.user_id
            if not supervisor or supervisor == agent_user:
                supervisor = call.company_id.crm_fallback_user_id
            if not supervisor:
                continue
            call.activity_schedule(
                "crm_callcenter.mail_activity_type_dnc_violation", user_id=supervisor.id,
            )

    @api.model
    def _crm_add_server_values(self, vals_list):
        """A call logged by hand starts now, with the agent who logs it."""
        vals_list = super()._crm_add_server_values(vals_list)
        agent = None
        for vals in vals_list:
            vals.setdefault("date_start", fields.Datetime.now())
            if not vals.get("agent_id") and not self.env.su:
                if agent is None:
                    agent = self.env["crm.call.agent"].search(
                        [("user_id", "=", self.env.uid)], limit=1,
                    )
                vals["agent_id"] = agent.id
        return vals_list

    # actions ---------------------------------------------------------------

    def _check_customer(self):
        if not self.partner_id and not self.phone:
            raise UserError(self.env._("Set the caller (customer or number) first."))

    def _caller_name(self):
        return self.partner_id.display_name or self.phone

    def action_create_lead(self):
        """A lead for the caller, linked to the call, opened in its form."""
        self.ensure_one()
        self._check_customer()
        if not self.lead_id:
            self.lead_id = self.env["crm.lead"].create({
                "name": self.env._("Call from %(caller)s", caller=self._caller_name()),
                "partner_id": self.partner_id.id,
                "phone": self.phone,
                "campaign_id": self.campaign_id.id,
                "description": self.note,
                "company_id": self.company_id.id,
            })
        return self._open(self.lead_id)

    def action_create_complaint(self):
        """A complaint taken by phone, linked to the call, opened in its form."""
        self.ensure_one()
        self._check_customer()
        if not self.complaint_id:
            self.complaint_id = self.env["crm.complaint"].create({
                "name": self.env._("Complaint by phone from %(caller)s",
                                   caller=self._caller_name()),
                "partner_id": self.partner_id.id,
                "channel": "phone",
                "description": self.note,
                "user_id": self.env.uid,
                "team_id": self.team_id.id,
                "company_id": self.company_id.id,
            })
        return self._open(self.complaint_id)

    def action_schedule_follow_up(self):
        """A call-back activity for tomorrow, on the call, for the agent."""
        self.ensure_one()
        self._check_customer()
        self.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=fields.Date.context_today(self) + timedelta(days=1),
            summary=self.env._("Call back %(caller)s", caller=self._caller_name()),
            note=self.note,
            user_id=self.env.uid,
        )
        return True

    @api.model
    def _open(self, record):
        """``record`` in its form (the host's action), without the defaults of the
        button's context."""
        return record.with_context(clean_context(self.env.context))._get_records_action()

    # ACD -------------------------------------------------------------------

    def _acd_position(self):
        """1 + the number of calls waiting ahead in the queue."""
        self.ensure_one()
        ahead = self.sudo().search_count([
            ("queue_id", "=", self.queue_id.id),
            ("state", "=", "queued"),
            ("id", "!=", self.id),
            "|", ("queue_priority", ">", self.queue_priority),
            "&", ("queue_priority", "=", self.queue_priority),
            "|", ("date_queued", "<", self.date_queued),
            "&", ("date_queued", "=", self.date_queued), ("id", "<", self.id),
        ])
        return ahead + 1

    def _acd_route(self, now=None):
        """Send the call (in ``sudo``, with its queue) to an agent, or queue it.

        The preferences of the queue, in order: the owner of an open complaint of
        the caller, else that complaint's team queue; the customer's salesperson;
        key customers ahead in the queue and to key-account agents; then the
        queue's strategy (``crm.call.queue._acd_select``, which the other channels
        share). Only agents within the queue's capacity for calls are offered the
        call. Each step is a setting of the queue and is told in
        ``routing_reason``. A bounded number of queries, whatever the number of
        agents and calls.

        :return: the route as the CTI answers it
        """
        self.ensure_one()
        now = now or fields.Datetime.now()
        choice = self.queue_id._acd_select("call", self.commercial_partner_id, now)
        queue, agent, steps = choice["queue"], choice["agent"], choice["steps"]
        vals = {"date_queued": now}
        if queue != self.queue_id:
            vals.update(queue_id=queue.id, routing_rule="complaint_team")
        if choice["priority"]:
            vals["queue_priority"] = choice["priority"]
        if agent:
            return self._acd_offer(agent, choice["rule"], steps, vals, now)
        steps.append({"code": "waiting", "queue": queue.id})
        vals.update(state="queued", agent_id=False,
                    routing_rule=vals.get("routing_rule", "queued"))
        self._acd_write(vals, steps)
        if queue.overflow_action != "none" and not queue.max_wait_seconds \
                and not self.env.context.get("crm_acd_overflowing"):
            return self._acd_overflow(now)
        return {"type": "queue", "position": self._acd_position()}

    def _acd_write(self, vals, steps):
        """Write ``vals`` and add ``steps`` (codes and ids) to the routing steps."""
        if steps:
            vals["routing_steps"] = [*(self.routing_steps or []), *steps]
        self.write(vals)

    def _acd_offer(self, agent, rule, reasons, vals, now):
        vals.update(state="ringing", agent_id=agent.id, routing_rule=rule)
        self._acd_write(vals, reasons)
        agent.with_context(crm_agent_state_notified=True).write(
            {"state": "busy", "date_state": now, "date_last_offered": now},
        )
        agent._crm_notify_state(self)
        self._crm_screen_pop(agent)
        return {"type": "agent", "extension": agent.extension}

    def _crm_screen_pop(self, agent):
        """The screen-pop: the web clients of the agent the call rings for show who
        calls, with buttons to open the caller's record and the call (the host's bus,
        on the agent's user's partner: only that user receives it)."""
        self.ensure_one()
        agent.user_id.partner_id._bus_send(
            "crm_callcenter/screen_pop", self._crm_screen_pop_payload(agent),
        )

    def _crm_screen_pop_payload(self, agent):
        self.ensure_one()
        return {
            "call_id": self.id,
            "agent_id": agent.id,
            "phone": self.phone or "",
            "partner_id": self.partner_id.id or False,
            "partner_name": self.partner_id.display_name or "",
            "customer_tier": self.commercial_partner_id.with_company(
                self.company_id).customer_tier or False,
            # in the agent's language, as their lists name it
            "queue": self.queue_id.with_context(lang=agent.user_id.lang).name or "",
        }

    @api.readonly
    def get_crm_screen_pop_timeline(self):
        """The caller's latest interactions of every channel, for the screen-pop of
        the call: read by the agent's web client when the pop shows (the ringing
        path itself stays as light as before), with the agent's rights, language and
        time zone. The ringing call itself is left out: the pop is about it."""
        self.ensure_one()
        self.check_access("read")
        if not self.partner_id:
            return []
        timeline = self.partner_id._crm_interaction_timeline(limit=TIMELINE_LIMIT + 1)
        return [
            entry for entry in timeline
            if (entry["res_model"], entry["res_id"]) != (self._name, self.id)
        ][:TIMELINE_LIMIT]

    def _acd_overflow(self, now=None):
        """The call waited past its queue's maximum: to the overflow queue, or to
        voicemail."""
        self.ensure_one()
        now = now or fields.Datetime.now()
        queue = self.queue_id
        if queue.overflow_action == "queue" and queue.overflow_queue_id:
            target = queue.overflow_queue_id
            self._acd_write({"queue_id": target.id, "queue_priority": self.queue_priority}, [
                {"code": "overflow_queue", "seconds": queue.max_wait_seconds,
                 "queue": queue.id, "target": target.id},
            ])
            # once per call and run: queues overflowing into each other do not loop
            route = self.with_context(crm_acd_overflowing=True)._acd_route(now)
            if self.routing_rule in ("queued", "strategy"):
                self.routing_rule = "overflow"
            return route
        if queue.overflow_action == "voicemail":
            self._acd_write({"state": "missed", "routing_rule": "voicemail", "date_end": now,
                             "wait_seconds": self._seconds(self.date_start, now)}, [
                {"code": "overflow_voicemail", "seconds": queue.max_wait_seconds,
                 "queue": queue.id},
            ])
            return {"type": "voicemail"}
        return {"type": "queue", "position": self._acd_position()}

    def _acd_current_route(self):
        """Where the call is now, as the CTI answers it."""
        self.ensure_one()
        if self.routing_rule == "voicemail":
            return {"type": "voicemail"}
        if self.state == "queued":
            return {"type": "queue", "position": self._acd_position()}
        if self.state == "ringing" and self.routing_rule == "ivr":
            return {"type": "ivr", "menu": self.ivr_menu_id.code}
        if self.agent_id:
            return {"type": "agent", "extension": self.agent_id.extension}
        return None

    @api.model
    def _seconds(self, start, end):
        return max(int((end - start).total_seconds()), 0) if start and end else 0

    @api.model
    def _cron_overflow_queued_calls(self):
        """Calls that waited past their queue's maximum wait overflow."""
        now = fields.Datetime.now()
        queues = self.env["crm.call.queue"].sudo().search([
            ("overflow_action", "!=", "none"), ("max_wait_seconds", ">", 0),
        ])
        for queue in queues:
            calls = self.sudo().search([
                ("queue_id", "=", queue.id), ("state", "=", "queued"),
                ("date_queued", "<=", now - timedelta(seconds=queue.max_wait_seconds)),
            ], order="queue_priority desc, date_queued, id")
            for call in calls:
                call._acd_overflow(now)
