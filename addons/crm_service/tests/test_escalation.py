from odoo.tests import tagged

from .common import CrmServiceCommon, at, frozen


@tagged("post_install", "-at_install")
class TestEscalation(CrmServiceCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warn, cls.breach, cls.after = cls.env["crm.sla.escalation"].create([
            {
                "name": "Warn the agent", "policy_id": cls.policy.id, "sequence": 1,
                "trigger": "before_breach", "hours": 2, "notify_user_ids": [(6, 0, cls.agent.ids)],
                "level": 0,
            },
            {
                "name": "Tell the leader", "policy_id": cls.policy.id, "sequence": 2,
                "trigger": "at_breach", "notify_user_ids": [(6, 0, cls.leader.ids)], "level": 1,
            },
            {
                "name": "Hand over to the manager", "policy_id": cls.policy.id, "sequence": 3,
                "trigger": "after_breach", "hours": 4, "raise_priority": True,
                "reassign_user_id": cls.manager.id,
                "notify_group_id": cls.env.ref("crm_service.group_crm_service_manager").id,
                "level": 2,
            },
        ])
        with frozen(cls.env, at(0, 9)):
            cls.complaint = cls._complaint(received=at(0, 9))
        with frozen(cls.env, at(0, 10)):
            cls.complaint.with_user(cls.agent).message_post(
                body="We are on it.", message_type="comment", subtype_xmlid="mail.mt_comment",
            )
        # a complaint received later, due long after the others: never looked at here
        with frozen(cls.env, at(3, 9)):
            cls.later = cls._complaint(received=at(3, 9))
        cls._flush_tracking()

    def _run(self, when):
        with frozen(self.env, when):
            self.env["crm.complaint"]._cron_escalate()
            self.env.flush_all()
        self.complaint.invalidate_recordset()

    def _fired(self):
        return self.complaint.escalation_log_ids.escalation_id

    def test_every_step_fires_once(self):
        complaint = self.complaint
        self.assertEqual(complaint.resolve_deadline, at(1, 17))
        self.assertEqual(complaint.next_escalation_date, at(1, 15), "the warning comes first")

        self._run(at(1, 14))
        self.assertFalse(self._fired())
        self.assertEqual(complaint.sla_status, "on_track")

        self._run(at(1, 15, 30))
        self.assertEqual(self._fired(), self.warn)
        self.assertEqual(complaint.sla_status, "at_risk")
        self.assertEqual(complaint.escalation_level, 0)
        warning = complaint.message_ids.filtered(lambda m: "Warn the agent" in (m.body or ""))
        self.assertEqual(len(warning), 1)
        self.assertIn(self.agent.partner_id, warning.partner_ids, "the agent is notified")
        self.assertEqual(complaint.next_escalation_date, at(1, 17))

        self._run(at(1, 16))
        self.assertEqual(len(complaint.escalation_log_ids), 1, "the warning fires once")

        self._run(at(1, 17, 30))
        self.assertEqual(self._fired(), self.warn | self.breach)
        self.assertEqual(complaint.sla_status, "breached")
        self.assertEqual(complaint.escalation_level, 1)
        self.assertEqual(complaint.user_id, self.agent)
        self.assertEqual(complaint.next_escalation_date, at(2, 13), "4 working hours after")

        self._run(at(2, 13, 30))
        self.assertEqual(self._fired(), self.warn | self.breach | self.after)
        self.assertEqual(complaint.escalation_level, 2)
        self.assertEqual(complaint.priority, "2", "raised from normal to high")
        self.assertEqual(complaint.user_id, self.manager, "handed over")
        handover = complaint.message_ids.filtered(
            lambda m: "Hand over to the manager" in (m.body or "")
        )
        self.assertIn(self.manager.partner_id, handover.partner_ids, "the group is notified")
        self.assertFalse(complaint.next_escalation_date, "nothing left to fire")

        self._run(at(3, 16))
        self.assertEqual(len(complaint.escalation_log_ids), 3, "each step fired once")
        self.assertEqual(complaint.priority, "2")
        self.assertFalse(self.later.escalation_log_ids, "not due: never escalated")

    def test_job_reads_only_due_complaints(self):
        with frozen(self.env, at(1, 15, 30)):
            due = self.env["crm.complaint"].search([("next_escalation_date", "<=", at(1, 15, 30))])
            self.assertEqual(due, self.complaint)
            self.assertEqual(self.env["crm.complaint"]._cron_escalate(), 1)

    def test_paused_complaint_does_not_escalate(self):
        with frozen(self.env, at(1, 10)):
            self.complaint.stage_id = self.stage_waiting
        self.assertFalse(self.complaint.next_escalation_date)
        self._run(at(2, 16))
        self.assertFalse(self._fired(), "the clock stands still while waiting")

    def test_resolved_complaint_does_not_escalate(self):
        with frozen(self.env, at(1, 10)):
            self.complaint.stage_id = self.stage_resolved
        self._run(at(3, 16))
        self.assertFalse(self._fired())
        self.assertEqual(self.complaint.sla_status, "met")

    def test_step_on_the_first_response(self):
        remind = self.env["crm.sla.escalation"].create({
            "name": "Nobody answered", "policy_id": self.policy.id, "sequence": 0,
            "deadline": "response", "trigger": "at_breach",
            "notify_user_ids": [(6, 0, self.leader.ids)], "level": 1,
        })
        with frozen(self.env, at(0, 9)):
            silent = self._complaint(received=at(0, 9), name="Nobody wrote back")
        self.assertEqual(silent.response_deadline, at(0, 13))
        self.assertEqual(silent.next_escalation_date, at(0, 11), "at risk first")
        self._run(at(0, 13, 30))
        silent.invalidate_recordset()
        self.assertIn(remind, silent.escalation_log_ids.escalation_id)
        self.assertEqual(silent.escalation_level, 1)
        self._run(at(0, 14))
        silent.invalidate_recordset()
        self.assertEqual(len(silent.escalation_log_ids.filtered(
            lambda log: log.escalation_id == remind)), 1, "once")
        # the complaint answered in time never hears of that step
        self._run(at(1, 14))
        self.assertNotIn(remind, self._fired())

