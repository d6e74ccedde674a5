from odoo import api, models

# the records whose messages and activities are follow-ups of their customer, and the
# field that leads to it
FOLLOWUP_MODELS = {"res.partner": "id", "crm.lead": "partner_id", "sale.order": "partner_id"}


class MailMessage(models.Model):
    _inherit = "mail.message"

    @api.model_create_multi
    def create(self, vals_list):
        messages = super().create(vals_list)
        messages._crm_touch_followups()
        return messages

    def _crm_touch_followups(self):
        """A note or message logged by an employee, or an activity done, on a customer,
        its opportunities or its orders is a follow-up of that customer (tracking and
        e-mails received are not)."""
        by_model = {}
        for message in self:
            if message.model not in FOLLOWUP_MODELS or not message.res_id:
                continue
            if message.message_type != "comment" and not message.mail_activity_type_id:
                continue
            author_users = message.author_id.sudo().user_ids
            if not author_users or all(user.share for user in author_users):
                continue
            by_model.setdefault(message.model, set()).add(message.res_id)
        partner_ids = []
        for model, res_ids in by_model.items():
            records = self.env[model].sudo().browse(res_ids).exists()
            field = FOLLOWUP_MODELS[model]
            partner_ids += records.ids if field == "id" else records[field].ids
        if partner_ids:
            self.env["res.partner"].sudo()._crm_touch_followup(partner_ids)
