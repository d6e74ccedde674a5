from odoo.tests import HttpCase, tagged


class ReportsTourCase(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        admin = cls.env.ref("base.user_admin")
        admin.write({"tour_enabled": False, "lang": "en_US"})
        customer = cls.env["res.partner"].create({
            "name": "Tour Key Customer", "is_company": True, "user_id": admin.id,
        })
        customer.sudo().write({
            "customer_tier": "key", "clv_historic": 5000.0, "lifecycle_stage": "stability",
            "churn_risk": "low", "value_company_id": admin.company_id.id,
        })
        cls.env["crm.lead"].create({"name": "Tour funnel lead", "user_id": admin.id})


@tagged("post_install", "-at_install")
class TestReportsTour(ReportsTourCase):

    def test_reports_tour(self):
        self.start_tour("/odoo/action-crm_analytics.crm_customer_value_report_action_pyramid",
                        "crm_analytics_reports_tour", login="admin")


@tagged("post_install", "-at_install")
class TestReportsMobileTour(ReportsTourCase):
    browser_size = "375x667"
    touch_enabled = True

    def test_reports_mobile_tour(self):
        self.start_tour("/odoo/action-crm_analytics.crm_customer_value_report_action_churn",
                        "crm_analytics_reports_mobile_tour", login="admin")
