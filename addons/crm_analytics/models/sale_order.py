from odoo import models
from odoo.tools import create_index


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def init(self):
        result = super().init()
        # the value engine reads the orders written since its last run
        create_index(self.env.cr, "sale_order_crm_write_date_index", self._table,
                     ["write_date"])
        return result

    def write(self, vals):
        if "partner_id" in vals:
            # confirmed orders leave their customer without a write on the orders they
            # join: the value engine counts that customer again
            confirmed = self.filtered(lambda order: order.state in ("sale", "done"))
            self.env["crm.customer.value.recount"]._mark(
                confirmed.partner_id.commercial_partner_id.ids)
        return super().write(vals)


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _merge(self, partner_ids, dst_partner=None, extra_checks=True):
        # the merged partners' orders move to the partner kept, in SQL: the customers
        # they belonged to are counted again by the value engine's next run
        partners = self.env["res.partner"].browse(partner_ids).exists()
        commercial = partners.commercial_partner_id
        result = super()._merge(partner_ids, dst_partner=dst_partner,
                                extra_checks=extra_checks)
        kept = (commercial | partners).exists()
        self.env["crm.customer.value.recount"]._mark(
            (kept | kept.commercial_partner_id).ids)
        return result
