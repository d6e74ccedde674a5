import logging

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Sessions ended by one call of the job (the host's cron calls it again for the rest)
SILENT_CHATS_BATCH = 100

CHAT_STATUSES = [
    ("waiting", "Waiting for an Answer"),
    ("answered", "Operator Answered"),
    ("abandoned", "Abandoned"),
]


class DiscussChannel(models.Model):
    """Live chat sessions offered through a call center queue: which queue, and
    whether an operator answered before the visitor left (abandoned otherwise),
    measured by the server for the queues' figures."""

    _name = "discuss.channel"
    _inherit = ["discuss.channel", "crm.protected.fields.mixin"]

    crm_queue_id = fields.Many2one(
        "crm.call.queue", string="Call Center Queue", readonly=True, copy=False,
        index="btree_not_null", groups="crm_callcenter.group_crm_callcenter_agent",
        help="The queue of the live chat channel that offered this session.",
    )
    crm_chat_status = fields.Selection(
        CHAT_STATUSES, string="Chat Outcome", readonly=True, copy=False,
        groups="crm_callcenter.group_crm_callcenter_agent",
        help="Waiting until the operator's first message (answered); abandoned when the "
        "visitor left or the session ended before it.",
    )
    crm_date_answered = fields.Datetime(
        string="Chat Answered On", readonly=True, copy=False,
        groups="crm_callcenter.group_crm_callcenter_agent",
        help="When the operator first wrote in the session.",
    )

    @api.model
    def _crm_server_fields(self):
        # measured by the server: no client sets them, visitor, operator or manager
        return (*super()._crm_server_fields(), "crm_queue_id", "crm_chat_status",
                "crm_date_answered")

    @api.model_create_multi
    def create(self, vals_list):
        channels = super().create(vals_list)
        offered = channels.sudo().filtered("crm_queue_id")
        if offered:
            offered._crm_chat_offered()
        return channels

    def write(self, vals):
        result = super().write(vals)
        if "livechat_active" in vals and not vals["livechat_active"]:
            ended = self.sudo().filtered("crm_queue_id")
            # ended before the operator's first message: the visitor was not answered
            ended.filtered(lambda channel: channel.crm_chat_status == "waiting").write(
                {"crm_chat_status": "abandoned"})
            # a chat ended frees its agent's capacity: their state switcher shows it
            ended._crm_operator_agents()._crm_notify_state()
        return result

    def _message_post_after_hook(self, message, msg_vals):
        result = super()._message_post_after_hook(message, msg_vals)
        if self.channel_type == "livechat" and message.message_type == "comment":
            channel = self.sudo()
            author = message.sudo().author_id
            if channel.crm_chat_status == "waiting" and author \
                    and author == channel.livechat_operator_id:
                channel.write({"crm_chat_status": "answered",
                               "crm_date_answered": message.sudo().date})
        return result

    def _crm_operator_agents(self):
        """The agents whose users are the operators of the sessions of ``self`` (in
        ``sudo``), in the companies of the sessions' queues: one query."""
        if not self:
            return self.env["crm.call.agent"]
        return self.env["crm.call.agent"].sudo().search([
            ("user_id.partner_id", "in", self.livechat_operator_id.ids),
            ("company_id", "in", self.crm_queue_id.company_id.ids),
        ])

    def _crm_chat_offered(self):
        """Sessions of ``self`` (in ``sudo``) just offered through their queue: their
        agents were offered a chat now (round robin of chats), and their load
        changed."""
        agents = self._crm_operator_agents()
        if agents:
            agents.write({"date_last_chat": fields.Datetime.now()})
            agents._crm_notify_state()

    def _get_visitor_leave_message(self, operator=False, cancel=False):
        minutes = self.env.context.get("crm_silent_minutes")
        if minutes:
            return self.env._("The chat ended after %(minutes)s minutes without a message.",
                              minutes=minutes)
        return super()._get_visitor_leave_message(operator=operator, cancel=cancel)

    @api.model
    def _cron_end_silent_chats(self, now=None):
        """End the live chats of the queues that had no message for longer than their
        queue's *End Silent Chats After*: a visitor who closes the page without
        leaving keeps the host's session open, which would count in its agent's
        chats for ever. Each is ended as the host ends a session the visitor left
        (a note in the session, in its operator's language), so an unanswered one
        counts as abandoned. Sessions are locked with ``SKIP LOCKED`` and taken by
        batches that the host's cron commits: a second run finds nothing, two at once
        end each session once.

        :return: the sessions ended by this call
        """
        now = now or fields.Datetime.now()
        self.flush_model(["channel_type", "livechat_active", "crm_queue_id",
                          "last_interest_dt"])
        self.env["crm.call.queue"].flush_model(["chat_idle_minutes"])
        self.env.cr.execute(SQL(
            """
            SELECT channel.id, queue.chat_idle_minutes
              FROM discuss_channel channel
              JOIN crm_call_queue queue ON queue.id = channel.crm_queue_id
             WHERE channel.channel_type = 'livechat' AND channel.livechat_active
               AND queue.chat_idle_minutes > 0
               AND COALESCE(channel.last_interest_dt, channel.create_date)
                   < %(now)s - make_interval(mins => queue.chat_idle_minutes)
             ORDER BY channel.id
             LIMIT %(batch)s
               FOR NO KEY UPDATE OF channel SKIP LOCKED
            """,
            now=now, batch=SILENT_CHATS_BATCH,
        ))
        rows = self.env.cr.fetchall()
        sessions = self.sudo().browse([channel_id for channel_id, _minutes in rows])
        for session, (_channel_id, minutes) in zip(sessions, rows, strict=True):
            operator = session.livechat_operator_id.user_ids[:1]
            try:
                with self.env.cr.savepoint():
                    session.with_context(lang=operator.lang or self.env.lang,
                                         crm_silent_minutes=minutes)._close_livechat_session()
            except Exception:
                # one session that cannot take its note does not hold the others (nor
                # come back first in every run): it is ended without it
                _logger.exception("Live chat %s: its note could not be posted", session.id)
                session.livechat_active = False
        if sessions:
            _logger.info("Ended %s live chats silent for too long", len(sessions))
        if self.env.context.get("ir_cron_progress_id"):
            self.env["ir.cron"]._notify_progress(
                done=len(sessions), remaining=int(len(rows) == SILENT_CHATS_BATCH))
        return sessions
