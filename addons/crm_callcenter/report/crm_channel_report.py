from odoo import api, fields, models
from odoo.tools import SQL

# the channels of the one work queue
CHANNELS = [
    ("call", "Call"),
    ("chat", "Live Chat"),
    ("complaint", "Complaint"),
]

# rate measure: (numerator, denominator, factor); aggregated as the ratio of the sums
RATES = {
    "abandon_rate": ("abandoned_count", "offered_count", 100),
    "service_level": ("sl_met_count", "sl_base_count", 100),
    "avg_wait_seconds": ("wait_seconds_total", "answered_count", 1),
    "avg_handle_seconds": ("handle_seconds_total", "handle_count", 1),
}

# the columns every channel's source gives, in this order (see ``_sources``)
SOURCE_COLUMNS = (
    "id", "channel", "record_ref", "date", "queue_id", "team_id", "user_id", "partner_id",
    "company_id", "offered_count", "waiting_count", "answered_count", "handled_count",
    "abandoned_count", "sl_base_count", "sl_met_count", "wait_seconds_total",
    "handle_count", "handle_seconds_total",
)


class CrmChannelReport(models.Model):
    """The one work queue's KPIs by channel: one row per item a queue offered, a
    call, a live chat session or a complaint, with the counts and sums the KPIs are
    made of, for pivot and graph by channel, queue, agent, team and day. *Day* is
    the company's day of the item (the call's start, the chat's opening, the
    complaint's reception), in its time zone.

    - *offered*: inbound calls that reached a queue; chats opened through a queue's
      live chat channel; complaints a queue took to assign.
    - *answered*: calls an agent took, chats the operator answered, complaints the
      queue assigned to an agent; *average wait* = time to answer (to assignment for
      complaints) / answered.
    - *handled*: calls an agent took, chats answered, complaints closed with an
      owner; *abandoned*: callers and visitors who left before an answer, complaints
      closed without ever having an owner; *waiting*: not answered yet.
    - *average handle time*: talk time of the calls, assignment to resolution of the
      complaints, and for the chats that ended, the operator's first answer to the
      session's last message (the host records no end of a session).
    - *service level* = items answered (assigned) within the queue's service level
      target seconds / offered items no longer waiting.

    Each channel is a source of the same columns (``_source_call``,
    ``_source_chat``, ``_source_complaint``), united in ``_from``; the query is built
    from ``_select``, ``_from``, ``_where`` and ``_group_by`` as ``sale.report``
    does, its rates aggregated as ratios of sums (crm_core's rates mixin).
    """

    _name = "crm.channel.report"
    _inherit = ["crm.report.rates.mixin"]
    _description = "Call Center KPIs by Channel"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "record_ref"
    # what the query reads: written rows are flushed before the report is read
    _depends = {
        "crm.call": [
            "direction", "state", "date_start", "queue_id", "team_id", "user_id",
            "commercial_partner_id", "company_id", "wait_seconds", "duration_seconds",
        ],
        "discuss.channel": [
            "crm_queue_id", "crm_chat_status", "crm_date_answered", "create_date",
            "livechat_operator_id", "channel_member_ids",
        ],
        "discuss.channel.member": ["channel_id", "partner_id"],
        "crm.complaint": [
            "acd_queue_id", "acd_date_assigned", "date_received", "stage_id", "team_id",
            "user_id", "commercial_partner_id", "company_id", "resolved_date", "active",
        ],
        "crm.complaint.stage": ["is_closed"],
        "crm.call.queue": ["service_level_seconds", "team_id", "company_id"],
    }

    channel = fields.Selection(CHANNELS, readonly=True)
    record_ref = fields.Reference(
        [("crm.call", "Call"), ("discuss.channel", "Live Chat"),
         ("crm.complaint", "Complaint")],
        string="Interaction", readonly=True)
    date = fields.Datetime(readonly=True)
    day = fields.Date(
        readonly=True,
        help="The company's day of the item, in the company's time zone: days, weeks and "
        "months of the report are the company's, whoever reads it.")
    queue_id = fields.Many2one("crm.call.queue", readonly=True)
    team_id = fields.Many2one("crm.team", readonly=True)
    user_id = fields.Many2one("res.users", string="Agent User", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)

    offered_count = fields.Integer(
        string="Offered", readonly=True,
        help="Calls, chats and complaints a queue offered to its agents.")
    waiting_count = fields.Integer(
        string="Waiting", readonly=True, help="Offered items without an answer yet.")
    answered_count = fields.Integer(
        string="Answered", readonly=True,
        help="Calls an agent took, chats the operator answered, complaints the queue "
        "assigned to an agent.")
    handled_count = fields.Integer(
        string="Handled", readonly=True,
        help="Calls an agent took, chats answered, complaints closed with an owner.")
    abandoned_count = fields.Integer(
        string="Abandoned", readonly=True,
        help="Callers and visitors who left before an answer; complaints closed without "
        "ever having an owner.")
    sl_base_count = fields.Integer(
        string="Offered and Finished", readonly=True,
        help="Offered items no longer waiting.")
    sl_met_count = fields.Integer(
        string="Answered within Target", readonly=True,
        help="Items answered (complaints: assigned) within the queue's service level "
        "target seconds.")
    wait_seconds_total = fields.Integer(string="Wait of Answered Items (s)", readonly=True)
    handle_count = fields.Integer(
        string="Items with a Handle Time", readonly=True,
        help="Answered calls, resolved complaints and answered chats that ended.")
    handle_seconds_total = fields.Integer(string="Handle Time (s)", readonly=True)

    abandon_rate = fields.Float(
        string="Abandon Rate (%)", readonly=True, aggregator="avg",
        help="Abandoned items out of the offered items.")
    service_level = fields.Float(
        string="Service Level (%)", readonly=True, aggregator="avg",
        help="Items answered within the queue's target seconds, out of the offered items "
        "no longer waiting.")
    avg_wait_seconds = fields.Float(
        string="Average Wait (s)", readonly=True, aggregator="avg",
        help="Average time to answer (complaints: to assignment) of the answered items.")
    avg_handle_seconds = fields.Float(
        string="Average Handle Time (s)", readonly=True, aggregator="avg",
        help="Average talk time of the calls, time from assignment to resolution of the "
        "complaints, and from the operator's first answer to the last message of the "
        "chats that ended.")

    @api.model
    def _report_rates(self):
        return RATES

    def _select(self):
        return SQL(
            "%(columns)s, %(day)s AS day",
            columns=SQL(", ").join(
                SQL.identifier("interaction", column) for column in SOURCE_COLUMNS),
            day=self.env["res.company"]._crm_local_date_sql_by_company(
                SQL("interaction.date"), SQL("interaction.company_id")),
        )

    def _from(self):
        return SQL("(%s) AS interaction", SQL(" UNION ALL ").join(self._sources()))

    def _where(self):
        return SQL("TRUE")

    def _group_by(self):
        # one row per item: its columns as they are
        return SQL(", ").join(
            SQL.identifier("interaction", column) for column in SOURCE_COLUMNS)

    # ------------------------------------------------------------------ sources

    def _sources(self):
        """One ``SELECT`` per channel, each giving ``SOURCE_COLUMNS`` in order; ids
        are kept apart by channel (3n, 3n + 1, 3n + 2)."""
        return [self._source_call(), self._source_chat(), self._source_complaint()]

    @api.model
    def _seconds_sql(self, start, end):
        return SQL("GREATEST(EXTRACT(EPOCH FROM (%s - %s)), 0)::int", end, start)

    def _source_call(self):
        handled = SQL("call.state IN ('in_progress', 'done')")
        return SQL(
            """
            SELECT call.id * 3 AS id,
                   'call' AS channel,
                   'crm.call,' || call.id AS record_ref,
                   call.date_start AS date,
                   call.queue_id,
                   call.team_id,
                   call.user_id,
                   call.commercial_partner_id AS partner_id,
                   call.company_id,
                   1 AS offered_count,
                   (call.state = 'queued')::int AS waiting_count,
                   (%(handled)s)::int AS answered_count,
                   (%(handled)s)::int AS handled_count,
                   (call.state = 'abandoned')::int AS abandoned_count,
                   (call.state NOT IN ('queued', 'ringing'))::int AS sl_base_count,
                   (%(handled)s AND COALESCE(call.wait_seconds, 0)
                       <= COALESCE(queue.service_level_seconds, 0))::int AS sl_met_count,
                   CASE WHEN %(handled)s THEN COALESCE(call.wait_seconds, 0) ELSE 0 END
                       AS wait_seconds_total,
                   (%(handled)s)::int AS handle_count,
                   CASE WHEN %(handled)s THEN COALESCE(call.duration_seconds, 0) ELSE 0 END
                       AS handle_seconds_total
              FROM crm_call call
              JOIN crm_call_queue queue ON queue.id = call.queue_id
             WHERE call.direction = 'inbound'
            """,
            handled=handled,
        )

    def _source_chat(self):
        answered = SQL("chat.crm_chat_status = 'answered'")
        wait = self._seconds_sql(SQL("chat.create_date"), SQL("chat.crm_date_answered"))
        ended = SQL("(%s AND NOT COALESCE(chat.livechat_active, FALSE) "
                    "AND last_message.date > chat.crm_date_answered)", answered)
        handle = self._seconds_sql(SQL("chat.crm_date_answered"), SQL("last_message.date"))
        # the visitor: the member who is not the operator (a signed-in customer)
        return SQL(
            """
            SELECT chat.id * 3 + 1 AS id,
                   'chat' AS channel,
                   'discuss.channel,' || chat.id AS record_ref,
                   chat.create_date AS date,
                   chat.crm_queue_id AS queue_id,
                   queue.team_id,
                   operator.user_id,
                   visitor.commercial_partner_id AS partner_id,
                   queue.company_id,
                   1 AS offered_count,
                   (chat.crm_chat_status = 'waiting')::int AS waiting_count,
                   (%(answered)s)::int AS answered_count,
                   (%(answered)s)::int AS handled_count,
                   (chat.crm_chat_status = 'abandoned')::int AS abandoned_count,
                   (chat.crm_chat_status != 'waiting')::int AS sl_base_count,
                   (%(answered)s AND %(wait)s
                       <= COALESCE(queue.service_level_seconds, 0))::int AS sl_met_count,
                   CASE WHEN %(answered)s THEN %(wait)s ELSE 0 END AS wait_seconds_total,
                   (%(ended)s)::int AS handle_count,
                   CASE WHEN %(ended)s THEN %(handle)s ELSE 0 END AS handle_seconds_total
              FROM discuss_channel chat
              JOIN crm_call_queue queue ON queue.id = chat.crm_queue_id
              LEFT JOIN LATERAL (
                    SELECT MAX(message.date) AS date
                      FROM mail_message message
                     WHERE message.model = 'discuss.channel' AND message.res_id = chat.id
              ) last_message ON TRUE
              LEFT JOIN LATERAL (
                    SELECT users.id AS user_id
                      FROM res_users users
                     WHERE users.partner_id = chat.livechat_operator_id
                  ORDER BY users.id
                     LIMIT 1
              ) operator ON TRUE
              LEFT JOIN LATERAL (
                    SELECT partner.commercial_partner_id
                      FROM discuss_channel_member member
                      JOIN res_partner partner ON partner.id = member.partner_id
                     WHERE member.channel_id = chat.id
                       AND member.partner_id IS DISTINCT FROM chat.livechat_operator_id
                  ORDER BY member.id
                     LIMIT 1
              ) visitor ON TRUE
            """,
            answered=answered, wait=wait, ended=ended, handle=handle,
        )

    def _source_complaint(self):
        closed = SQL("COALESCE(stage.is_closed, FALSE)")
        assigned = SQL("complaint.acd_date_assigned IS NOT NULL")
        wait = self._seconds_sql(SQL("complaint.date_received"), SQL("complaint.acd_date_assigned"))
        resolved = SQL("(%s AND %s AND complaint.resolved_date IS NOT NULL)", closed, assigned)
        return SQL(
            """
            SELECT complaint.id * 3 + 2 AS id,
                   'complaint' AS channel,
                   'crm.complaint,' || complaint.id AS record_ref,
                   complaint.date_received AS date,
                   complaint.acd_queue_id AS queue_id,
                   complaint.team_id,
                   complaint.user_id,
                   complaint.commercial_partner_id AS partner_id,
                   complaint.company_id,
                   1 AS offered_count,
                   (complaint.user_id IS NULL AND NOT %(closed)s)::int AS waiting_count,
                   (%(assigned)s)::int AS answered_count,
                   (%(closed)s AND complaint.user_id IS NOT NULL)::int AS handled_count,
                   (%(closed)s AND complaint.user_id IS NULL)::int AS abandoned_count,
                   (complaint.user_id IS NOT NULL OR %(closed)s)::int AS sl_base_count,
                   (%(assigned)s AND %(wait)s
                       <= COALESCE(queue.service_level_seconds, 0))::int AS sl_met_count,
                   CASE WHEN %(assigned)s THEN %(wait)s ELSE 0 END AS wait_seconds_total,
                   (%(resolved)s)::int AS handle_count,
                   CASE WHEN %(resolved)s THEN %(handle)s ELSE 0 END AS handle_seconds_total
              FROM crm_complaint complaint
              JOIN crm_call_queue queue ON queue.id = complaint.acd_queue_id
              LEFT JOIN crm_complaint_stage stage ON stage.id = complaint.stage_id
             WHERE complaint.active
            """,
            closed=closed, assigned=assigned, wait=wait, resolved=resolved,
            handle=self._seconds_sql(SQL("complaint.acd_date_assigned"),
                                     SQL("complaint.resolved_date")),
        )
