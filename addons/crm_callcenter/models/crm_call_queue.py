from datetime import datetime, time

from odoo import api, fields, models
from odoo.exceptions import ValidationError

STRATEGIES = [
    ("round_robin", "Round robin"),
    ("longest_idle", "Longest idle"),
    ("least_busy", "Least busy"),
    ("skills", "Skills"),
]
OVERFLOW_ACTIONS = [
    ("none", "Keep waiting"),
    ("queue", "Another queue"),
    ("voicemail", "Voicemail"),
]


class CrmCallQueue(models.Model):
    _name = "crm.call.queue"
    _description = "Call Queue"
    _inherit = ["mail.thread"]
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
    waiting_count = fields.Integer(string="Waiting", compute="_compute_waiting_count")

    _sql_constraints = [
        ("code_company_uniq", "unique(code, company_id)",
         "A queue with this code already exists in the company."),
        ("numbers_positive",
         "CHECK(service_level_seconds >= 0 AND max_wait_seconds >= 0)",
         "Service level and maximum wait cannot be negative."),
    ]

    def _compute_waiting_count(self):
        counts = dict(self.env["crm.call"]._read_group(
            [("queue_id", "in", self.ids), ("state", "=", "queued")], ["queue_id"], ["__count"],
        ))
        for queue in self:
            queue.waiting_count = counts.get(queue, 0)

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

    # ACD -------------------------------------------------------------------

    def _acd_available_agents(self):
        """Available agents of the queue: one query."""
        self.ensure_one()
        return self.env["crm.call.agent"].search([
            ("queue_ids", "in", self.id),
            ("state", "=", "available"),
            ("company_id", "=", self.company_id.id),
        ])

    def _acd_pick(self, agents, now):
        """The agent the queue's strategy picks among ``agents``, or none."""
        self.ensure_one()
        if not agents:
            return agents
        oldest = datetime.min

        def idle(agent):
            return (agent.date_state or oldest, agent.id)

        if self.strategy == "round_robin":
            return min(agents, key=lambda a: (a.date_last_offered or oldest, a.id))
        if self.strategy == "least_busy":
            start = datetime.combine(now.date(), time.min)
            counts = dict(self.env["crm.call"]._read_group(
                [("agent_id", "in", agents.ids), ("date_start", ">=", start)],
                ["agent_id"], ["__count"],
            ))
            return min(agents, key=lambda a: (counts.get(a, 0), *idle(a)))
        if self.strategy == "skills":
            required = self.skill_ids
            skilled = agents.filtered(lambda a: required <= a.skill_ids)
            if not skilled:
                return skilled
            return min(skilled, key=lambda a: (len(a.skill_ids - required), *idle(a)))
        return min(agents, key=idle)

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
                call._acd_offer(agent, "dispatched", [self.env._(
                    "%(agent)s became available: took the call from queue %(queue)s.",
                    agent=agent.name, queue=call.queue_id.name,
                )], {}, now)
