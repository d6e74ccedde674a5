from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_phone_normalized = fields.Char(
        string="Phone (E.164)", compute="_compute_crm_phone_normalized", store=True,
        index=True, groups="base.group_user",
    )
    crm_mobile_normalized = fields.Char(
        string="Mobile (E.164)", compute="_compute_crm_phone_normalized", store=True,
        index=True, groups="base.group_user",
    )
    crm_call_opt_out = fields.Boolean(
        string="Do Not Call", tracking=True,
        help="The customer asked not to be called: call lists skip them and nobody dials "
        "their numbers (停止呼出).",
    )
    crm_call_count = fields.Integer(
        string="Calls", compute="_compute_crm_call_count",
        groups="crm_callcenter.group_crm_callcenter_agent",
    )

    @api.model
    def _crm_server_fields(self):
        return (*super()._crm_server_fields(), "crm_phone_normalized", "crm_mobile_normalized")

    @api.depends("phone", "mobile", "country_id", "company_id")
    def _compute_crm_phone_normalized(self):
        """Both numbers in E.164 through the host's ``_phone_format``, as callers are
        matched on either (the host's ``phone_sanitized`` keeps one of them)."""
        for partner in self:
            country = partner.country_id or partner.company_id.country_id or False
            partner.crm_phone_normalized = partner.phone and partner._phone_format(
                number=partner.phone, country=country)
            partner.crm_mobile_normalized = partner.mobile and partner._phone_format(
                number=partner.mobile, country=country)

    def _compute_crm_call_count(self):
        counts = self._crm_360_read_group("crm.call", [], ["__count"])
        for partner in self:
            partner.crm_call_count = counts.get(partner.id, [0])[0]

    @api.model
    def _crm_match_phone(self, number, company):
        """The partner of ``company`` (or shared) whose phone or mobile is ``number``
        (E.164), companies' contacts before individuals' duplicates: lowest id."""
        if not number:
            return self.browse()
        return self.search([
            "|", ("crm_phone_normalized", "=", number), ("crm_mobile_normalized", "=", number),
            "|", ("company_id", "=", False), ("company_id", "=", company.id),
        ], order="id", limit=1)

    def action_crm_dial(self):
        """Click-to-dial the customer's phone (else their mobile): the outbound call,
        opened in its form."""
        self.ensure_one()
        self.check_access("read")
        call = self.env["crm.cti.endpoint"]._crm_dial(
            self.company_id or self.env.company, self.phone or self.mobile, self, {
                "routing_steps": [{"code": "dial_customer", "partner": self.id}],
            },
        )
        return call._open(call)

    def action_view_crm_calls(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("crm_callcenter.crm_call_action")
        action["domain"] = [("partner_id", "child_of", self.id)]
        action["context"] = {"default_partner_id": self.id}
        return action
