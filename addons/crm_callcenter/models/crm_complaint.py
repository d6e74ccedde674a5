import logging
from datetime import timedelta

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# complaints the queues assign as they come in (the others after a wait without owner)
INTAKE_CHANNELS = ("email", "portal")


class CrmComplaint(models.Model):
    """Complaints through the ACD: the one work queue of the call center assigns
    complaints to the agents of the queue of their team, within each agent's
    capacity for complaints, with the value rules and the strategy of the calls."""

    _inherit = "crm.complaint"

    acd_queue_id = fields.Many2one(
        "crm.call.queue", string="Assigned Through Queue", readonly=True, copy=False,
        index="btree_not_null", groups="base.group_user",
        help="The call center queue (of the complaint's team) that assigned it.",
    )
    acd_date_assigned = fields.Datetime(
        string="Assigned by the ACD", readonly=True, copy=False, groups="base.group_user",
    )
    acd_routing_steps = fields.Json(
        string="Assignment Steps", readonly=True, copy=False, groups="base.group_user",
        help="What the ACD decided, step by step, as codes and record ids: told in each "
        "reader's language by Assignment Reason.",
    )
    acd_routing_reason = fields.Text(
        string="Assignment Reason", compute="_compute_acd_routing_reason",
        groups="base.group_user",
        help="Why the call center's queues assigned the complaint to its owner, in the "
        "reader's language.",
    )

    @api.depends("acd_routing_steps")
    @api.depends_context("lang")
    def _compute_acd_routing_reason(self):
        Call = self.env["crm.call"]
        for complaint in self:
            complaint.acd_routing_reason = "\n".join(
                Call._crm_routing_step_text(step) for step in complaint.acd_routing_steps or []
            ) or False

    @api.model
    def _crm_server_fields(self):
        # decided by the ACD: only the server writes them
        return (
            *super()._crm_server_fields(),
            "acd_queue_id", "acd_date_assigned", "acd_routing_steps", "acd_routing_reason",
        )

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        """A new complaint by e-mail or the portal without an owner is assigned by
        the queue of its team at once, when an agent has room for it."""
        complaints = super().create(vals_list)
        intake = complaints.filtered(
            lambda complaint: complaint.channel in INTAKE_CHANNELS and not complaint.user_id)
        if intake:
            intake.sudo()._crm_acd_assign(intake=True)
        return complaints

    def write(self, vals):
        result = super().write(vals)
        if ("user_id" in vals or "stage_id" in vals) \
                and not self.env.context.get("crm_acd_assigning"):
            # a complaint given to someone else, or closed: its agent may have room
            # for a waiting one
            self._crm_acd_trigger()
        return result

    # ------------------------------------------------------------------ ACD

    def _crm_acd_queue_map(self):
        """{complaint id: the queue assigning complaints of its team and company}:
        the first such queue by sequence; one query."""
        complaints = self.filtered("team_id")
        if not complaints:
            return {}
        queues = self.env["crm.call.queue"].sudo().search([
            ("route_complaints", "=", True),
            ("team_id", "in", complaints.team_id.ids),
            ("company_id", "in", complaints.company_id.ids),
        ])
        first = {}
        for queue in queues:
            first.setdefault((queue.team_id.id, queue.company_id.id), queue)
        return {
            complaint.id: queue for complaint in complaints
            if (queue := first.get((complaint.team_id.id, complaint.company_id.id)))
        }

    def _crm_acd_assign(self, now=None, intake=False, first_step=None):
        """Assign each complaint of ``self`` (in ``sudo``, without an owner, not
        closed) through the queue of its team: the queue's value rules and strategy
        (``crm.call.queue._acd_select``, the calls' own) among the agents with room
        for one more complaint, the chosen agent's row locked until the assignment
        commits. The steps of the decision are stored as codes.

        :param intake: the complaints just came in; those for which no agent has room
            record that they wait (the scheduled action assigns them later)
        :param first_step: function (complaint, queue) giving the step that says why
            the complaint is being assigned now
        :return: the complaints assigned
        """
        now = now or fields.Datetime.now()
        queues = self._crm_acd_queue_map()
        assigned = self.browse()
        for complaint in self:
            queue = queues.get(complaint.id)
            if not queue or complaint.user_id or complaint.stage_id.is_closed:
                continue
            steps = [first_step(complaint, queue) if first_step else {
                "code": "complaint_intake", "channel": complaint.channel, "queue": queue.id,
            }]
            choice = queue._acd_select("complaint", complaint.partner_id, now,
                                       complaint=complaint)
            agent = choice["agent"]
            if not agent and not intake:
                continue
            steps += choice["steps"]
            vals = {"acd_queue_id": queue.id}
            if agent:
                vals.update(user_id=agent.user_id.id, acd_date_assigned=now)
            else:
                steps.append({"code": "complaint_waits", "queue": queue.id})
            vals["acd_routing_steps"] = [*(complaint.acd_routing_steps or []), *steps]
            complaint.with_context(crm_acd_assigning=True).write(vals)
            if agent:
                agent.write({"date_last_complaint": now})
                agent._crm_notify_state()
                assigned |= complaint
        return assigned

    def _crm_acd_trigger(self):
        """Run the assignment of waiting complaints soon, when a queue assigns the
        complaints of one of ``self``'s teams."""
        if self._crm_acd_queue_map():
            cron = self.env.ref("crm_callcenter.crm_complaint_cron_acd_assign",
                                raise_if_not_found=False)
            if cron:
                cron.sudo()._trigger()

    @api.model
    def _crm_acd_waiting_domain(self, queue, now):
        """The complaints ``queue`` assigns now: of its team and company, without an
        owner, not closed, that came in by e-mail or the portal or waited longer than
        the queue's setting."""
        return [
            ("team_id", "=", queue.team_id.id),
            ("company_id", "=", queue.company_id.id),
            ("user_id", "=", False),
            ("stage_id.is_closed", "=", False),
            "|", ("channel", "in", INTAKE_CHANNELS),
            ("date_received", "<=", now - timedelta(minutes=queue.complaint_wait_minutes)),
        ]

    @api.model
    def _crm_acd_next_waiting(self, queues, now, skip_ids=()):
        """The waiting complaint of ``queues`` (of one company) to assign first: the
        nearest SLA deadline (the response's while unanswered, else the
        resolution's; none last), then key customers (重点客户, the customer's tier
        in the company), higher priority, the longest waiting. One query."""
        company = queues.company_id
        domain = expression.OR([self._crm_acd_waiting_domain(queue, now) for queue in queues])
        if skip_ids:
            domain = expression.AND([domain, [("id", "not in", list(skip_ids))]])
        Complaint = self.sudo().with_company(company)
        Complaint.flush_model()
        query = Complaint._search(domain)
        key = self.env["res.partner"].sudo().with_company(company)._search(
            [("customer_tier", "=", "key")])
        table = query.table
        query.order = SQL(
            """LEAST(CASE WHEN %(first_response)s IS NULL THEN %(response)s END,
                     %(resolve)s) NULLS LAST,
               (%(partner)s IN %(key)s) DESC NULLS LAST,
               %(priority)s DESC, %(received)s, %(id)s""",
            first_response=SQL.identifier(table, "first_response_date"),
            response=SQL.identifier(table, "response_deadline"),
            resolve=SQL.identifier(table, "resolve_deadline"),
            partner=SQL.identifier(table, "commercial_partner_id"),
            key=key.subselect(),
            priority=SQL.identifier(table, "priority"),
            received=SQL.identifier(table, "date_received"),
            id=SQL.identifier(table, "id"),
        )
        query.limit = 1
        return Complaint.browse(query.get_result_ids())

    def _crm_acd_lock(self):
        """``self`` if its row is free and it still has no owner (locked until the
        transaction ends), else no complaint: another run is assigning it."""
        self.ensure_one()
        self.env.cr.execute(SQL(
            "SELECT id FROM crm_complaint WHERE id = %s AND user_id IS NULL "
            "FOR NO KEY UPDATE SKIP LOCKED", self.id,
        ))
        return self if self.env.cr.rowcount else self.browse()

    @api.model
    def _crm_acd_assign_next(self, queues, now, skip):
        """Assign the first waiting complaint of ``queues`` (of one company), its row
        locked; ``skip``: ids tried already in this run (the complaint's is added).
        A bounded number of queries, whatever the number of agents and complaints.

        :return: (the complaint, its queue when assigned): (no complaint, no queue)
            when nothing waits, (complaint, no queue) when nobody of its queue has room
            now, (complaint, None) when another run holds it
        """
        Queue = self.env["crm.call.queue"]
        complaint = self._crm_acd_next_waiting(queues, now, skip)
        if not complaint:
            return complaint, Queue
        skip.add(complaint.id)
        if not complaint._crm_acd_lock():
            return complaint, None

        def first_step(complaint, queue):
            if complaint.channel in INTAKE_CHANNELS:
                return {"code": "complaint_dispatched", "queue": queue.id}
            return {"code": "complaint_unassigned", "queue": queue.id,
                    "minutes": queue.complaint_wait_minutes}

        if complaint._crm_acd_assign(now, first_step=first_step):
            return complaint, complaint.acd_queue_id
        return complaint, Queue

    @api.model
    def _cron_acd_assign_complaints(self, now=None):
        """Assign the waiting complaints through the queues, the nearest SLA deadline
        first, while their agents have room.

        Each complaint is a short transaction of its own: under the scheduler one
        complaint per call, which the host's cron progress commits before calling
        again. The complaint's row and the agent's are locked (skipped when another
        run holds them): two runs at once never assign a complaint twice nor give an
        agent more than their capacity. A queue whose agents have no room is left
        for the next run.

        :return: the complaints assigned
        """
        now = now or fields.Datetime.now()
        # the system's doing, whoever runs the job
        Complaint = self.sudo()
        one_at_a_time = bool(self.env.context.get("ir_cron_progress_id"))
        Queue = self.env["crm.call.queue"].sudo()
        queues = Queue.search([("route_complaints", "=", True), ("team_id", "!=", False)])
        first = {}
        for queue in queues:
            first.setdefault((queue.team_id.id, queue.company_id.id), queue)
        # only the queues with an agent who has room now
        queues = Queue.browse(
            [queue.id for queue in first.values() if queue._acd_available_agents("complaint")])
        assigned = Complaint.browse()
        skip = set()
        for company in queues.company_id:
            company_queues = queues.filtered(lambda queue, c=company: queue.company_id == c)
            while company_queues:
                complaint, queue = Complaint._crm_acd_assign_next(company_queues, now, skip)
                if not complaint:
                    break
                if queue is None:
                    continue  # another run is assigning it
                if not queue:
                    # nobody of its queue has room any more (or all are being offered
                    # something right now): the queue waits for the next run
                    company_queues -= complaint._crm_acd_queue_map().get(complaint.id)
                    continue
                assigned |= complaint
                if one_at_a_time:
                    # the host's cron commits this one and calls again for the next
                    self.env["ir.cron"]._notify_progress(done=1, remaining=1)
                    return assigned
        if assigned:
            _logger.info("The queues assigned %s waiting complaints", len(assigned))
        self.env["ir.cron"]._notify_progress(done=len(assigned), remaining=0)
        return assigned
