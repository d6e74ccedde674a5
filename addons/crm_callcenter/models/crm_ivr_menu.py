from odoo import api, fields, models


class CrmIvrMenu(models.Model):
    _name = "crm.ivr.menu"
    _inherit = ["crm.protected.fields.mixin"]
    _description = "IVR Menu"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, index=True, help="How the PBX names the menu.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company,
    )
    prompt = fields.Text(translate=True, help="What the caller hears before the choices.")
    option_ids = fields.One2many("crm.ivr.option", "menu_id", string="Options", copy=True)
    parent_option_ids = fields.One2many(
        "crm.ivr.option", "submenu_id", string="Reached From",
    )

    _sql_constraints = [
        ("code_company_uniq", "unique(code, company_id)",
         "An IVR menu with this code already exists in the company."),
    ]

    @api.depends("name", "code")
    def _compute_display_name(self):
        for menu in self:
            menu.display_name = f"[{menu.code}] {menu.name}" if menu.code else menu.name

    def _ivr_step(self, digits, call=None):
        """The next step after the caller dialled ``digits`` (``""``: entering the menu).

        Digits walk down the tree one by one; the first option that ends the
        walk (a queue or an answer) decides. An unknown digit repeats the menu
        with an error. ``call`` (``sudo``) is routed when an option leads to a queue.
        """
        self.ensure_one()
        menu = self
        for position, digit in enumerate(digits or ""):
            option = menu.option_ids.filtered(lambda o, d=digit: o.digit == d)[:1]
            if not option:
                return menu._ivr_menu_step(error="invalid_digit")
            if option.action == "menu" and option.submenu_id:
                menu = option.submenu_id
                continue
            rest = digits[position + 1:]
            return option._ivr_execute(call, ignored=rest)
        if call:
            call.write({"ivr_menu_id": menu.id, "routing_rule": "ivr"})
        return menu._ivr_menu_step()

    def _ivr_menu_step(self, error=None):
        step = {
            "type": "menu",
            "menu": self.code,
            "prompt": self.prompt or self.name,
            "options": [{"digit": o.digit, "label": o.name} for o in self.option_ids],
        }
        if error:
            step["error"] = error
        return step
