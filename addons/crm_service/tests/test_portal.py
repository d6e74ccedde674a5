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
        cls.resolved = cls.env.ref("crm_service.crm_complaint_stage_resolved")
        # staff who may handle every complaint, and are a customer themselves
        cls.staff = new_test_user(
            cls.env, login="svc_portal_staff", name="Staff Amber",
            groups="base.group_user,crm_service.group_crm_service_manager",
            email="amber@staff.example.com",
        )
        cls.staff_own = Complaint.create({
            "name": "Amber lamp flickers", "partner_id": cls.staff.partner_id.id,
            "channel": "phone",
        })

    def _csrf(self, html):
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    def _jsonrpc(self, url, **params):
        return self.url_open(
            url, data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}),
            headers={"Content-Type": "application/json"},
        ).json()

    def _post(self, complaint, body, **kwargs):
        """Write in the complaint's portal chatter, through the host's own route."""
        return self._jsonrpc(
            "/mail/message/post", thread_model="crm.complaint", thread_id=complaint.id,
            post_data={"body": body, "message_type": "comment",
                       "subtype_xmlid": "mail.mt_comment"},
            **kwargs,
        )

    def _chatter(self, complaint, **kwargs):
        """The bodies the portal chatter shows of the complaint's conversation."""
        answer = self._jsonrpc(
            "/mail/chatter_fetch", thread_model="crm.complaint", thread_id=complaint.id,
            **kwargs,
        )
        self.assertNotIn("error", answer)
        return " ".join(message["body"] for message in answer["result"]["data"]["mail.message"])

    def _bodies(self, complaint):
        self.env.invalidate_all()
        return [message.body for message in complaint.message_ids]

    def test_list_and_detail(self):
        self.authenticate("svc_portal_jade", "svc_portal_jade")
        response = self.url_open("/my/complaints")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Jade vase cracked", response.text)
        self.assertNotIn("Onyx table scratched", response.text)

        response = self.url_open(f"/my/complaints/{self.mine.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(self.mine.reference, response.text)
        self.assertIn("The vase arrived cracked.", response.text)
        # the conversation is the host's portal chatter, loaded by the page
        self.assertRegex(
            response.text,
            rf'class="[^"]*o_portal_chatter[^"]*"[^>]*data-res_model="crm.complaint"'
            rf'[^>]*data-res_id="{self.mine.id}"',
        )
        self.assertNotIn("Secret internal note", response.text)
        conversation = self._chatter(self.mine)
        self.assertIn("We will send a new vase", conversation)
        self.assertNotIn("Secret internal note", conversation, "internal notes stay internal")

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
        count = len(self.theirs.message_ids)
        answer = self._post(self.theirs, "Let me in")
        self.assertEqual(answer["error"]["data"]["name"], "werkzeug.exceptions.NotFound")
        # the token of one's own complaint opens no other
        answer = self._post(self.theirs, "Let me in", token=self.mine._portal_ensure_token())
        self.assertEqual(answer["error"]["data"]["name"], "werkzeug.exceptions.NotFound")
        self.assertEqual(len(self._bodies(self.theirs)), count, "nothing posted")
        answer = self._jsonrpc(
            "/mail/chatter_fetch", thread_model="crm.complaint", thread_id=self.theirs.id,
        )
        self.assertFalse(answer.get("result", {}).get("data", {}).get("mail.message"))

    def test_reply(self):
        self.authenticate("svc_portal_jade", "svc_portal_jade")
        answer = self._post(self.mine, "<p>Thank you, Tuesday suits me.</p>")
        self.assertNotIn("error", answer)
        self.env.invalidate_all()
        message = self.mine.message_ids.filtered(lambda m: "Tuesday suits me" in (m.body or ""))
        self.assertEqual(message.author_id, self.portal_user.partner_id)
        self.assertFalse(self.mine.first_response_date, "a customer's message is no response")
        self.assertIn("Tuesday suits me", self._chatter(self.mine))

    def test_reply_with_the_mailed_token(self):
        """A customer who follows the link of an email writes without logging in."""
        token = self.mine._portal_ensure_token()
        page = self.url_open(f"/my/complaints/{self.mine.id}?access_token={token}")
        self.assertEqual(page.status_code, 200)
        self.assertIn(f'data-token="{token}"', page.text, "the chatter may post")
        conversation = self._chatter(self.mine, token=token)
        self.assertIn("We will send a new vase", conversation)
        self.assertNotIn("Secret internal note", conversation)
        answer = self._post(self.mine, "Wednesday is better.", token=token)
        self.assertNotIn("error", answer)
        self.env.invalidate_all()
        message = self.mine.message_ids.filtered(lambda m: "Wednesday" in (m.body or ""))
        self.assertEqual(message.author_id, self.mine.partner_id)
        answer = self._post(self.mine, "Guessing", token="0" * 36)
        self.assertEqual(answer["error"]["data"]["name"], "werkzeug.exceptions.NotFound")
        self.assertFalse(self.mine.message_ids.filtered(lambda m: "Guessing" in (m.body or "")))

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
        # told it was received: on the page, and by a message mailed to them
        self.assertIn("we received your complaint", response.text)
        acknowledgements = complaint.message_ids.filtered(
            lambda message: "we received your complaint" in (message.body or ""))
        self.assertEqual(len(acknowledgements), 1)
        self.assertIn(complaint.reference, acknowledgements.body)
        self.assertEqual(acknowledgements.partner_ids, self.portal_user.partner_id)
        self.assertFalse(acknowledgements.subtype_id.internal, "the customer reads it")

    def test_list_columns(self):
        """Each complaint of the list says when it came in, who handles it, by when it
        should be resolved, and whether that is past."""
        agent = new_test_user(self.env, login="svc_portal_agent", name="Agent Coral",
                              groups="crm_service.group_crm_service_user")
        self.mine.user_id = agent
        self.mine.sudo().resolve_deadline = "2020-01-02 10:00:00"
        self.authenticate("svc_portal_jade", "svc_portal_jade")
        listing = self.url_open("/my/complaints").text
        for header in ("Received", "Handled by", "Expected resolution"):
            self.assertIn(header, listing)
        self.assertIn("Agent Coral", listing)
        self.assertIn("01/02/2020", listing)
        self.assertIn("o_crm_service_late", listing, "past its expected resolution: delayed")

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

        # the conversation refuses them whole rather than saving an altered text
        messages = len(self._bodies(self.mine))
        for body in ("Hello\x00there", "<p>It\x07 rang</p>"):
            answer = self._post(self.mine, body)
            self.assertEqual(answer["error"]["data"]["name"], "odoo.exceptions.UserError", body)
            self.assertIn("control characters", answer["error"]["data"]["message"], body)
        self.assertEqual(len(self._bodies(self.mine)), messages, "nothing posted")

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

    def test_mailed_link_signs_the_customer_in_the_chatter(self):
        """The button of a notification email: through /mail/view to the page,
        with the token and the customer's signature, so that they may answer."""
        link = self.mine._get_share_url(redirect=True, pid=self.customer.id)
        response = self.url_open(link)
        self.assertEqual(response.status_code, 200)
        self.assertIn(f"/my/complaints/{self.mine.id}?", response.url)
        self.assertIn(f'data-pid="{self.customer.id}"', response.text)
        signature = self.mine._sign_token(self.customer.id)
        self.assertIn(f'data-hash="{signature}"', response.text)
        answer = self._post(self.mine, "Signed answer", pid=self.customer.id, hash=signature)
        self.assertNotIn("error", answer)
        self.env.invalidate_all()
        message = self.mine.message_ids.filtered(lambda m: "Signed answer" in (m.body or ""))
        self.assertEqual(message.author_id, self.customer)

    # ------------------------------------------------------------------ reopening

    def _resolve(self, complaint):
        complaint.write({"stage_id": self.resolved.id, "resolution": "<p>New vase sent.</p>"})
        self.assertTrue(complaint.resolved_date)

    def _first_open_stage(self):
        return self.env["crm.complaint.stage"].search(
            [("is_closed", "=", False), ("is_paused", "=", False)], limit=1,
        )

    def test_customer_reply_reopens_solved_complaint(self):
        # a closing stage that names no stage to go back to: the first open one
        self.resolved.resume_stage_id = False
        self._resolve(self.mine)
        self.authenticate("svc_portal_jade", "svc_portal_jade")
        answer = self._post(self.mine, "The new vase is cracked too.")
        self.assertNotIn("error", answer)
        self.env.invalidate_all()
        self.assertEqual(self.mine.stage_id, self._first_open_stage())
        self.assertFalse(self.mine.resolved_date, "the resolution clock runs again")
        self.assertIn("New vase sent.", self.mine.resolution, "nothing typed is cleared")
        note = self.mine.message_ids.filtered(lambda m: "reopened" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn("Jade Buyer", note.body)
        self.assertTrue(note.subtype_id.internal, "a note for the service team")
        self.assertNotIn("reopened", self._chatter(self.mine))

    def test_customer_reply_reopens_in_the_stage_of_the_closing_stage(self):
        in_progress = self.env.ref("crm_service.crm_complaint_stage_in_progress")
        self.assertEqual(self.resolved.resume_stage_id, in_progress, "as shipped")
        self._resolve(self.mine)
        # an email answer of the customer counts as much as the portal
        self.mine.message_post(
            body="Still broken.", author_id=self.portal_user.partner_id.id,
            message_type="email", subtype_xmlid="mail.mt_comment",
        )
        self.assertEqual(self.mine.stage_id, in_progress)
        self.assertFalse(self.mine.resolved_date)

    def test_employee_message_does_not_reopen(self):
        self._resolve(self.mine)
        self.authenticate("svc_portal_staff", "svc_portal_staff")
        answer = self._post(self.mine, "Glad we could help.")
        self.assertNotIn("error", answer)
        self.mine.with_user(self.staff).message_post(
            body="Closing remark", message_type="comment", subtype_xmlid="mail.mt_note",
        )
        self.env.invalidate_all()
        self.assertEqual(self.mine.stage_id, self.resolved)
        self.assertTrue(self.mine.resolved_date)
        self.assertFalse(self.mine.message_ids.filtered(lambda m: "reopened" in (m.body or "")))

    # ------------------------------------------------------------------ staff

    def test_staff_see_only_their_own_complaints(self):
        self.assertTrue(self.mine.with_user(self.staff).has_access("read"))
        self.authenticate("svc_portal_staff", "svc_portal_staff")
        response = self.url_open("/my/complaints")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Amber lamp flickers", response.text)
        self.assertNotIn("Jade vase cracked", response.text)
        self.assertNotIn("Onyx table scratched", response.text)
        counters = self._jsonrpc("/my/counters", counters=["complaint_count"])["result"]
        self.assertEqual(counters["complaint_count"], 1)

        response = self.url_open(f"/my/complaints/{self.staff_own.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Amber lamp flickers", response.text)
        # another customer's complaint: to the backend, where staff handle it
        response = self.url_open(f"/my/complaints/{self.mine.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/odoo/action-", response.headers["Location"])
        self.assertTrue(response.headers["Location"].endswith(f"/{self.mine.id}"))
        # the link mailed to the customer still opens their page
        token = self.mine._portal_ensure_token()
        response = self.url_open(f"/my/complaints/{self.mine.id}?access_token={token}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("Jade vase cracked", response.text)

    def test_portal_user_without_rights_gets_no_redirect(self):
        self.authenticate("svc_portal_onyx", "svc_portal_onyx")
        response = self.url_open(f"/my/complaints/{self.mine.id}", allow_redirects=False)
        self.assertEqual(response.status_code, 404)
