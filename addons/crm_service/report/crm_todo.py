from odoo import fields, models
from odoo.tools import SQL


class CrmTodo(models.Model):
    """The open complaints of a salesperson's customers, in their day (待办)."""

    _inherit = "crm.todo"
    _depends = {
        "crm.complaint": ["commercial_partner_id", "stage_id", "active", "reference", "name",
                          "resolve_deadline", "sla_status", "company_id"],
        "crm.complaint.stage": ["is_closed"],
    }

    category = fields.Selection(
        selection_add=[("complaint", "Open Complaints of My Customers")])

    def _crm_todo_queries(self):
        today = self._crm_today_sql(SQL("complaint.company_id"))
        return [*super()._crm_todo_queries(), SQL(
            """
            SELECT %s FROM crm_complaint complaint
              JOIN res_partner customer ON customer.id = complaint.commercial_partner_id
              LEFT JOIN crm_complaint_stage stage ON stage.id = complaint.stage_id
             WHERE customer.user_id IS NOT NULL AND NOT COALESCE(stage.is_closed, FALSE)
               AND complaint.active
            """,
            self._crm_row(
                "complaint", id=SQL("complaint.id"),
                name=SQL("CONCAT_WS(' ', complaint.reference, complaint.name)"),
                date=SQL("%s", self.env["res.company"]._crm_local_date_sql_by_company(
                    SQL("complaint.resolve_deadline"), SQL("complaint.company_id"))),
                model=SQL("'crm.complaint'"), res_id=SQL("complaint.id"),
                partner=SQL("complaint.commercial_partner_id"), user=SQL("customer.user_id"),
                company=SQL("complaint.company_id"),
                late=SQL("COALESCE(complaint.sla_status = 'breached' OR %s > %s, FALSE)",
                         today, self.env["res.company"]._crm_local_date_sql_by_company(
                             SQL("complaint.resolve_deadline"), SQL("complaint.company_id")))),
        )]
