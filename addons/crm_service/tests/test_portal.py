import json
import re

from psycopg2 import IntegrityError

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestPortal(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls.env["res.partner"].create({
            "name": "Portal Customer Jade", "is_company": True,
        })
        cls.portal_user = new_test_user(
            cls.env, login="svc_portal_jade", name="Jade Buyer", groups="base.group_portal",
            email="jade@jade.example.com",
        )
        cls.portal_user.partner_id.parent_id = cls.customer
        cls.other = cls.env["res.partner"].create({"name": "Portal Customer Onyx"})
        cls.other_user = new_test_user(
            cls.env, login="svc_portal_onyx", name="Onyx Buyer", groups="base.group_portal",
            partner_id=cls.other.id,
        )
        Complaint = cls.env["crm.complaint"]
        cls.mine = Complaint.create({
            "name": "Jade vase cracked", "partner_id": cls.customer.id, "channel": "phone",
            "description": "<p>The vase arrived cracked.</p>",
        })
        cls.mine.message_post(
            body="We will send a new vase this week.", message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        cls.mine.message_post(body="Secret internal note", subtype_xmlid="mail.mt_note",
                              message_type="comment")
        cls.theirs = Complaint.create({
            "name": "Onyx table scratched", "partner_id": cls.other.id, "channel": "phone",
        })
        cls.category = cls.env["crm.complaint.category"].create({"name": "Breakage"})

    def _csrf(self, html):
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def test_list_and_detail(self):
        self.authenticate("svc_portal_jade", "svc_portal_jade")
        response = self.url_open("/my/complaints")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Jade vase cracked", response.text)
        self.assertNotIn("Onyx table scratched", response.text)

        response = self.url_open(f"/my/complaints/{self.mine.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.mine.reference, response.text)
        self.assertIn("We will send a new vase", response.text, "the conversation")
        self.assertNotIn("Secret internal note", response.text)

        counters = self.url_open(
            "/my/counters",
            data=json.dumps({"params": {"counters": ["complaint_count"]}}),
            headers={"Content-Type": "application/json"},
        ).json()["result"]
        self.assertEqual(counters["complaint_count"], 1)

    def test_other_customer_refused(self):
        self.authenticate("svc_portal_jade", "svc_portal_jade")
        response = self.url_open(f"/my/complaints/{self.theirs.id}")
        self.assertEqual(response.status_code, 404)
        self.assertNotIn("Onyx table scratched", response.text)
        page = self.url_open(f"/my/complaints/{self.mine.id}").text
        count = len(self.theirs.message_ids)
        response = self.url_open(
            f"/my/complaints/{self.theirs.id}/reply",
            data={"csrf_token": self._csrf(page), "message": "Let me in"},
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(len(self.theirs.message_ids), count, "nothing posted")

    def test_reply(self):
        self.authenticate("svc_portal_jade", "svc_portal_jade")
        page = self.url_open(f"/my/complaints/{self.mine.id}").text
        response = self.url_open(
            f"/my/complaints/{self.mine.id}/reply",
            data={"csrf_token": self._csrf(page), "message": "Thank you, Tuesday suits me."},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Tuesday suits me", response.text)
        message = self.mine.message_ids.filtered(lambda m: "Tuesday suits me" in (m.body or ""))
        self.assertEqual(message.author_id, self.portal_user.partner_id)
        self.assertFalse(self.mine.first_response_date, "a customer's message is no response")

    def test_submit(self):
        self.authenticate("svc_portal_jade", "svc_portal_jade")
        form = self.url_open("/my/complaints/new")
        self.assertEqual(form.status_code, 200)
        self.assertIn("Breakage", form.text)
        count = self.env["crm.complaint"].search_count([])
        response = self.url_open("/my/complaints/new", data={
            "csrf_token": self._csrf(form.text), "name": "   ", "description": "Empty subject",
            "category_id": str(self.category.id),
        })
        self.assertEqual(response.status_code, 200)
        self.assertIn("Please give your complaint a subject.", response.text)
        self.assertEqual(self.env["crm.complaint"].search_count([]), count, "nothing written")

        response = self.url_open("/my/complaints/new", data={
            "csrf_token": self._csrf(form.text), "name": "Jade bowl missing",
            "description": "Ordered two bowls, got one.", "category_id": str(self.category.id),
        })
        self.assertEqual(response.status_code, 200)
        complaint = self.env["crm.complaint"].search([("name", "=", "Jade bowl missing")])
        self.assertEqual(len(complaint), 1)
        self.assertEqual(complaint.partner_id, self.portal_user.partner_id)
        self.assertEqual(complaint.commercial_partner_id, self.customer)
        self.assertEqual(complaint.channel, "portal")
        self.assertEqual(complaint.category_id, self.category)
        self.assertIn(complaint.reference, response.text, "the customer lands on the complaint")

    def _submission(self, html):
        return re.search(r'name="submission" value="([0-9a-f]{32})"', html).group(1)

    def test_control_characters_give_the_form_back(self):
        self.authenticate("svc_portal_jade", "svc_portal_jade")
        form = self.url_open("/my/complaints/new").text
        count = self.env["crm.complaint"].search_count([])
        for field, value in (("name", "Broken\x00lid"), ("description", "It\x07 rang"),
                             ("category_id", "1\x00")):
            data = {"csrf_token": self._csrf(form), "submission": self._submission(form),
                    "name": "Broken lid", "description": "Lid cracked"}
            data[field] = value
            response = self.url_open("/my/complaints/new", data=data)
            self.assertEqual(response.status_code, 200, field)
            self.assertIn("control characters", response.text, field)
        self.assertEqual(self.env["crm.complaint"].search_count([]), count, "nothing written")

        page = self.url_open(f"/my/complaints/{self.mine.id}").text
        messages = len(self.mine.message_ids)
        response = self.url_open(
            f"/my/complaints/{self.mine.id}/reply",
            data={"csrf_token": self._csrf(page), "message": "Hello\x00there"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("control characters", response.text)
        self.assertEqual(len(self.mine.message_ids), messages, "nothing posted")

    def test_form_sent_twice_creates_one_complaint(self):
        self.authenticate("svc_portal_jade", "svc_portal_jade")
        form = self.url_open("/my/complaints/new").text
        data = {"csrf_token": self._csrf(form), "submission": self._submission(form),
                "name": "Teapot lid chipped", "description": "Double click"}
        first = self.url_open("/my/complaints/new", data=data)
        second = self.url_open("/my/complaints/new", data=data)
        complaint = self.env["crm.complaint"].search([("name", "=", "Teapot lid chipped")])
        self.assertEqual(len(complaint), 1)
        self.assertEqual(first.url, second.url, "both land on the same complaint")
        # a new form is a new complaint
        form = self.url_open("/my/complaints/new").text
        self.url_open("/my/complaints/new", data={**data, "csrf_token": self._csrf(form),
                                                  "submission": self._submission(form)})
        self.assertEqual(
            self.env["crm.complaint"].search_count([("name", "=", "Teapot lid chipped")]), 2
        )

    def test_submission_key_is_unique_in_the_database(self):
        # two requests at once: the second insert waits for the first and fails on
        # the unique key, which the controller turns into a redirect
        values = {"name": "Twice", "partner_id": self.customer.id,
                  "portal_submission": "a" * 32}
        self.env["crm.complaint"].create(values)
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"):
            self.env["crm.complaint"].create(values)
