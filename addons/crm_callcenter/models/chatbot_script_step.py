from odoo import models


class ChatbotScriptStep(models.Model):
    _inherit = "chatbot.script.step"

    def _process_step_forward_operator(self, discuss_channel):
        """A chatbot of a channel tied to a queue hands the visitor to a person: the
        operator the channel chooses (the queue's agent, see ``_get_operator``)
        becomes the session's operator, so that the chat counts in their load, and
        the session is offered through the queue from then on."""
        session = discuss_channel.sudo()
        queue = session.livechat_channel_id.crm_queue_id
        if not queue or session.crm_queue_id:
            return super()._process_step_forward_operator(discuss_channel)
        members = session.channel_member_ids.partner_id
        # a signed-in visitor (a portal customer): the queue's value rules know them;
        # set by the server alone, whatever the caller's context held
        visitor = (members - session.livechat_operator_id).filtered("user_ids")[:1]
        context = {"crm_livechat_partner_id": visitor.id or False,
                   "crm_livechat_host_only": False}
        result = super(ChatbotScriptStep, self.with_context(**context)) \
            ._process_step_forward_operator(discuss_channel.with_context(**context))
        session.invalidate_recordset(["channel_member_ids"])
        joined = (session.channel_member_ids.partner_id - members).filtered(
            lambda partner: any(not user.share for user in partner.user_ids))
        if joined:
            session.write({"livechat_operator_id": joined[0].id, "crm_queue_id": queue.id,
                           "crm_chat_status": "waiting"})
            session._crm_chat_offered()
        return result
