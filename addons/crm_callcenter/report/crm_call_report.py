from odoo import api, fields, models
from odoo.tools import SQL

from ..models.crm_call import CALL_STATES, DIRECTIONS

# an answered call of a customer counts as resolved at first contact when the customer
# does not call again within this many days
FCR_DAYS = 7

# rate measure: (numerator, denominator, factor); aggregated as the ratio of the sums
RATES = {
    "abandon_rate": ("abandoned_count", "offered_count", 100),
    "service_level": ("sl_met_count", "sl_base_count", 100),
    "fcr_rate": ("fcr_count", "fcr_base_count", 100),
    "avg_wait_seconds": ("wait_seconds_total", "handled_count", 1),
    "avg_handle_seconds": ("talk_seconds_total", "answered_count", 1),
}


class CrmCallReport(models.Model):
    """Call center KPIs: one row per call, with the counts and sums the KPIs are
    made of, for pivot and graph by agent, queue, team and day. *Day* is the
    company's day of the call, in its time zone (a call at 07:00 on 1 March in
    Shanghai, stored as 23:00 UTC on 28 February, is a call of 1 March).

    - *offered*: inbound calls that reached a queue; *handled*: of these, the ones
      an agent took (in progress or done); *abandoned*: the caller hung up before an
      answer; *missed*: nobody answered (ring timeout, voicemail).
    - *abandon rate* = abandoned / offered.
    - *average wait* (speed of answer) = wait of the handled calls / handled.
    - *average handle time* = talk time of the answered calls (both directions) /
      answered calls; the wrap-up after a call is not measured per call.
    - *service level* = handled calls answered within the queue's target seconds /
      offered calls no longer waiting (handled, abandoned or missed).
    - *first-contact resolution* = handled calls of a known customer not followed by
      another inbound call of the same customer within 7 days / handled calls of a
      known customer (calls of the last 7 days count as resolved so far).

    A rate is aggregated as the ratio of the sums of its numerator and denominator
    (never as the mean of the rows' rates), and is empty where there is no
    denominator (crm_core's ``crm.report.rates.mixin``). The query is built from
    ``_select``, ``_from``, ``_where`` and ``_group_by``, as ``sale.report`` does.
    """

    _name = "crm.call.report"
    _inherit = ["crm.report.rates.mixin"]
    _description = "Call Center KPIs"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "call_id"

    call_id = fields.Many2one("crm.call", readonly=True)
    date = fields.Datetime(readonly=True)
    day = fields.Date(
        readonly=True,
        help="The company's day of the call, in the company's time zone: days, weeks and "
        "months of the report are the company's, whoever reads it.")
    direction = fields.Selection(DIRECTIONS, readonly=True)
    state = fields.Selection(CALL_STATES, readonly=True)
    agent_id = fields.Many2one("crm.call.agent", readonly=True)
    user_id = fields.Many2one("res.users", string="Agent User", readonly=True)
    queue_id = fields.Many2one("crm.call.queue", readonly=True)
    team_id = fields.Many2one("crm.team", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    outcome_id = fields.Many2one("crm.call.outcome", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)

    call_count = fields.Integer(string="Calls", readonly=True)
    offered_count = fields.Integer(
        string="Offered", readonly=True, help="Inbound calls that reached a queue.")
    handled_count = fields.Integer(
        string="Handled", readonly=True, help="Offered calls an agent took.")
    abandoned_count = fields.Integer(
        string="Abandoned", readonly=True,
        help="Offered calls whose caller hung up before an answer.")
    missed_count = fields.Integer(
        string="Missed", readonly=True,
        help="Offered calls nobody answered (ring timeout, voicemail).")
    outbound_count = fields.Integer(string="Outbound", readonly=True)
    answered_count = fields.Integer(
        string="Answered", readonly=True, help="Calls answered, inbound and outbound.")
    sl_base_count = fields.Integer(
        string="Offered and Finished", readonly=True,
        help="Offered calls no longer waiting: handled, abandoned or missed.")
    sl_met_count = fields.Integer(
        string="Answered within Target", readonly=True,
        help="Handled calls answered within the queue's service level target.")
    fcr_base_count = fields.Integer(
        string="Handled Calls of Known Customers", readonly=True)
    fcr_count = fields.Integer(
        string="Resolved at First Contact", readonly=True,
        help="Handled calls of a known customer who did not call again within 7 days.")
    lead_count = fields.Integer(string="Leads Created", readonly=True)
    complaint_count = fields.Integer(string="Complaints Created", readonly=True)
    wait_seconds_total = fields.Integer(
        string="Wait of Handled Calls (s)", readonly=True)
    talk_seconds_total = fields.Integer(string="Talk Time (s)", readonly=True)

    abandon_rate = fields.Float(
        string="Abandon Rate (%)", readonly=True, aggregator="avg",
        help="Abandoned calls out of the offered calls.")
    service_level = fields.Float(
        string="Service Level (%)", readonly=True, aggregator="avg",
        help="Calls answered within the queue's target seconds, out of the offered calls "
        "no longer waiting.")
    fcr_rate = fields.Float(
        string="First-Contact Resolution (%)", readonly=True, aggregator="avg",
        help="Handled calls of known customers who did not call again within 7 days, out "
        "of the handled calls of known customers.")
    avg_wait_seconds = fields.Float(
        string="Average Wait (s)", readonly=True, aggregator="avg",
        help="Average time to answer of the handled calls (speed of answer).")
    avg_handle_seconds = fields.Float(
        string="Average Handle Time (s)", readonly=True, aggregator="avg",
        help="Average talk time of the answered calls, inbound and outbound.")

    @api.model
    def _report_rates(self):
        return RATES

    def _select(self):
        """Columns of the report, one row per call; a measure added by another addon
        extends it."""
        offered = SQL("(call.direction = 'inbound' AND call.queue_id IS NOT NULL)")
        handled = SQL("(%s AND call.state IN ('in_progress', 'done'))", offered)
        return SQL(
            """
            call.id,
            call.id AS call_id,
            call.date_start AS date,
            %(day)s AS day,
            call.direction,
            call.state,
            call.agent_id,
            call.user_id,
            call.queue_id,
            call.team_id,
            call.commercial_partner_id AS partner_id,
            call.outcome_id,
            call.campaign_id,
            call.company_id,
            1 AS call_count,
            %(offered)s::int AS offered_count,
            %(handled)s::int AS handled_count,
            (%(offered)s AND call.state = 'abandoned')::int AS abandoned_count,
            (%(offered)s AND call.state = 'missed')::int AS missed_count,
            (call.direction = 'outbound')::int AS outbound_count,
            (call.date_answered IS NOT NULL)::int AS answered_count,
            (%(offered)s AND call.state NOT IN ('queued', 'ringing'))::int AS sl_base_count,
            (%(handled)s AND COALESCE(call.wait_seconds, 0)
                <= COALESCE(queue.service_level_seconds, 0))::int AS sl_met_count,
            (%(handled)s AND call.commercial_partner_id IS NOT NULL)::int AS fcr_base_count,
            (%(handled)s AND call.commercial_partner_id IS NOT NULL
                AND COUNT(again.id) = 0)::int AS fcr_count,
            (call.lead_id IS NOT NULL)::int AS lead_count,
            (call.complaint_id IS NOT NULL)::int AS complaint_count,
            CASE WHEN %(handled)s THEN COALESCE(call.wait_seconds, 0) ELSE 0 END
                AS wait_seconds_total,
            CASE WHEN call.date_answered IS NOT NULL
                 THEN COALESCE(call.duration_seconds, 0) ELSE 0 END AS talk_seconds_total
            """,
            offered=offered, handled=handled,
            day=self.env["res.company"]._crm_local_date_sql_by_company(
                SQL("call.date_start"), SQL("call.company_id")),
        )

    def _from(self):
        # ``again``: the customer's next inbound calls within the first-contact window
        return SQL(
            """
            crm_call call
            LEFT JOIN crm_call_queue queue ON queue.id = call.queue_id
            LEFT JOIN crm_call again
                   ON again.commercial_partner_id = call.commercial_partner_id
                  AND again.company_id = call.company_id
                  AND again.direction = 'inbound'
                  AND again.id != call.id
                  AND again.date_start >= call.date_start
                  AND again.date_start < call.date_start + %(window)s
            """,
            window=SQL("interval %s", f"{FCR_DAYS} days"),
        )

    def _where(self):
        return SQL("TRUE")

    def _group_by(self):
        # one row per call; the join on later calls only counts them
        return SQL("call.id, queue.id")
