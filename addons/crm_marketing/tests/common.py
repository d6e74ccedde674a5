from odoo.tests import new_test_user

from odoo.addons.crm_core.tests.common import CrmCoreCommon


class CrmMarketingCommon(CrmCoreCommon):
    """crm_core's users, team and customer, plus a marketing user and a second company."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.marketer = new_test_user(
            cls.env, login="crm_mkt_marketer", name="Marketer Ma",
            groups="mass_mailing.group_mass_mailing_user,sales_team.group_sale_salesman,"
            "base.group_partner_manager",
        )
        cls.other_company = cls.env["res.company"].create({"name": "Other Company Ltd"})
        cls.cn = cls.env.ref("base.cn")
        cls._flush_tracking()

    @classmethod
    def _campaign(cls, title="Spring Sale", **vals):
        return cls.env["utm.campaign"].create({"title": title, **vals})

    @classmethod
    def _lead(cls, campaign, lead_type="lead", won=False, active=True, partner=None, **vals):
        lead = cls.env["crm.lead"].create({
            "name": f"Lead {campaign.title}",
            "type": lead_type,
            "campaign_id": campaign.id,
            "partner_id": partner.id if partner else False,
            "user_id": cls.salesman.id,
            **vals,
        })
        if won:
            lead.action_set_won()
        if not active:
            lead.action_archive()
        return lead

    @classmethod
    def _campaign_order(cls, campaign, partner, amount, confirm=True, date=None):
        order = cls._order(partner, amount, confirm=False)
        order.campaign_id = campaign
        if confirm:
            order.action_confirm()
        if date:
            order.date_order = date
        return order
