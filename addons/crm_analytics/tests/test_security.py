from datetime import date

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.crm_core.tests.common import RpcMixin

from .common import CrmAnalyticsCommon

VALUE_FIELDS = {
    "rfm_segment": "champions",
    "rfm_r_score": 5,
    "rfm_frequency": 99,
    "clv_historic": 1e6,
    "clv_predicted": 1e6,
    "probability_alive": 1.0,
    "expected_purchases_90d": 9.0,
    "value_quadrant": "grow",
    "churn_risk": "high",
    "churn_reasons": "none",
    "churn_alert_date": "2025-01-01",
    "rfm_recency_days": 1,
    "rfm_monetary": 1.0,
}


@tagged("post_install", "-at_install")
class TestValueSecurity(RpcMixin, CrmAnalyticsCommon, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.user_id = cls.salesman
        cls._orders_on([(cls.customer, 300.0, date(2025, 3, 1))])
        cls.model = cls.env["crm.analytics.engine"].run(as_of=date(2025, 3, 31))
        cls.portal = new_test_user(cls.env, login="crm_an_portal", groups="base.group_portal")

    def test_nobody_writes_value_fields_over_rpc(self):
        for login in ("crm_core_salesman", "crm_core_manager"):
            for name, value in VALUE_FIELDS.items():
                with self.subTest(login=login, field=name):
                    self.assertRpcRefused(AccessError, login, "res.partner", "write",
                                          [self.customer.id], {name: value},
                                          context={"crm_engine": True, "sudo": True})
        self.assertEqual(self.customer.rfm_frequency, 1)

    def test_nobody_sets_value_fields_at_creation(self):
        error = self.rpc_error("crm_core_manager", "res.partner", "create",
                               [{"name": "Forged", "clv_predicted": 1e6}])
        self.assertEqual(error["name"], "odoo.exceptions.AccessError")

    def test_models_and_history_are_the_servers(self):
        for values in ({"bgnbd_r": 1.0}, {"churn_warning_count": 5},
                       {"churn_unwarned_count": 5}):
            self.assertRpcRefused(AccessError, "crm_core_manager", "crm.clv.model",
                                  "write", [self.model.id], values)
        history = self.customer.value_history_ids
        self.assertRpcRefused(AccessError, "crm_core_manager", "crm.customer.value.history",
                              "write", history.ids, {"clv_predicted": 1.0})
        self.assertRpcRefused(AccessError, "crm_core_salesman", "crm.clv.model", "create",
                              {"as_of": "2025-01-01"})

    def test_salespeople_read_value_portal_users_do_not(self):
        [values] = self.rpc_result("crm_core_salesman", "res.partner", "read",
                                   [self.customer.id], ["rfm_segment", "clv_historic"])
        self.assertEqual(values["clv_historic"], 300.0)
        self.assertTrue(values["rfm_segment"])
        self.assertTrue(self.rpc_result("crm_core_salesman", "crm.clv.model", "search_read",
                                        [("id", "=", self.model.id)], ["state"]))
        self.assertRpcRefused(AccessError, "crm_an_portal", "res.partner", "read",
                              [self.portal.partner_id.id], ["clv_historic"])

    def test_value_history_of_own_customers_only(self):
        """Salespeople read the value history of their own customers; team leaders and
        sales administrators of all customers; a colleague reads none, an employee
        without sales rights is refused."""
        self.customer.user_id = self.salesman
        history = self.customer.value_history_ids
        self.assertEqual(len(history), 1)
        [values] = self.rpc_result("crm_core_salesman", "res.partner", "read",
                                   [self.customer.id], ["value_history_ids"])
        self.assertEqual(values["value_history_ids"], history.ids)
        for login in ("crm_core_manager", "crm_core_leader"):
            self.assertEqual(len(self.rpc_result(
                login, "crm.customer.value.history", "search_read",
                [("id", "in", history.ids)], ["clv_historic"])), 1, login)
        # a colleague, an employee without sales rights: refused
        new_test_user(self.env, login="crm_an_employee", groups="base.group_user",
                      company_id=self.company.id)
        self.assertFalse(self.rpc_result(
            "crm_core_colleague", "crm.customer.value.history", "search_read",
            [("partner_id", "=", self.customer.id)], ["clv_historic"]))
        [values] = self.rpc_result("crm_core_colleague", "res.partner", "read",
                                   [self.customer.id], ["value_history_ids"])
        self.assertEqual(values["value_history_ids"], [])
        for login in ("crm_core_colleague", "crm_an_employee"):
            with self.subTest(login=login):
                self.assertRpcRefused(AccessError, login, "crm.customer.value.history",
                                      "read", history.ids, ["clv_historic"])
        for model, fields in (("res.partner", ["value_history_ids"]),
                              ("res.partner", ["clv_predicted"]),
                              ("crm.customer.value", ["clv_predicted"])):
            self.assertRpcRefused(AccessError, "crm_an_employee", model, "search_read",
                                  [("id", "=", self.customer.id)], fields)
        self.assertRpcRefused(AccessError, "crm_an_employee", "crm.clv.model", "read",
                              [self.model.id], ["state"])

    def test_only_administrators_recompute(self):
        self.assertRpcRefused(AccessError, "crm_core_salesman", "crm.analytics.engine",
                              "run")
