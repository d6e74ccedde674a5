from contextlib import contextmanager
from datetime import datetime

from freezegun import freeze_time

from odoo.tests import new_test_user

from odoo.addons.crm_core.tests.common import CrmSuiteCase

# 2026-03-02 is a Monday
MONDAY = datetime(2026, 3, 2)


def at(day, hour, minute=0):
    """A naive UTC datetime in the test week: day 0 is Monday 2 March 2026."""
    return MONDAY.replace(day=MONDAY.day + day, hour=hour, minute=minute)


@contextmanager
def frozen(env, when):
    """Freeze the clock at ``when``; what the changes recompute is computed (and
    written) before the clock runs again, as it would be in a real transaction."""
    with freeze_time(when):
        yield
        env.flush_all()


class CrmServiceCommon(CrmSuiteCase):
    """Two service teams, their agents and leader, a manager, customers, stages and
    an SLA policy counting a Monday-to-Friday 9:00-17:00 (UTC) calendar."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env, login="svc_manager", name="Manager Meng",
            groups="crm_service.group_crm_service_manager", email="meng@example.com",
        )
        cls.leader = new_test_user(
            cls.env, login="svc_leader", name="Leader Lu",
            groups="crm_service.group_crm_service_user", email="lu@example.com",
        )
        cls.agent = new_test_user(
            cls.env, login="svc_agent", name="Agent An",
            groups="crm_service.group_crm_service_user", email="an@example.com",
        )
        cls.agent_b = new_test_user(
            cls.env, login="svc_agent_b", name="Agent Bai",
            groups="crm_service.group_crm_service_user", email="bai@example.com",
        )
        cls.team = cls.env["crm.team"].create({
            "name": "Service North", "user_id": cls.leader.id,
            "member_ids": [(6, 0, [cls.agent.id])],
        })
        cls.team_b = cls.env["crm.team"].create({
            "name": "Service South", "member_ids": [(6, 0, [cls.agent_b.id])],
        })
        cls.calendar = cls.env["resource.calendar"].create({
            "name": "Service hours 9-17 UTC",
            "tz": "UTC",
            "attendance_ids": [(5, 0, 0)] + [
                (0, 0, {
                    "name": f"Day {day}", "dayofweek": str(day), "hour_from": 9,
                    "hour_to": 17, "day_period": "morning",
                })
                for day in range(5)
            ],
        })
        cls.category = cls.env["crm.complaint.category"].create({"name": "Delivery"})
        cls.category_quality = cls.env["crm.complaint.category"].create({"name": "Quality"})
        cls.customer = cls.env["res.partner"].create({
            "name": "Huaxia Appliances", "is_company": True, "email": "service@huaxia.example.com",
        })
        cls.contact = cls.env["res.partner"].create({
            "name": "Wang Fang", "parent_id": cls.customer.id,
            "email": "wang.fang@huaxia.example.com",
        })
        cls.other_customer = cls.env["res.partner"].create({
            "name": "Dongfang Retail", "is_company": True, "email": "info@dongfang.example.com",
        })
        cls.policy = cls.env["crm.sla.policy"].create({
            "name": "North delivery",
            "team_id": cls.team.id,
            "resource_calendar_id": cls.calendar.id,
            "response_hours": 4,
            "resolve_hours": 16,
            "at_risk_hours": 2,
        })
        cls.stage_new = cls.env.ref("crm_service.crm_complaint_stage_new")
        cls.stage_progress = cls.env.ref("crm_service.crm_complaint_stage_in_progress")
        cls.stage_waiting = cls.env.ref("crm_service.crm_complaint_stage_waiting")
        cls.stage_resolved = cls.env.ref("crm_service.crm_complaint_stage_resolved")
        cls._flush_tracking()

    @classmethod
    def _complaint(cls, received=None, **values):
        vals = {
            "name": "Fridge delivered with a dent",
            "partner_id": cls.contact.id,
            "team_id": cls.team.id,
            "user_id": cls.agent.id,
            "category_id": cls.category.id,
        }
        if received:
            vals["date_received"] = received
        vals.update(values)
        return cls.env["crm.complaint"].create(vals)

