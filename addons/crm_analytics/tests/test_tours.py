from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged


class ValueTourCase(HttpCase):
    """The suite's demo customers, with their two years of orders, and the value the
    demo data computed from them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env.ref("crm_analytics.res_partner_value_demo_02",
                                   raise_if_not_found=False)
        if not cls.customer:
            cls.skipTest(cls, "the tours read the demo customers of crm_analytics")
        cls.company = cls.env.ref("base.main_company")
        cls.manager = new_test_user(
            cls.env, login="crm_an_tour_manager", name="Tour Manager Mo",
            groups="sales_team.group_sale_manager,base.group_partner_manager",
        )
        cls.salesman = new_test_user(
            cls.env, login="crm_an_tour_salesman", name="Tour Salesman Su",
            groups="sales_team.group_sale_salesman",
        )
        (cls.manager | cls.salesman).write({"tour_enabled": False, "lang": "en_US"})


@tagged("post_install", "-at_install")
class TestValueTour(ValueTourCase):

    def test_recompute_pyramid_and_value_tab(self):
        """A sales manager recomputes from an empty list of CLV models: the tour sees
        the new fit, the pyramid and the customer's scores with their new history."""
        models = self.env["crm.clv.model"].sudo()
        history = self.env["crm.customer.value.history"].sudo()
        models.search([("company_id", "=", self.company.id)]).unlink()
        history.search([("company_id", "=", self.company.id)]).unlink()
        self.env["crm.customer.value"].sudo().search(
            [("company_id", "=", self.company.id)]).unlink()

        self.start_tour("/odoo/action-crm_analytics.crm_clv_model_action",
                        "crm_analytics_value_tour", login=self.manager.login)

        today = fields.Date.context_today(self.manager)
        model = models.search([("company_id", "=", self.company.id)])
        self.assertEqual(len(model), 1, "one computation from the Recompute button")
        self.assertEqual(model.as_of, today)
        self.assertEqual(model.state, "fitted")
        self.assertEqual(model.create_uid, self.manager)
        self.assertGreater(model.bgnbd_r, 0)
        self.assertGreater(model.customer_count, 20)
        rows = history.search([("company_id", "=", self.company.id)])
        self.assertEqual(len(rows), model.customer_count,
                         "the month's snapshot: one history row per customer")
        row = rows.filtered(lambda line: line.partner_id == self.customer)
        self.assertEqual(len(row), 1)
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.value_date, today)
        self.assertEqual(
            (row.rfm_r_score, row.rfm_f_score, row.rfm_m_score, row.rfm_segment),
            (self.customer.rfm_r_score, self.customer.rfm_f_score,
             self.customer.rfm_m_score, self.customer.rfm_segment),
        )
        for score in (row.rfm_r_score, row.rfm_f_score, row.rfm_m_score):
            self.assertIn(score, range(1, 6))


@tagged("post_install", "-at_install")
class TestValueMobileTour(ValueTourCase):
    browser_size = "390x844"
    touch_enabled = True

    def test_salesperson_value_tab_on_phone(self):
        """A salesperson opens one of their customers on a phone: the Value tab shows
        its scores and the history the salesperson may read."""
        customer = self.env.ref("crm_analytics.res_partner_value_demo_01")
        customer.write({"name": "Tour Phone Customer", "user_id": self.salesman.id})
        own_history = self.env["crm.customer.value.history"].with_user(self.salesman).search(
            [("partner_id", "=", customer.id)])
        self.assertTrue(own_history, "the salesperson reads the history of their customer")
        self.start_tour(
            "/odoo/action-crm_analytics.crm_customer_value_action",
            "crm_analytics_value_mobile_tour", login=self.salesman.login)
