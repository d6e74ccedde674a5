from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_amount, format_date

IVR_ACTIONS = [
    ("queue", "Go to a queue"),
    ("menu", "Go to a submenu"),
    ("answer", "Self-service answer"),
]
ANSWER_TYPES = [
    ("text", "Fixed text"),
    ("last_order", "Caller's last order"),
    ("open_complaint", "Caller's open complaint"),
]
DIGITS = "0123456789*#"


class CrmIvrOption(models.Model):
    _name = "crm.ivr.option"
    _inherit = ["crm.protected.fields.mixin"]
    _description = "IVR Option"
    _order = "menu_id, digit"
    _check_company_auto = True

    menu_id = fields.Many2one("crm.ivr.menu", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="menu_id.company_id", store=True)
    digit = fields.Char(required=True, size=1, help="0 to 9, * or #.")
    name = fields.Char(string="Label", required=True, translate=True)
    action = fields.Selection(IVR_ACTIONS, required=True, default="queue")
    queue_id = fields.Many2one("crm.call.queue", check_company=True)
    submenu_id = fields.Many2one("crm.ivr.menu", check_company=True)
    answer_type = fields.Selection(ANSWER_TYPES, default="text")
    answer_text = fields.Text(
        translate=True,
        help="The answer read to the caller; for an unknown caller or nothing to tell, "
        "what is read instead of the order or complaint.",
    )

    _sql_constraints = [
        ("digit_menu_uniq", "unique(menu_id, digit)", "Each digit leads to one option."),
    ]

    @api.constrains("digit", "action", "queue_id", "submenu_id", "menu_id")
    def _check_target(self):
        for option in self:
            if option.digit not in DIGITS:
                raise ValidationError(self.env._(
                    "An option is dialled with one key: 0 to 9, * or #, not %(digit)s.",
                    digit=option.digit,
                ))
            if option.action == "queue" and not option.queue_id:
                raise ValidationError(self.env._("Option %(digit)s needs a queue.",
                                                 digit=option.digit))
            if option.action == "menu" and (
                not option.submenu_id or option.submenu_id == option.menu_id
            ):
                raise ValidationError(self.env._(
                    "Option %(digit)s needs a submenu other than its own menu.",
                    digit=option.digit,
                ))

    def _ivr_execute(self, call=None, ignored=""):
        """What the option does for ``call`` (``sudo``, may be None)."""
        self.ensure_one()
        if self.action == "queue":
            if not call:
                return {"type": "queue", "queue": self.queue_id.code}
            call.write({"queue_id": self.queue_id.id, "ivr_menu_id": self.menu_id.id})
            route = call._acd_route()
            return {**route, "queue": self.queue_id.code}
        if call:
            call.write({"ivr_menu_id": self.menu_id.id})
        return {"type": "answer", "text": self._ivr_answer(call), "menu": self.menu_id.code}

    def _ivr_answer(self, call):
        partner = call.commercial_partner_id if call else self.env["res.partner"]
        env = self.env
        if self.answer_type == "last_order" and partner:
            order = env["sale.order"].search([
                ("partner_id", "child_of", partner.id), ("state", "=", "sale"),
                ("company_id", "=", call.company_id.id),
            ], order="date_order desc, id desc", limit=1)
            if order:
                lang = partner.lang or env.lang
                return env._(
                    "Your last order %(order)s of %(date)s, %(amount)s, is confirmed.",
                    order=order.name,
                    date=format_date(env(context={**env.context, "lang": lang}),
                                     call.company_id._crm_local_date(order.date_order)),
                    amount=format_amount(env, order.amount_total, order.currency_id),
                )
        if self.answer_type == "open_complaint" and partner:
            complaint = env["crm.complaint"].search([
                ("commercial_partner_id", "=", partner.id), ("stage_id.is_closed", "=", False),
                ("company_id", "=", call.company_id.id),
            ], order="id desc", limit=1)
            if complaint:
                return env._(
                    "Your complaint %(reference)s is at stage %(stage)s.",
                    reference=complaint.reference, stage=complaint.stage_id.name,
                )
        return self.answer_text or env._("We have no information for you.")
