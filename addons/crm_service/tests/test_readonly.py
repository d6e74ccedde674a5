"""The service's read-only buttons run on the host's read-only cursor (a read
replica takes them when one is configured) and write nothing."""

from odoo.tests import HttpCase, tagged

from odoo.addons.crm_core.tests.common import ReadonlyCursorMixin

from .common import CrmServiceCommon


@tagged("post_install", "-at_install")
class TestServiceReadonly(ReadonlyCursorMixin, CrmServiceCommon, HttpCase):

    def test_buttons_run_read_only(self):
        complaint = self._complaint(description="<p>The fridge door is dented.</p>")
        self.env["crm.solution"].create({
            "name": "Dented fridge door", "category_id": self.category.id,
            "problem": "<p>Fridge door dented on delivery</p>",
        })
        self.authenticate("svc_manager", "svc_manager")
        self.assertButtonRunsReadOnly(self.customer, "action_view_crm_complaints")
        self.assertButtonRunsReadOnly(complaint, "action_apply_solution")
