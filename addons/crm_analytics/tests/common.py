from datetime import date, datetime, time

from odoo import Command

from odoo.addons.crm_core.tests.common import CrmCoreCommon

AS_OF = date(2025, 3, 31)


class CrmAnalyticsCommon(CrmCoreCommon):
    """Customers with confirmed orders on chosen days, in a company of the tests' own
    (the suite's demo orders, and those of the other addons' tests, are elsewhere)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        main = cls.company
        cls.company = cls.env["res.company"].create({
            "name": "Analytics Test Company",
            "currency_id": main.currency_id.id,
        })
        users = cls.manager | cls.leader | cls.salesman | cls.colleague
        users.write({"company_ids": [Command.link(cls.company.id)],
                     "company_id": cls.company.id})
        cls.env = cls.env(context=dict(cls.env.context,
                                       allowed_company_ids=[cls.company.id]))
        cls.team = cls.team.with_env(cls.env)
        cls.team.company_id = cls.company
        cls.customer = cls.customer.with_env(cls.env)
        cls.contact = cls.contact.with_env(cls.env)
        cls.product = cls.product.with_env(cls.env)

    @classmethod
    def _customers(cls, count, prefix="Customer", **values):
        return cls.env["res.partner"].create([
            {"name": f"{prefix} {index:03d}", "is_company": True, **values}
            for index in range(count)
        ])

    @classmethod
    def _orders_on(cls, specs, confirm=True, currency=None):
        """Orders from ``specs``: (partner, amount, date) each; one create, one
        confirmation, then each order dated (confirming dates an order today)."""
        pricelist = currency and cls.env["product.pricelist"].create({
            "name": f"Pricelist {currency.name}", "currency_id": currency.id,
        })
        orders = cls.env["sale.order"].create([{
            "partner_id": partner.id,
            "user_id": cls.salesman.id,
            "team_id": cls.team.id,
            **({"pricelist_id": pricelist.id} if pricelist else {}),
            "order_line": [(0, 0, {
                "product_id": cls.product.id, "product_uom_qty": 1, "price_unit": amount,
                "tax_id": [(5, 0, 0)],
            })],
        } for partner, amount, _day in specs])
        if confirm:
            orders.action_confirm()
        for order, (_partner, _amount, day) in zip(orders, specs, strict=True):
            order.date_order = datetime.combine(day, time(10, 0))
        return orders

    def _run(self, as_of=AS_OF):
        return self.env["crm.analytics.engine"].run(as_of=as_of)
