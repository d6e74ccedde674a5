"""Marketing's read-only buttons run on the host's read-only cursor (a read
replica takes them when one is configured) and write nothing."""

from odoo.tests import HttpCase, tagged

from odoo.addons.crm_core.tests.common import ReadonlyCursorMixin

from .common import CrmMarketingCommon


@tagged("post_install", "-at_install")
class TestMarketingReadonly(ReadonlyCursorMixin, CrmMarketingCommon, HttpCase):

    def test_buttons_run_read_only(self):
        segment = self.env["crm.segment"].create({
            "name": "Everyone in China", "domain": str([("country_id", "=", self.cn.id)]),
        })
        campaign = self.env["utm.campaign"].create({"title": "Read-only launch"})
        campaign.segment_id = segment
        rule = self.env["crm.care.rule"].create({
            "name": "Birthday wishes", "trigger": "birthday", "action": "activity",
        })
        program = self.env["loyalty.program"].create({
            "name": "Members Club", "program_type": "loyalty",
        })
        tier = self.env["crm.loyalty.tier"].create({
            "name": "Silver", "program_id": program.id, "threshold": 100,
        })
        self.authenticate("crm_core_manager", "crm_core_manager")
        for record, method in (
            (segment, "action_view_members"),
            (segment, "action_view_campaigns"),
            (campaign, "action_view_campaign_leads"),
            (campaign, "action_view_campaign_orders"),
            (campaign, "action_view_segment_members"),
            (tier, "action_view_members"),
            (self.customer, "action_view_crm_campaigns"),
            (self.customer, "action_view_crm_loyalty_cards"),
            (rule, "action_view_logs"),
        ):
            with self.subTest(method=f"{record._name}.{method}"):
                self.assertButtonRunsReadOnly(record, method)
