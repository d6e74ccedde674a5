import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

AGENT_STATES = [
    ("offline", "Offline"),
    ("available", "Available"),
    ("busy", "Busy"),
    ("wrap_up", "Wrap-up"),
    ("away", "Away"),
]
# what the agent chooses; busy and wrap-up come from the calls
SWITCHABLE_STATES = ("available", "away", "offline")
# the channels of the one work queue, each with its capacity on the queue
CHANNELS = [
    ("call", "Calls"),
    ("chat", "Chats"),
    ("complaint", "Complaints"),
]
CHANNEL_CODES = tuple(code for code, _label in CHANNELS)
# the states in which an agent is offered new items of a channel (within the
# offering queue's capacity for it): busy means in a call, during which a chat or a
# complaint may still come; a second call only when the queue takes more than one
# call at once (see _crm_has_capacity). Wrap-up, away and offline: nothing new, on
# any channel.
OFFER_STATES = {
    "call": ("available", "busy"),
    "chat": ("available", "busy"),
    "complaint": ("available", "busy"),
}

_logger = logging.getLogger(__name__)
# minutes without a web client (the host's presence) after which an available agent
# goes offline; 0 turns it off
ABSENT_MINUTES_PARAM = "crm_callcenter.agent_absent_minutes"
ABSENT_MINUTES_DEFAULT = 5


class CrmCallAgent(models.Model):
    _name = "crm.call.agent"
    _description = "Call Center Agent"
    _inherit = ["mail.thread", "crm.protected.fields.mixin"]
    _order = "name, id"
    _check_company_auto = True

    name = fields.Char(related="user_id.name", store=True, readonly=True)
    user_id = fields.Many2one(
        "res.users", required=True, index=True, ondelete="cascade",
        domain="[('share', '=', False)]", tracking=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company,
    )
    active = fields.Boolean(default=True)
    extension = fields.Char(
        required=True, index=True, tracking=True,
        help="The agent's extension on the PBX, as the CTI events name it.",
    )
    state = fields.Selection(
        AGENT_STATES, required=True, default="offline", index=True, tracking=True,
        help="Set by the agent (available, away, offline) and by the PBX's events "
        "(busy during a call).",
    )
    date_state = fields.Datetime(
        string="State Since", readonly=True, copy=False, default=fields.Datetime.now,
    )
    date_wrap_up_end = fields.Datetime(
        string="Wrap-up Until", readonly=True, copy=False,
        help="In wrap-up after a call, the agent becomes available at this time.",
    )
    date_last_offered = fields.Datetime(
        string="Last Call Offered", readonly=True, copy=False,
        help="When the ACD last offered the agent a call (round robin).",
    )
    skill_ids = fields.Many2many(
        "crm.call.skill", "crm_call_agent_skill_rel", "agent_id", "skill_id", string="Skills",
    )
    queue_ids = fields.Many2many(
        "crm.call.queue", "crm_call_queue_agent_rel", "agent_id", "queue_id", string="Queues",
        check_company=True,
    )
    is_key_account = fields.Boolean(
        string="Key-Account Agent",
        help="Serves the key customers (重点客户) first in queues that prefer key-account agents.",
    )
    call_ids = fields.One2many("crm.call", "agent_id", string="Calls")
    call_count = fields.Integer(compute="_compute_call_count")
    date_last_complaint = fields.Datetime(
        string="Last Complaint Assigned", readonly=True, copy=False,
        help="When the ACD last assigned the agent a complaint (round robin of complaints).",
    )
    date_last_chat = fields.Datetime(
        string="Last Chat Offered", readonly=True, copy=False,
        help="When the ACD last offered the agent a live chat (round robin of chats).",
    )
    # the load per channel, read live (never stored): what the agent has open now
    load_call_count = fields.Integer(
        string="Calls Now", compute="_compute_load",
        help="Calls ringing for the agent or in progress.",
    )
    load_chat_count = fields.Integer(
        string="Chats Now", compute="_compute_load",
        help="Live chat sessions the agent is answering.",
    )
    load_complaint_count = fields.Integer(
        string="Complaints in Progress", compute="_compute_load",
        help="Complaints of the agent's company assigned to the agent's user, in a stage "
        "that is not closed.",
    )
    load_display = fields.Char(
        string="Load", compute="_compute_load",
        help="What the agent has open per channel, against the highest capacity of "
        "their queues for it.",
    )

    _sql_constraints = [
        ("extension_company_uniq", "unique(extension, company_id)",
         "This extension is already used by another agent of the company."),
        ("user_company_uniq", "unique(user_id, company_id)",
         "This user is already an agent of the company."),
    ]

    def _compute_call_count(self):
        counts = dict(self.env["crm.call"]._read_group(
            [("agent_id", "in", self.ids)], ["agent_id"], ["__count"],
        ))
        for agent in self:
            agent.call_count = counts.get(agent, 0)

    @api.depends_context("lang")
    def _compute_load(self):
        loads = self._crm_load()
        capacities = self._crm_capacity_map()
        for agent in self:
            load = loads.get(agent.id, {})
            agent.load_call_count = load.get("call", 0)
            agent.load_chat_count = load.get("chat", 0)
            agent.load_complaint_count = load.get("complaint", 0)
            agent.load_display = agent._crm_load_text(load, capacities.get(agent.id, {}))

    @api.model
    def _crm_server_fields(self):
        # the PBX and the agent's own buttons drive the state, the ACD the offers
        # (the name is the user's: renamed with the user, not through the agent)
        return (*super()._crm_server_fields(), "state", "date_state", "date_last_offered",
                "date_wrap_up_end", "name", "date_last_complaint",
                # read live from the calls, chats and complaints
                "load_call_count", "load_chat_count", "load_complaint_count",
                "load_display", "date_last_chat")

    # capacity and load per channel -------------------------------------------

    def _crm_load(self, channels=CHANNEL_CODES):
        """{agent id: {channel: open items}} of the agents of ``self``, whatever
        the queue the items came through: one grouped query per channel, whatever
        the number of agents."""
        agents = self.filtered("id")
        result = {agent.id: dict.fromkeys(channels, 0) for agent in agents}
        if not agents:
            return result
        for channel in channels:
            for agent_id, count in getattr(agents, f"_crm_load_{channel}")().items():
                result[agent_id][channel] = count
        return result

    def _crm_load_call(self):
        """{agent id: calls ringing for them or in progress}: one grouped query."""
        return {
            agent.id: count for agent, count in self.env["crm.call"].sudo()._read_group(
                [("agent_id", "in", self.ids), ("state", "in", ("ringing", "in_progress"))],
                ["agent_id"], ["__count"],
            )
        }

    def _crm_load_chat(self):
        """{agent id: live chat sessions they answer}: the host's live chat sessions
        still open (the visitor has not left, the session not ended) whose operator
        is the agent's user, whatever the channel. One grouped query."""
        users = self.user_id
        if not users:
            return {}
        Channel = self.env["discuss.channel"]
        Channel.flush_model(["channel_type", "livechat_active", "livechat_operator_id"])
        users.flush_model(["partner_id"])
        self.env.cr.execute(SQL(
            """
            SELECT users.id, COUNT(*) FROM discuss_channel channel
              JOIN res_users users ON users.partner_id = channel.livechat_operator_id
             WHERE channel.channel_type = 'livechat' AND channel.livechat_active
               AND users.id IN %s
             GROUP BY users.id
            """,
            tuple(users.ids),
        ))
        counts = dict(self.env.cr.fetchall())
        return {agent.id: counts[agent.user_id.id] for agent in self
                if agent.user_id.id in counts}

    def _crm_load_complaint(self):
        """{agent id: complaints in progress}: the complaints of the agent's company
        assigned to the agent's user, in a stage that is not closed. One grouped
        query (by user and company) for all the agents."""
        rows = self.env["crm.complaint"].sudo()._read_group(
            [("user_id", "in", self.user_id.ids), ("company_id", "in", self.company_id.ids),
             ("stage_id.is_closed", "=", False)],
            ["user_id", "company_id"], ["__count"],
        )
        counts = {(user.id, company.id): count for user, company, count in rows}
        return {
            agent.id: counts[key] for agent in self
            if (key := (agent.user_id.id, agent.company_id.id)) in counts
        }

    def _crm_capacity_map(self):
        """{agent id: {channel: the highest capacity of the agent's queues}}: what the
        agent's load is shown against (each queue offers within its own capacity)."""
        result = {}
        for agent in self:
            queues = agent.queue_ids
            result[agent.id] = {
                channel: max(queues.mapped(f"capacity_{channel}"), default=0)
                for channel in CHANNEL_CODES
            }
        return result

    def _crm_load_text(self, load, capacity):
        """"Calls 1/1 · Complaints 3/10": the channels the agent takes."""
        self.ensure_one()
        env = self.env
        labels = {
            "call": lambda n, m: env._("Calls %(load)s/%(capacity)s", load=n, capacity=m),
            "chat": lambda n, m: env._("Chats %(load)s/%(capacity)s", load=n, capacity=m),
            "complaint": lambda n, m: env._(
                "Complaints %(load)s/%(capacity)s", load=n, capacity=m),
        }
        return " \u00b7 ".join(
            labels[channel](load.get(channel, 0), capacity.get(channel, 0))
            for channel in CHANNEL_CODES
            if capacity.get(channel) or load.get(channel)
        )

    def _crm_has_capacity(self, channel, queue):
        """The agents of ``self`` that ``queue`` may offer an item of ``channel`` now:
        in a state that takes new items of the channel (``OFFER_STATES``), and with
        fewer open items of the channel, counted across all their queues, than the
        queue's capacity for it. One grouped query for all the agents.

        An agent in two queues with different capacities: the queue offering the
        item sets the limit, the load counts the channel's items of every queue."""
        capacity = queue._crm_capacity(channel)
        if capacity <= 0:
            return self.browse()
        if channel == "call":
            # the PBX's word: an available agent has no call (a supervisor frees an
            # agent a lost event left busy); in a call, another one only when the
            # queue takes more than one at once, up to its capacity
            available = self.filtered(lambda agent: agent.state == "available")
            busy = self.filtered(lambda agent: agent.state == "busy") if capacity > 1 \
                else self.browse()
            loads = busy._crm_load_call() if busy else {}
            return available | busy.filtered(lambda agent: loads.get(agent.id, 0) < capacity)
        agents = self.filtered(lambda agent: agent.state in OFFER_STATES[channel])
        if not agents:
            return agents
        loads = getattr(agents, f"_crm_load_{channel}")()
        return agents.filtered(lambda agent: loads.get(agent.id, 0) < capacity)

    def _crm_claim(self):
        """The agent of ``self`` if no other item is being offered to them at this
        moment (their row locked until the offer commits; skipped when another
        transaction holds it), else no agent: two offers at once never wait for each
        other, nor both take the agent's last free capacity."""
        if not self:
            return self
        self.ensure_one()
        self.env.cr.execute(SQL(
            "SELECT id FROM crm_call_agent WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED",
            self.id,
        ))
        return self if self.env.cr.rowcount else self.browse()

    @api.model
    def _crm_current_agent(self, company):
        """The agent of the current user in ``company``; a clear error without one."""
        agent = self.sudo().search([
            ("user_id", "=", self.env.uid), ("company_id", "=", company.id),
        ], limit=1)
        if not agent:
            raise UserError(self.env._(
                "You are not an agent of %(company)s: ask your supervisor to add you.",
                company=company.name,
            ))
        return agent

    # actions ---------------------------------------------------------------

    def write(self, vals):
        result = super().write(vals)
        if "state" in vals and not self.env.context.get("crm_agent_state_notified"):
            # the agent's state switcher follows the PBX's changes live
            self._crm_notify_state()
        return result

    def _check_may_switch(self):
        """An agent switches their own state; supervisors switch anyone's."""
        if self.env.su or self.env.user.has_group(
            "crm_callcenter.group_crm_callcenter_supervisor"
        ):
            return
        if any(agent.user_id != self.env.user for agent in self):
            raise AccessError(self.env._("You can only change your own agent state."))
        # busy means in a call: the PBX frees the agent when the call ends
        if self.filtered(lambda agent: agent.state == "busy").sudo()._crm_open_call_map():
            raise UserError(self.env._(
                "You are in a call: your state changes when the call ends.",
            ))

    def _set_state(self, state):
        self._check_may_switch()
        self.sudo()._write_state(state)

    def _write_state(self, state, when=None):
        """Write the state (in ``sudo``), and its date when it changes; a wrap-up
        ends with any other state."""
        changing = self.filtered(lambda agent: agent.state != state)
        if changing:
            vals = {"state": state, "date_state": when or fields.Datetime.now()}
            if state != "wrap_up":
                vals["date_wrap_up_end"] = False
            changing.write(vals)

    def _start_wrap_up(self, seconds, when):
        """After a call: in wrap-up for ``seconds`` from ``when``, then available (the
        scheduled action, every minute, ends it; the agent may end it sooner)."""
        self.write({"state": "wrap_up", "date_state": when,
                    "date_wrap_up_end": when + timedelta(seconds=seconds)})

    @api.model
    def _cron_offline_absent_agents(self, now=None):
        """Agents available (or in wrap-up) whose web client is gone — no presence
        of their user on the host's bus for the configured minutes — go offline, so
        that no call is routed to a desk nobody sits at. An agent whose state
        changed within those minutes keeps it; rows being written are left to the
        next run."""
        param = self.env["ir.config_parameter"].sudo().get_param(
            ABSENT_MINUTES_PARAM, ABSENT_MINUTES_DEFAULT)
        try:
            minutes = int(param)
        except (TypeError, ValueError):
            _logger.warning("%s is not a number of minutes: %r", ABSENT_MINUTES_PARAM, param)
            return self.browse()
        if minutes <= 0:
            return self.browse()
        now = now or fields.Datetime.now()
        since = now - timedelta(minutes=minutes)
        self.env["bus.presence"].flush_model(["user_id", "last_poll"])
        self.flush_model(["active", "state", "date_state", "user_id"])
        self.env.cr.execute(SQL(
            """
            SELECT agent.id FROM crm_call_agent agent
             WHERE agent.active AND agent.state IN ('available', 'wrap_up')
               AND agent.date_state <= %(since)s
               AND NOT EXISTS (SELECT 1 FROM bus_presence presence
                                WHERE presence.user_id = agent.user_id
                                  AND presence.last_poll >= %(since)s)
             ORDER BY agent.id
               FOR NO KEY UPDATE OF agent SKIP LOCKED
            """,
            since=since,
        ))
        agents = self.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        agents._write_state("offline", now)
        if agents:
            _logger.info("%s agents without a web client for %s minutes went offline",
                         len(agents), minutes)
        return agents

    @api.model
    def _cron_end_wrap_up(self, now=None):
        """Agents whose wrap-up time is over become available and take the next
        waiting call. An agent row being written meanwhile (the agent switching
        state) is left to the next run."""
        now = now or fields.Datetime.now()
        self.flush_model(["state", "date_wrap_up_end"])
        self.env.cr.execute(SQL(
            """
            SELECT id FROM crm_call_agent
             WHERE state = 'wrap_up' AND date_wrap_up_end <= %s
             ORDER BY date_wrap_up_end, id
               FOR NO KEY UPDATE SKIP LOCKED
            """,
            now,
        ))
        agents = self.sudo().browse([row[0] for row in self.env.cr.fetchall()])
        for agent in agents:
            agent._write_state("available", agent.date_wrap_up_end)
            self.env["crm.call.queue"].sudo()._acd_dispatch(agent)
        if agents:
            _logger.info("Ended the wrap-up of %s agents", len(agents))
        return agents

    def action_set_available(self):
        self._set_state("available")
        # the first waiting call of their queues rings at once
        self.env["crm.call.queue"].sudo()._acd_dispatch(self.sudo())

    def action_set_away(self):
        self._set_state("away")

    def action_set_offline(self):
        self._set_state("offline")

    # state switcher (web client systray) -------------------------------------

    @api.model
    def get_my_agent_state(self):
        """The current user's agent in the current company, as the state switcher
        shows it; ``False`` for a user who is not an agent there."""
        agent = self.sudo().search([
            ("user_id", "=", self.env.uid), ("company_id", "=", self.env.company.id),
        ], limit=1)
        return agent._crm_switcher_info() if agent else False

    @api.model
    def set_my_agent_state(self, state):
        """The state switcher's buttons: the current user's own agent only, to one of
        the states an agent chooses (ending a wrap-up is choosing *available*)."""
        if state not in SWITCHABLE_STATES:
            raise UserError(self.env._(
                "An agent can only switch to available, away or offline; the other states "
                "come from the calls.",
            ))
        agent = self._crm_current_agent(self.env.company)
        getattr(agent.with_env(self.env), f"action_set_{state}")()
        return agent._crm_switcher_info()

    def _crm_open_call_map(self):
        """{agent id: their open call (ringing or in progress)}, in one query."""
        if not self:
            return {}
        calls = self.env["crm.call"].sudo().search([
            ("agent_id", "in", self.ids), ("state", "in", ("ringing", "in_progress")),
        ], order="date_start desc, id desc")
        result = {}
        for call in calls:
            result.setdefault(call.agent_id.id, call)
        return result

    def _crm_switcher_info(self, call=None, load=None):
        """The agent as the state switcher shows it; ``call``: their open call, ``load``:
        their load per channel, when the caller knows them already."""
        self.ensure_one()
        if call is None:
            call = self._crm_open_call_map().get(self.id)
        if load is None:
            load = self._crm_load().get(self.id, {})
        capacity = self._crm_capacity_map()[self.id]
        return {
            "load": [
                {"channel": channel, "load": load.get(channel, 0),
                 "capacity": capacity.get(channel, 0)}
                for channel in CHANNEL_CODES if capacity.get(channel) or load.get(channel)
            ],
            "id": self.id,
            "company_id": self.company_id.id,
            "state": self.state,
            "extension": self.extension,
            "date_state": fields.Datetime.to_string(self.date_state) or False,
            "call": {
                "id": call.id, "name": call.display_name, "state": call.state,
                # a page (re)loaded while the call rings pops it again
                "popup": call._crm_screen_pop_payload(self) if call.state == "ringing"
                and call.direction == "inbound" else False,
            } if call else False,
        }

    def _crm_notify_state(self, call=None):
        """Tell each agent's user (their web clients, on the bus) their new state."""
        agents = self.sudo()
        calls = {agent.id: call for agent in agents} if call is not None \
            else agents._crm_open_call_map()
        loads = agents._crm_load()
        for agent in agents:
            agent.user_id.partner_id._bus_send(
                "crm_callcenter/agent_state",
                agent._crm_switcher_info(calls.get(agent.id) or agent.env["crm.call"],
                                         loads.get(agent.id)),
            )

    def action_view_calls(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_callcenter.crm_call_action")
        action["domain"] = [("agent_id", "=", self.id)]
        action["context"] = {}
        return action
