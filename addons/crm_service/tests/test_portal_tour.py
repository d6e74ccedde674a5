from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestPortalTour(HttpCase):
    """A customer on a phone tells about a problem and writes to the service team."""

    browser_size = "375x667"
    touch_enabled = True

    def test_portal_complaint_from_a_phone(self):
        customer = self.env["res.partner"].create({
            "name": "Tour Customer Celadon", "is_company": True,
        })
        user = new_test_user(
            self.env, login="svc_portal_celadon", name="Celadon Buyer",
            groups="base.group_portal", email="celadon@tour.example.com",
        )
        user.partner_id.parent_id = customer
        self.start_tour("/my/complaints", "crm_service_portal_complaint_tour",
                        login="svc_portal_celadon")
        complaint = self.env["crm.complaint"].search(
            [("name", "=", "Tour porcelain cup chipped")]
        )
        self.assertEqual(len(complaint), 1)
        self.assertEqual(complaint.partner_id, user.partner_id)
        self.assertEqual(complaint.channel, "portal")
        self.assertIn("The cup arrived with a chip on its rim.", complaint.description)
        reply = complaint.message_ids.filtered(
            lambda message: "A photo of the rim follows tomorrow." in (message.body or "")
        )
        self.assertEqual(reply.author_id, user.partner_id)
        self.assertEqual(reply.subtype_id, self.env.ref("mail.mt_comment"))
