from odoo import api, models

# the stored fields that count working time, recomputed in this order
DEADLINE_FIELDS = (
    ("response_deadline", "resolve_deadline", "at_risk_date"),
    ("sla_status",),
    ("next_escalation_date",),
)


class ResourceCalendarLeaves(models.Model):
    _inherit = "resource.calendar.leaves"

    @api.model_create_multi
    def create(self, vals_list):
        leaves = super().create(vals_list)
        leaves._recompute_complaint_deadlines(leaves._open_complaints())
        return leaves

    def write(self, vals):
        complaints = self._open_complaints()
        res = super().write(vals)
        self._recompute_complaint_deadlines(complaints | self._open_complaints())
        return res

    def unlink(self):
        complaints = self._open_complaints()
        res = super().unlink()
        self._recompute_complaint_deadlines(complaints)
        return res

    def _open_complaints(self):
        """Open complaints whose SLA counts the working time of these leaves' calendars
        (a leave without calendar is a holiday of the whole company)."""
        if not self:
            return self.env["crm.complaint"]
        domain = [("resolved_date", "=", False), ("sla_policy_id", "!=", False)]
        if all(self.mapped("calendar_id")):
            domain.append(("sla_policy_id.resource_calendar_id", "in", self.calendar_id.ids))
        else:
            domain.append(("company_id", "in", self.company_id.ids or self.env.companies.ids))
        # deadlines follow the calendar whoever edits its holidays
        return self.env["crm.complaint"].sudo().with_context(active_test=False).search(domain)

    def _recompute_complaint_deadlines(self, complaints):
        """A holiday added, moved or removed moves the deadlines of open complaints."""
        if not complaints:
            return
        for names in DEADLINE_FIELDS:
            for name in names:
                self.env.add_to_compute(complaints._fields[name], complaints)
            complaints.flush_recordset(list(names))
