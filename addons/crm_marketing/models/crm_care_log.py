from odoo import api, fields, models


class CrmCareLog(models.Model):
    _name = "crm.care.log"
    _description = "Customer Care Log"
    _inherit = ["crm.protected.fields.mixin"]
    _order = "date desc, id desc"

    rule_id = fields.Many2one("crm.care.rule", required=True, index=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", required=True, index=True, ondelete="cascade")
    occasion = fields.Char(
        required=True,
        help="What the action was for (a birthday of a year, an order, the end of a "
        "warranty, an inactivity episode): the rule acts once per partner and occasion.",
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    sale_order_id = fields.Many2one("sale.order", index="btree_not_null", ondelete="set null")
    action = fields.Selection(related="rule_id.action", store=True)
    trigger = fields.Selection(related="rule_id.trigger", store=True)
    company_id = fields.Many2one(related="rule_id.company_id", store=True, index=True)

    _sql_constraints = [
        ("occasion_unique", "unique (rule_id, partner_id, occasion)",
         "A care rule acts only once per customer and occasion."),
    ]

    @api.model
    def _crm_server_fields(self):
        # written by the care job only: the log is what it did, once per occasion
        return (*super()._crm_server_fields(), "rule_id", "partner_id", "occasion", "date",
                "sale_order_id", "action", "trigger", "company_id")
