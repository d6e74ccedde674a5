from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.crm_service.models.crm_complaint import CHANNELS
from odoo.addons.crm_service.models.crm_complaint_sla import SLA_STATUSES


class CrmServiceReport(models.Model):
    """Service analysis: the satisfaction analysis of crm_service (CSAT, NPS) widened
    to every complaint, with the SLA compliance, by team and category.

    It reuses the satisfaction report's query pieces: ``_select`` and ``_where`` are
    extended here, nothing is copied. The satisfaction report itself is unchanged.

    - *SLA compliance* = complaints with an SLA policy whose SLA is not breached /
      complaints with an SLA policy (an open complaint still within its deadlines
      counts as compliant so far, as on the complaint); empty without such complaints.
    - *CSAT* and *NPS* are averaged over the complaints that have a score only.
    """

    _name = "crm.service.report"
    _inherit = ["crm.complaint.satisfaction.report", "crm.report.rates.mixin"]
    _description = "Service Analysis"
    _order = "date desc, id desc"

    date = fields.Date(
        readonly=True,
        help="Date of the satisfaction answer, else of the resolution, else of receipt.")
    date_received = fields.Date(string="Received On", readonly=True)
    channel = fields.Selection(CHANNELS, readonly=True)
    sla_status = fields.Selection(SLA_STATUSES, string="SLA Status", readonly=True)
    complaint_count = fields.Integer(string="Complaints", readonly=True)
    resolved_count = fields.Integer(string="Resolved", readonly=True)
    sla_base_count = fields.Integer(
        string="Complaints with SLA", readonly=True,
        help="Complaints measured by an SLA policy.")
    sla_met_count = fields.Integer(
        string="Within SLA", readonly=True,
        help="Complaints with an SLA policy whose SLA is not breached.")
    sla_breached_count = fields.Integer(string="SLA Breached", readonly=True)
    sla_compliance = fields.Float(
        string="SLA Compliance (%)", readonly=True, aggregator="avg",
        help="Complaints within their SLA out of the complaints with an SLA policy.")

    @api.model
    def _report_rates(self):
        return {"sla_compliance": ("sla_met_count", "sla_base_count", 100)}

    def _select(self):
        with_sla = SQL("(complaint.sla_policy_id IS NOT NULL)")
        breached = SQL("COALESCE(complaint.sla_status = 'breached', FALSE)")
        return SQL(
            """%(parent)s,
            %(date_received)s AS date_received,
            complaint.channel,
            complaint.sla_status,
            1 AS complaint_count,
            (complaint.resolved_date IS NOT NULL)::int AS resolved_count,
            %(with_sla)s::int AS sla_base_count,
            (%(with_sla)s AND NOT %(breached)s)::int AS sla_met_count,
            (%(with_sla)s AND %(breached)s)::int AS sla_breached_count,
            CASE WHEN %(with_sla)s THEN CASE WHEN %(breached)s THEN 0 ELSE 100 END
            END AS sla_compliance
            """,
            parent=super()._select(), with_sla=with_sla, breached=breached,
            # the company's day of reception, in its time zone
            date_received=self.env["res.company"]._crm_local_date_sql_by_company(
                SQL("complaint.date_received"), SQL("complaint.company_id")),
        )

    def _where(self):
        # every complaint, with or without a satisfaction score
        return SQL("complaint.active")
