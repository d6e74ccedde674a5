from datetime import datetime
from unittest.mock import patch

from odoo.tests import new_test_user

from odoo.addons.crm_core.tests.common import CrmSuiteCase

NOW = datetime(2025, 3, 3, 9, 0, 0)


class CallcenterSetup:
    """Users of each call center group, two queues of agents, a customer with a phone."""

    @classmethod
    def _setup_callcenter(cls):
        env = cls.env
        # the PBX's events of the tests are dated around NOW: the server's clock, for
        # the endpoint's timestamp window, is NOW too
        cls.startClassPatcher(patch.object(
            env.registry["crm.cti.endpoint"], "_cti_clock", lambda _self: NOW))
        cls.company = env.company
        cls.company.country_id = env.ref("base.cn")
        cls.manager = new_test_user(
            env, login="cc_manager", name="Manager Ma",
            groups="crm_callcenter.group_crm_callcenter_manager",
        )
        cls.supervisor = new_test_user(
            env, login="cc_supervisor", name="Supervisor Su",
            groups="crm_callcenter.group_crm_callcenter_supervisor",
        )
        cls.user_a = new_test_user(
            env, login="cc_agent_a", name="Agent An",
            groups="crm_callcenter.group_crm_callcenter_agent",
        )
        cls.user_b = new_test_user(
            env, login="cc_agent_b", name="Agent Bai",
            groups="crm_callcenter.group_crm_callcenter_agent",
        )
        cls.user_c = new_test_user(
            env, login="cc_agent_c", name="Agent Cao",
            groups="crm_callcenter.group_crm_callcenter_agent",
        )
        cls.team = env["crm.team"].create({
            "name": "Hotline Team", "user_id": cls.supervisor.id,
            "member_ids": [(6, 0, [cls.user_a.id, cls.user_b.id])],
        })
        cls.other_team = env["crm.team"].create({"name": "Complaint Desk"})
        cls.skill_en = env["crm.call.skill"].create({"name": "CC English"})
        cls.skill_tech = env["crm.call.skill"].create({"name": "CC Technical"})
        cls.queue = env["crm.call.queue"].create({
            "name": "Service", "code": "SVC", "team_id": cls.team.id,
            "strategy": "longest_idle", "max_wait_seconds": 60,
        })
        cls.desk_queue = env["crm.call.queue"].create({
            "name": "Complaint Desk", "code": "DESK", "team_id": cls.other_team.id,
        })
        Agent = env["crm.call.agent"]
        cls.agent_a = Agent.create({
            "user_id": cls.user_a.id, "extension": "701",
            "queue_ids": [(6, 0, cls.queue.ids)],
        })
        cls.agent_b = Agent.create({
            "user_id": cls.user_b.id, "extension": "702",
            "queue_ids": [(6, 0, cls.queue.ids)],
        })
        cls.agent_c = Agent.create({
            "user_id": cls.user_c.id, "extension": "703",
            "queue_ids": [(6, 0, cls.desk_queue.ids)],
        })
        cls.customer = env["res.partner"].create({
            "name": "Jade River Ltd", "is_company": True, "phone": "010 6552 1234",
            "country_id": env.ref("base.cn").id,
        })

    @classmethod
    def _available(cls, *agents, since=None):
        for index, agent in enumerate(agents):
            agent.sudo().write({
                "state": "available",
                "date_state": (since or datetime(2025, 3, 3, 8, 0)).replace(minute=index),
            })

    def _inbound(self, queue=None, phone="+86 10 6552 1234", when=NOW, external_id=None):
        """A ringing inbound call routed by the ACD (as the CTI does)."""
        call = self.env["crm.call"].sudo().create({
            "direction": "inbound", "phone": phone, "queue_id": (queue or self.queue).id,
            "state": "ringing", "date_start": when, "external_id": external_id,
        })
        return call, call._acd_route(when)


class CrmCallcenterCommon(CallcenterSetup, CrmSuiteCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_callcenter()
