from odoo import api, fields, models


class ImLivechatChannel(models.Model):
    """A live chat channel tied to a call center queue: its new sessions go to the
    agent the queue's ACD chooses (the value rules and the strategy of the calls,
    within each agent's capacity for chats), the host's own choice only when no
    agent of the queue may take one."""

    _name = "im_livechat.channel"
    _inherit = ["im_livechat.channel", "crm.protected.fields.mixin"]

    crm_queue_id = fields.Many2one(
        "crm.call.queue", string="Call Center Queue", index="btree_not_null",
        ondelete="set null", groups="crm_callcenter.group_crm_callcenter_agent",
        domain="[('company_id', 'in', allowed_company_ids)]",
        help="New chats of this channel are offered to the agent this queue's ACD "
        "chooses (an open complaint's owner, the customer's salesperson, then the "
        "queue's strategy), among the agents available with chats left in their "
        "capacity. When none is, the channel's other operators answer as usual.",
    )

    @api.model
    def _crm_manager_fields(self):
        # which queue answers a channel is the call center manager's decision
        return (*super()._crm_manager_fields(), "crm_queue_id")

    @api.model
    def _crm_manager_group(self):
        return "crm_callcenter.group_crm_callcenter_manager"

    @api.depends("crm_queue_id")
    @api.depends_context("crm_livechat_host_only")
    def _compute_available_operator_ids(self):
        """A tied channel: its agents are available as the queue sees them (their
        agent state and chat capacity), whatever their presence; the channel's
        other operators as the host sees them. ``crm_livechat_host_only``: the
        host's fallback, among the operators who are not agents."""
        result = super()._compute_available_operator_ids()
        host_only = self.env.context.get("crm_livechat_host_only")
        for channel in self:
            queue = channel.sudo().crm_queue_id
            if not queue:
                continue
            agents = self.env["crm.call.agent"].sudo().search([
                ("user_id", "in", channel.available_operator_ids.ids),
                ("company_id", "=", queue.company_id.id),
            ])
            operators = channel.available_operator_ids - agents.user_id
            if not host_only:
                operators |= queue._acd_available_agents("chat").user_id
            channel.available_operator_ids = operators.with_env(self.env)
        return result

    def _get_livechat_discuss_channel_vals(self, anonymous_name, previous_operator_id=None,
                                           chatbot_script=None, user_id=None, country_id=None,
                                           lang=None):
        # the ACD knows a signed-in visitor (a portal customer): their value rules apply
        channel = self
        if self.sudo().crm_queue_id:
            partner = self.env["res.users"].sudo().browse(user_id).partner_id
            channel = self._crm_with_visitor(partner)
        vals = super(ImLivechatChannel, channel)._get_livechat_discuss_channel_vals(
            anonymous_name, previous_operator_id=previous_operator_id,
            chatbot_script=chatbot_script, user_id=user_id, country_id=country_id, lang=lang,
        )
        if vals and not chatbot_script and self.sudo().crm_queue_id:
            # offered to a person through the queue: counted in the queue's chats
            vals.update(crm_queue_id=self.sudo().crm_queue_id.id, crm_chat_status="waiting")
        return vals

    def _crm_with_visitor(self, partner):
        """``self`` choosing an operator for the visitor ``partner`` (none: anonymous),
        set by the server alone, whatever the caller's context held."""
        return self.with_context(crm_livechat_partner_id=partner.id or False,
                                 crm_livechat_host_only=False)

    def _get_operator(self, previous_operator_id=None, lang=None, country_id=None):
        """A tied channel: the agent the queue's ACD chooses for a chat of the
        visitor (their row locked until the session is created), else the host's
        choice among the operators who are not agents (none: the host's "no
        operator", a chatbot or the chat button hidden). The queue's rules come
        before the visitor's previous operator."""
        queue = self.sudo().crm_queue_id
        if not queue or self.env.context.get("crm_livechat_host_only"):
            return super()._get_operator(
                previous_operator_id=previous_operator_id, lang=lang, country_id=country_id)
        self.ensure_one()
        partner = self.env["res.partner"].sudo().browse(
            self.env.context.get("crm_livechat_partner_id")).exists()
        choice = queue.sudo()._acd_select("chat", partner, fields.Datetime.now())
        if choice["agent"]:
            return choice["agent"].user_id.with_env(self.env)
        return super(ImLivechatChannel, self.with_context(
            crm_livechat_host_only=True))._get_operator(
            previous_operator_id=previous_operator_id, lang=lang, country_id=country_id)
