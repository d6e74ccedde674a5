from contextlib import contextmanager

from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase


class CrmSuiteCase(TransactionCase):
    """Helpers for the tests of every addon of the suite."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.company = cls.env.company

    @contextmanager
    def assertRaisesText(self, exception, text):
        """Like ``assertRaises`` (changes rolled back to a savepoint), and the
        error message contains ``text``."""
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertIn(text, str(caught.exception))

    @classmethod
    def _flush_tracking(cls):
        """Post what was tracked so far, so that a test sees only its own changes."""
        cls.env.flush_all()
        cls.env.cr.precommit.run()


class CrmCoreCommon(CrmSuiteCase):
    """Users of each sales group, a team and a customer, in one company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env, login="crm_core_manager", name="Manager Mei",
            groups="sales_team.group_sale_manager,base.group_partner_manager",
        )
        cls.leader = new_test_user(
            cls.env, login="crm_core_leader", name="Leader Liu",
            groups="sales_team.group_sale_salesman_all_leads",
        )
        cls.salesman = new_test_user(
            cls.env, login="crm_core_salesman", name="Salesman Sun",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
        )
        cls.colleague = new_test_user(
            cls.env, login="crm_core_colleague", name="Colleague Chen",
            groups="sales_team.group_sale_salesman",
        )
        cls.team = cls.env["crm.team"].create({
            "name": "Team East",
            "user_id": cls.leader.id,
            "member_ids": [(6, 0, [cls.salesman.id, cls.colleague.id])],
        })
        cls.customer = cls.env["res.partner"].create({
            "name": "Huachen Trading", "is_company": True,
        })
        cls.contact = cls.env["res.partner"].create({
            "name": "Li Na", "parent_id": cls.customer.id,
        })
        cls.product = cls.env["product.product"].create({
            "name": "CRM Licence", "list_price": 100.0, "type": "service",
        })
        cls._flush_tracking()

    @classmethod
    def _order(cls, partner, amount, user=None, date=None, confirm=True, currency=None,
               team=None):
        vals = {
            "partner_id": partner.id,
            "user_id": (user or cls.salesman).id,
            "team_id": (team or cls.team).id,
            "order_line": [(0, 0, {
                "product_id": cls.product.id, "product_uom_qty": 1, "price_unit": amount,
                "tax_id": [(5, 0, 0)],
            })],
        }
        if currency:
            pricelist = cls.env["product.pricelist"].create({
                "name": f"Pricelist {currency.name}", "currency_id": currency.id,
            })
            vals["pricelist_id"] = pricelist.id
        order = cls.env["sale.order"].create(vals)
        if confirm:
            order.action_confirm()
        if date:
            order.date_order = date
        return order
