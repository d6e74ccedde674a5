from odoo.tests import tagged

from .common import CrmCoreCommon

FIELDS_360 = ["opportunity_count", "sale_order_count", "crm_sale_amount"]


@tagged("post_install", "-at_install")
class TestPartner360(CrmCoreCommon):
    def test_revenue_of_confirmed_orders_rolls_up_to_company(self):
        self._order(self.contact, 300.0)
        self._order(self.customer, 200.0)
        self._order(self.customer, 999.0, confirm=False)
        (self.customer | self.contact).invalidate_recordset()
        self.assertAlmostEqual(self.customer.crm_sale_amount, 500.0)
        self.assertAlmostEqual(self.contact.crm_sale_amount, 300.0)
        action = self.customer.action_view_crm_sale_orders()
        orders = self.env["sale.order"].search(action["domain"])
        self.assertEqual(len(orders), 2)

    def test_generic_read_group_helper(self):
        self.env["crm.lead"].create([
            {"name": "A", "partner_id": self.contact.id, "expected_revenue": 10},
            {"name": "B", "partner_id": self.customer.id, "expected_revenue": 5},
        ])
        result = self.customer._crm_360_read_group(
            "crm.lead", [], ["__count", "expected_revenue:sum"])
        self.assertEqual(result[self.customer.id], [2, 15])
        self.assertEqual((self.customer | self.contact)._crm_360_read_group(
            "crm.lead", [], ["__count"])[self.contact.id], [1])

    def _make_partners(self, count, orders_each):
        partners = self.env["res.partner"].create(
            [{"name": f"Customer {index}", "is_company": True} for index in range(count)])
        for partner in partners:
            for _index in range(orders_each):
                self._order(partner, 10.0)
            self.env["crm.lead"].create({"name": partner.name, "partner_id": partner.id})
        return partners

    def _queries_to_read(self, partners):
        partners = partners.with_user(self.manager)
        partners.invalidate_model()
        self.env.flush_all()
        before = self.cr.sql_log_count
        partners.read(FIELDS_360 + ["customer_tier", "lifecycle_stage", "age"])
        return self.cr.sql_log_count - before

    def test_query_count_does_not_grow_with_data(self):
        small = self._make_partners(40, 1)
        large = self._make_partners(80, 3)
        one = large[:1]
        self._queries_to_read(one)  # warm the caches of rights and groups up
        self.assertEqual(self._queries_to_read(small), self._queries_to_read(large))
        self.assertEqual(self._queries_to_read(one), self._queries_to_read(large))

    def test_query_count_of_a_list_of_80(self):
        partners = self._make_partners(80, 2).with_user(self.manager)
        self._queries_to_read(partners[:1])  # warm the caches of rights and groups up
        partners.invalidate_model()
        self.env.flush_all()
        # rights, partners, children, the company's time zone (ages are counted on
        # its day), then one grouped read per smart button
        with self.assertQueryCount(13):
            partners.read(FIELDS_360 + ["customer_tier", "lifecycle_stage", "age"])
