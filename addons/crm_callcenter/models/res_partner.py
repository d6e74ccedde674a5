from textwrap import shorten

from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import html2plaintext
from odoo.tools.misc import format_datetime

# the customer's interaction history: how many of the latest interactions it shows
TIMELINE_LIMIT = 20
# the font awesome icon of each channel of the history
TIMELINE_ICONS = {
    "call": "fa-phone",
    "chat": "fa-comments",
    "complaint": "fa-exclamation-circle",
    "email": "fa-envelope",
}


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
    crm_timeline_html = fields.Html(
        string="Interactions", compute="_compute_crm_timeline_html", sanitize=False,
        groups="base.group_user",
        help="The customer's latest calls, live chats, complaints and e-mails, newest first: "
        "those the reader may see.",
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

    @api.depends_context("uid", "lang", "tz")
    def _compute_crm_timeline_html(self):
        """The history rendered by a QWeb template (its values escaped)."""
        QWeb = self.env["ir.qweb"]
        for partner in self:
            entries = partner._crm_interaction_timeline() if partner._origin else []
            partner.crm_timeline_html = QWeb._render(
                "crm_callcenter.crm_partner_timeline",
                {"entries": entries, "icons": TIMELINE_ICONS},
            )

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

    # ------------------------------------------------------------------ history

    @api.readonly
    def crm_interaction_timeline(self, limit=TIMELINE_LIMIT):
        """The customer's latest interactions, for the web client (see
        ``_crm_interaction_timeline``)."""
        self.ensure_one()
        self.check_access("read")
        return self._crm_interaction_timeline(limit=min(int(limit), TIMELINE_LIMIT))

    def _crm_interaction_timeline(self, limit=TIMELINE_LIMIT):
        """The latest ``limit`` interactions of the customer ``self`` and their
        contacts, of every channel, newest first: calls, live chat sessions,
        complaints and the e-mails on the customer or on their complaints and leads.
        Only what the reader (``self.env``'s user) may read is shown: each channel is
        searched with their rights. Labels in the reader's language, dates in their
        time zone. A few grouped queries, whatever the history's length: one search
        per channel, bounded by ``limit``.

        :return: list of dicts ``channel``, ``channel_label``, ``date`` (UTC),
            ``date_display`` (the reader's time), ``summary``, ``res_model``, ``res_id``
        """
        self.ensure_one()
        partners = self.with_context(active_test=False).search([("id", "child_of", self.id)])
        entries = []
        for source in (self._crm_timeline_calls, self._crm_timeline_chats,
                       self._crm_timeline_complaints, self._crm_timeline_emails):
            entries += [entry for entry in source(partners, limit) if entry["date"]]
        entries.sort(key=lambda entry: (entry["date"], entry["res_id"]), reverse=True)
        labels = self._crm_timeline_labels()
        tz = self.env.context.get("tz") or self.env.user.tz or "UTC"
        return [{
            **entry,
            "channel_label": labels[entry["channel"]],
            "date": fields.Datetime.to_string(entry["date"]),
            "date_display": format_datetime(self.env, entry["date"], tz=tz, dt_format="short"),
        } for entry in entries[:limit]]

    def _crm_timeline_labels(self):
        return {
            "call": self.env._("Call"),
            "chat": self.env._("Live Chat"),
            "complaint": self.env._("Complaint"),
            "email": self.env._("E-mail"),
        }

    @api.model
    def _crm_timeline_entry(self, channel, date, summary, record):
        return {"channel": channel, "date": date, "summary": summary,
                "res_model": record._name, "res_id": record.id}

    def _crm_timeline_calls(self, partners, limit):
        Call = self.env["crm.call"]
        if not Call.has_access("read"):
            return []
        calls = Call.search_fetch(
            [("partner_id", "in", partners.ids)],
            ["date_start", "direction", "state", "outcome_id"],
            order="date_start desc, id desc", limit=limit,
        )
        directions = dict(Call._fields["direction"]._description_selection(self.env))
        states = dict(Call._fields["state"]._description_selection(self.env))
        return [self._crm_timeline_entry("call", call.date_start, " \u00b7 ".join(filter(None, [
            directions.get(call.direction), states.get(call.state), call.outcome_id.name,
        ])), call) for call in calls]

    def _crm_timeline_chats(self, partners, limit):
        Channel = self.env["discuss.channel"]
        if not Channel.has_access("read"):
            return []
        chats = Channel.search_fetch(
            [("channel_type", "=", "livechat"),
             ("channel_member_ids.partner_id", "in", partners.ids)],
            ["create_date", "name"], order="create_date desc, id desc", limit=limit,
        )
        return [self._crm_timeline_entry("chat", chat.create_date, chat.name, chat)
                for chat in chats]

    def _crm_timeline_complaints(self, partners, limit):
        Complaint = self.env["crm.complaint"]
        if not Complaint.has_access("read"):
            return []
        complaints = Complaint.search_fetch(
            [("partner_id", "in", partners.ids)],
            ["date_received", "reference", "name", "stage_id"],
            order="date_received desc, id desc", limit=limit,
        )
        return [self._crm_timeline_entry("complaint", complaint.date_received, " \u00b7 ".join(
            filter(None, [complaint.reference, complaint.name, complaint.stage_id.name])),
            complaint) for complaint in complaints]

    def _crm_timeline_emails(self, partners, limit):
        """E-mails on the customer's record, their complaints and their leads (the
        documents the reader may read: subqueries, not lists of ids)."""
        documents = [[("model", "=", "res.partner"), ("res_id", "in", partners.ids)]]
        for model in ("crm.complaint", "crm.lead"):
            Model = self.env[model]
            if Model.has_access("read"):
                documents.append([("model", "=", model), ("res_id", "in", Model._search(
                    [("partner_id", "in", partners.ids)]))])
        messages = self.env["mail.message"].search_fetch(
            expression.AND([[("message_type", "=", "email")], expression.OR(documents)]),
            ["date", "subject", "body", "model", "res_id", "record_name"],
            order="date desc, id desc", limit=limit,
        )
        return [{
            "channel": "email", "date": message.date,
            "summary": message.subject
            or shorten(html2plaintext(message.body or ""), 100, placeholder="...")
            or message.record_name or "",
            "res_model": message.model, "res_id": message.res_id,
        } for message in messages]
