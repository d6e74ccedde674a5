from datetime import datetime, timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import SQL, format_duration

STRATEGIES = [
    ("round_robin", "Round robin"),
    ("longest_idle", "Longest idle"),
    ("least_busy", "Least busy"),
    ("skills", "Skills"),
]
# sane bounds of the capacities per channel (items at once, per agent)
CAPACITY_BOUNDS = {
    "call": (1, 5),
    "chat": (0, 20),
    "complaint": (0, 200),
}
# minutes a complaint of another channel may wait without an owner: up to a week
COMPLAINT_WAIT_MAX_MINUTES = 7 * 24 * 60
# a live chat silent this long (a day at most) is over
CHAT_IDLE_MAX_MINUTES = 24 * 60
OVERFLOW_ACTIONS = [
    ("none", "Keep waiting"),
    ("queue", "Another queue"),
    ("voicemail", "Voicemail"),
]


class CrmCallQueue(models.Model):
    _name = "crm.call.queue"
    _description = "Call Queue"
    _inherit = ["mail.thread", "crm.protected.fields.mixin"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True, tracking=True)
    code = fields.Char(
        required=True, index=True, tracking=True,
        help="How the PBX names the queue in its CTI events.",
    )
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company,
    )
    team_id = fields.Many2one(
        "crm.team", index=True, check_company=True, tracking=True,
        help="The sales or service team that answers this queue; its leader supervises "
        "the queue's calls.",
    )
    agent_ids = fields.Many2many(
        "crm.call.agent", "crm_call_queue_agent_rel", "queue_id", "agent_id",
        string="Agents", check_company=True,
    )
    strategy = fields.Selection(
        STRATEGIES, required=True, default="longest_idle", tracking=True,
        help="How the ACD picks among the available agents: round robin (the one "
        "offered a call longest ago), longest idle (available for the longest time), "
        "least busy (fewest calls today), skills (only agents with all the queue's "
        "skills, the most specialised first).",
    )
    skill_ids = fields.Many2many("crm.call.skill", string="Required Skills")
    service_level_seconds = fields.Integer(
        string="Service Level Target (s)", default=20,
        help="Calls answered within this many seconds meet the service level.",
    )
    wrap_up_seconds = fields.Integer(
        string="Wrap-up Time (s)", default=0,
        help="After an answered call of this queue ends, the agent is in wrap-up (notes, "
        "follow-ups) for this many seconds and is not offered calls, then available; "
        "they may end it sooner. 0: available at once.",
    )
    max_wait_seconds = fields.Integer(
        string="Maximum Wait (s)", default=120,
        help="A call waiting longer overflows (0: at once when no agent is available).",
    )
    overflow_action = fields.Selection(
        OVERFLOW_ACTIONS, string="Overflow", required=True, default="none",
    )
    overflow_queue_id = fields.Many2one(
        "crm.call.queue", check_company=True,
    )
    route_complaint_owner = fields.Boolean(
        string="Open Complaint to Its Owner", default=True,
        help="A caller with an open complaint goes first to the agent who owns it.",
    )
    route_complaint_team = fields.Boolean(
        string="Open Complaint to Its Team's Queue", default=True,
        help="When the owner is not available, the call goes to the queue of the "
        "complaint's team.",
    )
    route_key_priority = fields.Boolean(
        string="Key Customers First", default=True,
        help="Key customers (重点客户) wait ahead of the other callers.",
    )
    route_key_account_agents = fields.Boolean(
        string="Key Customers to Key-Account Agents",
        help="Key customers are offered first to the queue's key-account agents.",
    )
    route_salesperson = fields.Boolean(
        string="Customer's Salesperson First",
        help="For a sales queue: the customer's own salesperson takes the call when "
        "available.",
    )
    # the one work queue: how many items of each channel an agent takes at once
    capacity_call = fields.Integer(
        string="Calls at Once", default=1, tracking=True,
        help="Calls an agent has at once (ringing or in progress) when this queue offers "
        "them a call: 1 to 5. Above 1, an agent in a call is offered another one.",
    )
    capacity_chat = fields.Integer(
        string="Chats at Once", default=3, tracking=True,
        help="Live chats an agent answers at once when this queue offers them a chat: "
        "0 to 20 (0: no chats from this queue).",
    )
    chat_idle_minutes = fields.Integer(
        string="End Silent Chats After (min)", default=60, tracking=True,
        help="A live chat of this queue with no message for this many minutes is ended, "
        "as if the visitor had left (a visitor who closes the page without leaving "
        "keeps it open): it no longer counts in its agent's chats, and one not "
        "answered yet counts as abandoned. 0 to 1440; 0: never.",
    )
    capacity_complaint = fields.Integer(
        string="Complaints in Progress", default=10, tracking=True,
        help="Complaints an agent has in progress (assigned to them, not closed) when this "
        "queue assigns them one: 0 to 200 (0: no complaints from this queue).",
    )
    route_complaints = fields.Boolean(
        string="Assign Complaints", tracking=True,
        help="New complaints of the queue's team by e-mail and the portal are assigned to "
        "the queue's agents, within their capacity: at once when one is free, otherwise "
        "as soon as one is, the nearest SLA deadline first.",
    )
    complaint_wait_minutes = fields.Integer(
        string="Assign Waiting Complaints After (min)", default=60,
        help="Complaints of the queue's team from the other channels (phone, store, "
        "social media...) still without an owner this many minutes after they came in "
        "are assigned too (0: at once, by the next run).",
    )
    waiting_count = fields.Integer(string="Waiting", compute="_compute_waiting_count")
    service_level_target = fields.Float(
        string="Service Level Goal (%)", default=80.0,
        help="Share of the calls to answer within the service level target seconds; the "
        "wallboard shows the queue in red below it (e.g. 80% within 20 s).",
    )
    # wallboard: live figures, computed when read
    longest_wait_seconds = fields.Integer(
        string="Longest Wait (s)", compute="_compute_wallboard",
        help="How long the call waiting longest has been waiting.",
    )
    longest_wait_display = fields.Char(string="Longest Wait", compute="_compute_wallboard")
    agent_available_count = fields.Integer(string="Available", compute="_compute_wallboard")
    agent_busy_count = fields.Integer(
        string="Busy", compute="_compute_wallboard", help="On a call or in wrap-up.")
    agent_away_count = fields.Integer(string="Away", compute="_compute_wallboard")
    today_offered_count = fields.Integer(string="Offered Today", compute="_compute_wallboard")
    today_handled_count = fields.Integer(string="Handled Today", compute="_compute_wallboard")
    today_abandoned_count = fields.Integer(
        string="Abandoned Today", compute="_compute_wallboard")
    today_service_level = fields.Float(
        string="Service Level Today (%)", compute="_compute_wallboard",
        help="Calls answered within the target seconds today, out of today's offered calls "
        "no longer waiting.",
    )
    today_has_service_level = fields.Boolean(compute="_compute_wallboard")
    # the other channels of the one work queue: waiting now, handled and abandoned today
    chat_waiting_count = fields.Integer(
        string="Chats Waiting", compute="_compute_wallboard",
        help="Live chats of the queue the operator has not answered yet.")
    today_chat_handled_count = fields.Integer(
        string="Chats Handled Today", compute="_compute_wallboard")
    today_chat_abandoned_count = fields.Integer(
        string="Chats Abandoned Today", compute="_compute_wallboard")
    complaint_waiting_count = fields.Integer(
        string="Complaints Waiting", compute="_compute_wallboard",
        help="Complaints the queue took and has not assigned to an agent yet.")
    today_complaint_handled_count = fields.Integer(
        string="Complaints Handled Today", compute="_compute_wallboard",
        help="Complaints of the queue received today and closed with an owner.")
    today_complaint_abandoned_count = fields.Integer(
        string="Complaints Abandoned Today", compute="_compute_wallboard",
        help="Complaints of the queue received today and closed without an owner.")
    service_level_goal_display = fields.Char(string="Goal", compute="_compute_wallboard")
    today_below_target = fields.Boolean(
        string="Below Goal", compute="_compute_wallboard",
        help="Today's service level is below the queue's goal.",
    )

    _sql_constraints = [
        ("code_company_uniq", "unique(code, company_id)",
         "A queue with this code already exists in the company."),
        ("numbers_positive",
         "CHECK(service_level_seconds >= 0 AND max_wait_seconds >= 0)",
         "Service level and maximum wait cannot be negative."),
        ("service_level_target_percent",
         "CHECK(service_level_target >= 0 AND service_level_target <= 100)",
         "The service level goal is a percentage, from 0 to 100."),
    ]

    def _compute_waiting_count(self):
        counts = dict(self.env["crm.call"]._read_group(
            [("queue_id", "in", self.ids), ("state", "=", "queued")], ["queue_id"], ["__count"],
        ))
        for queue in self:
            queue.waiting_count = counts.get(queue, 0)

    def _today_start(self, now):
        """Midnight of the queue's company's day of ``now`` (UTC, naive): a call
        center's "today" is its company's, in the company's time zone, whoever looks."""
        self.ensure_one()
        company = self.company_id
        return company._crm_day_start(company._crm_local_date(now))

    def _wallboard_now(self):
        # a fixed moment for tests; the figures are only shown, never stored
        return self.env.context.get("crm_wallboard_now") or fields.Datetime.now()

    def _compute_wallboard(self):
        """The wallboard's figures of the queues: a constant number of queries.
        They count every call of the queue, whoever reads them."""
        now = self._wallboard_now()
        Call = self.env["crm.call"].sudo()
        oldest = dict(Call._read_group(
            [("queue_id", "in", self.ids), ("state", "=", "queued")],
            ["queue_id"], ["date_queued:min"],
        ))
        # today of each company, from its own midnight: one query for all the queues
        by_company = {}
        for queue in self.filtered("id"):
            by_company.setdefault(queue.company_id, self.browse())
            by_company[queue.company_id] |= queue
        since = expression.OR([
            [("queue_id", "in", queues.ids), ("date", ">=", queues[0]._today_start(now))]
            for queues in by_company.values()
        ]) if by_company else expression.FALSE_DOMAIN
        today = {
            queue: figures for queue, *figures in self.env["crm.call.report"].sudo()._read_group(
                expression.AND([since, [("date", "<=", now)]]),
                ["queue_id"],
                ["offered_count:sum", "handled_count:sum", "abandoned_count:sum",
                 "sl_base_count:sum", "service_level:avg"],
            )
        }
        # chats and complaints: waiting now (whenever they came), handled and
        # abandoned today; an item waiting is neither handled nor abandoned
        channels = {
            (queue, channel): figures
            for queue, channel, *figures in self.env["crm.channel.report"].sudo()._read_group(
                expression.AND([
                    [("channel", "in", ("chat", "complaint")), ("date", "<=", now)],
                    expression.OR([since, [("queue_id", "in", self.ids),
                                           ("waiting_count", "=", 1)]]),
                ]),
                ["queue_id", "channel"],
                ["waiting_count:sum", "handled_count:sum", "abandoned_count:sum"],
            )
        } if self.ids else {}
        agents = dict(self.env["crm.call.agent"].sudo()._read_group(
            [("queue_ids", "in", self.ids)], ["queue_ids"], ["id:array_agg"],
        )) if self.ids else {}
        states = {agent.id: agent.state for agent in self.env["crm.call.agent"].sudo().browse(
            {agent_id for ids in agents.values() for agent_id in ids}
        )}
        for queue in self:
            since = oldest.get(queue._origin)
            wait = Call._seconds(since, now) if since else 0
            queue.longest_wait_seconds = wait
            # minutes and seconds: the host's hours-and-minutes form, one unit down
            queue.longest_wait_display = format_duration(wait / 60)
            agent_states = [states[agent_id] for agent_id in agents.get(queue._origin, [])]
            queue.agent_available_count = agent_states.count("available")
            queue.agent_busy_count = agent_states.count("busy") + agent_states.count("wrap_up")
            queue.agent_away_count = agent_states.count("away")
            offered, handled, abandoned, finished, level = today.get(
                queue._origin, (0, 0, 0, 0, None))
            queue.today_offered_count = offered
            queue.today_handled_count = handled
            queue.today_abandoned_count = abandoned
            (queue.chat_waiting_count, queue.today_chat_handled_count,
             queue.today_chat_abandoned_count) = channels.get((queue._origin, "chat"), (0, 0, 0))
            (queue.complaint_waiting_count, queue.today_complaint_handled_count,
             queue.today_complaint_abandoned_count) = channels.get(
                (queue._origin, "complaint"), (0, 0, 0))
            queue.today_has_service_level = bool(finished)
            queue.today_service_level = level or 0.0
            queue.today_below_target = bool(finished) and (level or 0.0) < \
                queue.service_level_target
            queue.service_level_goal_display = self.env._(
                "%(percent)s%% answered within %(seconds)s s",
                percent=round(queue.service_level_target), seconds=queue.service_level_seconds,
            )

    @api.constrains("wrap_up_seconds")
    def _check_wrap_up_seconds(self):
        for queue in self:
            if not 0 <= queue.wrap_up_seconds <= 3600:
                raise ValidationError(self.env._(
                    "The wrap-up time of queue %(queue)s must be between 0 and 3600 seconds "
                    "(an hour), not %(seconds)s.",
                    queue=queue.name, seconds=queue.wrap_up_seconds,
                ))

    @api.constrains("capacity_call", "capacity_chat", "capacity_complaint")
    def _check_capacities(self):
        labels = {
            "call": self.env._("calls at once"),
            "chat": self.env._("chats at once"),
            "complaint": self.env._("complaints in progress"),
        }
        for queue in self:
            for channel, (low, high) in CAPACITY_BOUNDS.items():
                value = queue._crm_capacity(channel)
                if not low <= value <= high:
                    raise ValidationError(self.env._(
                        "Queue %(queue)s: the capacity of %(channel)s must be between "
                        "%(low)s and %(high)s, not %(value)s.",
                        queue=queue.name, channel=labels[channel], low=low, high=high,
                        value=value,
                    ))

    @api.constrains("complaint_wait_minutes")
    def _check_complaint_wait_minutes(self):
        for queue in self:
            if not 0 <= queue.complaint_wait_minutes <= COMPLAINT_WAIT_MAX_MINUTES:
                raise ValidationError(self.env._(
                    "Queue %(queue)s: complaints wait between 0 and %(max)s minutes (a "
                    "week) before they are assigned, not %(minutes)s.",
                    queue=queue.name, max=COMPLAINT_WAIT_MAX_MINUTES,
                    minutes=queue.complaint_wait_minutes,
                ))

    @api.constrains("chat_idle_minutes")
    def _check_chat_idle_minutes(self):
        for queue in self:
            if not 0 <= queue.chat_idle_minutes <= CHAT_IDLE_MAX_MINUTES:
                raise ValidationError(self.env._(
                    "Queue %(queue)s: silent chats end after 0 to %(max)s minutes (a day; "
                    "0: never), not %(minutes)s.",
                    queue=queue.name, max=CHAT_IDLE_MAX_MINUTES,
                    minutes=queue.chat_idle_minutes,
                ))

    @api.constrains("overflow_action", "overflow_queue_id")
    def _check_overflow_queue(self):
        for queue in self:
            if queue.overflow_action == "queue" and (
                not queue.overflow_queue_id or queue.overflow_queue_id == queue
            ):
                raise ValidationError(self.env._(
                    "Queue %(queue)s overflows to another queue: choose one other than "
                    "itself.", queue=queue.name,
                ))

    def action_view_wallboard_calls(self):
        """The queue's calls of today (the company's day), from the wallboard."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_callcenter.crm_call_action")
        company = self.company_id
        today = company._crm_local_date(self._wallboard_now())
        action["domain"] = [
            ("queue_id", "=", self.id),
            ("date_start", ">=", fields.Datetime.to_string(company._crm_day_start(today))),
            ("date_start", "<", fields.Datetime.to_string(
                company._crm_day_start(today + timedelta(days=1)))),
        ]
        action["context"] = {}
        return action

    # ACD -------------------------------------------------------------------

    def _crm_capacity(self, channel):
        """How many items of ``channel`` an agent has at once when this queue offers
        them one."""
        self.ensure_one()
        return self[f"capacity_{channel}"]

    def _acd_available_agents(self, channel="call"):
        """The queue's agents it may offer an item of ``channel`` now (their state,
        and their load within the queue's capacity): two queries."""
        self.ensure_one()
        return self.env["crm.call.agent"].search([
            ("queue_ids", "in", self.id),
            ("state", "in", ("available", "busy")),
            ("company_id", "=", self.company_id.id),
        ])._crm_has_capacity(channel, self)

    def _acd_pick(self, agents, now, channel="call"):
        """The agent the queue's strategy picks among ``agents`` for an item of
        ``channel``, or none. Agents available come before agents in a call (who may
        take a chat or a complaint meanwhile)."""
        self.ensure_one()
        if not agents:
            return agents
        oldest = datetime.min

        def idle(agent):
            return (agent.state != "available", agent.date_state or oldest, agent.id)

        if self.strategy == "round_robin":
            # the agent offered an item of the channel longest ago
            last = {"complaint": "date_last_complaint", "chat": "date_last_chat"}.get(
                channel, "date_last_offered")
            return min(agents, key=lambda a: (a[last] or oldest, a.id))
        if self.strategy == "least_busy" and channel != "call":
            # the fewest items of the channel open now
            loads = getattr(agents, f"_crm_load_{channel}")()
            return min(agents, key=lambda a: (loads.get(a.id, 0), *idle(a)))
        if self.strategy == "least_busy":
            # the calls of the company's day: its midnight is found in the query
            # itself (one query, whatever the company's time zone)
            Call = self.env["crm.call"]
            Call.flush_model(["agent_id", "date_start"])
            query = Call._search([("agent_id", "in", agents.ids)])
            Company = self.env["res.company"]
            company = SQL("%s", self.company_id.id)
            today = Company._crm_local_date_sql_by_company(SQL("%s::timestamp", now), company)
            query.add_where(SQL(
                "%s >= %s", SQL.identifier(query.table, "date_start"),
                Company._crm_day_start_sql_by_company(today, company),
            ))
            query.groupby = SQL.identifier(query.table, "agent_id")
            self.env.cr.execute(query.select(
                SQL.identifier(query.table, "agent_id"), SQL("COUNT(*)")))
            counts = dict(self.env.cr.fetchall())
            return min(agents, key=lambda a: (counts.get(a.id, 0), *idle(a)))
        if self.strategy == "skills":
            required = self.skill_ids
            skilled = agents.filtered(lambda a: required <= a.skill_ids)
            if not skilled:
                return skilled
            return min(skilled, key=lambda a: (len(a.skill_ids - required), *idle(a)))
        return min(agents, key=idle)

    def _acd_select(self, channel, partner, now, complaint=None):
        """Choose the agent for an item of ``channel`` of the customer ``partner``
        arriving in this queue: the value rules of the queue, then its strategy. The
        ACD of every channel (calls, complaints, live chats) goes through here.

        In order, each a setting of the queue: the owner of the customer's open
        complaint (other than ``complaint``, the item itself), else — for calls —
        that complaint's team queue; key customers ahead in the queue (calls); the
        customer's salesperson; key customers to key-account agents; the queue's
        strategy. Only agents the queue may offer an item of ``channel`` now, within
        its capacity, are chosen, and the chosen one is claimed (their row locked):
        two offers at once never take the same last free capacity.

        :return: dict with ``queue`` (where the item goes, this one or the complaint's
            team queue), ``agent`` (claimed; none: the item waits), ``rule`` (the
            routing rule), ``steps`` (what was decided, as codes and ids) and
            ``priority`` (1: ahead in the queue)
        """
        self.ensure_one()
        Agent = self.env["crm.call.agent"]
        queue = self
        company = queue.company_id
        # the customer as the item's company knows it (its tier is per company)
        partner = partner.commercial_partner_id.with_company(company)
        steps = []
        result = {"queue": queue, "agent": Agent, "rule": "strategy", "steps": steps,
                  "priority": 0}

        def named(user):
            """The agent of ``user`` in the company, if the queue may offer them the
            item now: claimed."""
            agent = Agent.search([
                ("user_id", "=", user.id), ("company_id", "=", company.id),
                ("state", "in", ("available", "busy")),
            ], limit=1)
            return agent._crm_has_capacity(channel, queue)._crm_claim()

        if partner and (queue.route_complaint_owner or queue.route_complaint_team):
            domain = [
                ("commercial_partner_id", "=", partner.id),
                ("stage_id.is_closed", "=", False),
                ("company_id", "=", company.id),
            ]
            if complaint:
                domain += [("id", "!=", complaint.id), ("user_id", "!=", False)]
            open_complaint = self.env["crm.complaint"].search(
                domain, order="priority desc, id desc", limit=1)
            owner = open_complaint.user_id
            if open_complaint and queue.route_complaint_owner and owner:
                agent = named(owner)
                if agent:
                    steps.append({"code": "complaint_owner", "complaint": open_complaint.id,
                                  "agent": agent.id})
                    return {**result, "agent": agent, "rule": "complaint_owner"}
                steps.append({"code": "complaint_owner_away",
                              "complaint": open_complaint.id, "user": owner.id})
            if open_complaint and queue.route_complaint_team and open_complaint.team_id \
                    and channel == "call":
                team_queue = self.search([
                    ("team_id", "=", open_complaint.team_id.id),
                    ("company_id", "=", company.id),
                ], limit=1)
                if team_queue and team_queue != queue:
                    steps.append({"code": "complaint_team", "complaint": open_complaint.id,
                                  "queue": team_queue.id})
                    queue = result["queue"] = team_queue
                    result["rule"] = "complaint_team"
        is_key = partner.customer_tier == "key"
        if is_key and queue.route_key_priority and channel == "call":
            result["priority"] = 1
            steps.append({"code": "key_priority"})
        if partner.user_id and queue.route_salesperson:
            agent = named(partner.user_id)
            if agent:
                steps.append({"code": "salesperson", "agent": agent.id})
                return {**result, "agent": agent, "rule": "salesperson"}
            steps.append({"code": "salesperson_away", "user": partner.user_id.id})
        agents = queue._acd_available_agents(channel)
        rule = result["rule"]
        if is_key and queue.route_key_account_agents:
            key_agents = agents.filtered("is_key_account")
            if key_agents:
                agents = key_agents
                rule = "key_account"
                steps.append({"code": "key_account"})
        agent = queue._acd_pick(agents, now, channel)
        while agent and not agent._crm_claim():
            # an offer at the same moment took them: the next one by the strategy
            agents -= agent
            agent = queue._acd_pick(agents, now, channel)
        if agent:
            steps.append({"code": "strategy", "queue": queue.id, "strategy": queue.strategy,
                          "agent": agent.id})
            return {**result, "agent": agent, "rule": rule}
        return result

    def _acd_dispatch(self, agents):
        """Offer each of ``agents`` (available, in ``sudo``) the first waiting call of
        their queues: higher priority first, then the longest waiting."""
        Call = self.env["crm.call"].sudo()
        now = fields.Datetime.now()
        for agent in agents.filtered(lambda a: a.state == "available"):
            call = Call.search([
                ("queue_id", "in", agent.queue_ids.ids), ("state", "=", "queued"),
                ("company_id", "=", agent.company_id.id),
            ], order="queue_priority desc, date_queued, id", limit=1)
            if call:
                call._acd_offer(agent, "dispatched", [{
                    "code": "dispatched", "agent": agent.id, "queue": call.queue_id.id,
                }], {}, now)
        # an agent free again may have room for a waiting complaint as well
        if agents.queue_ids.filtered("route_complaints"):
            cron = self.env.ref("crm_callcenter.crm_complaint_cron_acd_assign",
                                raise_if_not_found=False)
            if cron:
                cron.sudo()._trigger()
