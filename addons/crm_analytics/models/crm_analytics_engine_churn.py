from markupsafe import Markup

from odoo import fields, models
from odoo.tools import SQL

from .crm_analytics_engine import WORK_TABLE


class CrmAnalyticsEngine(models.AbstractModel):
    """The churn warning of a computation: one retention activity per episode."""

    _inherit = "crm.analytics.engine"

    def _alert_churn(self, company, as_of, model):
        """A retention activity for each customer whose risk rose to high and has no
        warning under way (one per episode: the episode ends when the risk is back to
        low), for its salesperson or the company's default CRM responsible. Customers
        already churned get none: the warning is for those who can still be kept. The
        run's ``model`` counts the activities, and the customers nobody could be warned
        about (neither salesperson nor default responsible): their episode starts only
        once someone can be warned, so the next run after a salesperson or a default
        responsible is set warns them."""
        cr = self.env.cr
        cr.execute(SQL(
            """SELECT p.id, p.user_id, v.reasons
                 FROM %(table)s v
                 JOIN res_partner p ON p.id = v.partner_id
                WHERE v.risk = 'high' AND NOT v.alerted AND v.stage != 'churned'""",
            table=SQL.identifier(WORK_TABLE),
        ))
        rows = cr.fetchall()
        users = self.env["res.users"].browse({user_id for _pid, user_id, _r in rows if user_id})
        internal = set(users.filtered(lambda user: user.active and not user.share).ids)
        fallback = company.crm_fallback_user_id.id
        assigned = [(partner_id, user_id if user_id in internal else fallback, reasons)
                    for partner_id, user_id, reasons in rows]
        assigned = [row for row in assigned if row[1]]
        model.write({
            "churn_warning_count": len(assigned),
            "churn_unwarned_count": len(rows) - len(assigned),
        })
        if not assigned:
            return
        cr.execute(SQL(
            "UPDATE res_partner SET churn_alert_date = %s WHERE id = ANY(%s)",
            as_of, [partner_id for partner_id, _user_id, _reasons in assigned],
        ))
        self.env["res.partner"].invalidate_model(["churn_alert_date"])
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        res_model = self.env["ir.model"]._get_id("res.partner")
        summary = self.env._("Retention: customer at high churn risk")
        heading = self.env._("Churn risk rose to high. Signals:")
        activities = [{
            "res_model_id": res_model,
            "res_id": partner_id,
            "activity_type_id": activity_type.id,
            "user_id": user_id,
            "summary": summary,
            "note": Markup("<p>%s</p><ul>%s</ul>") % (
                heading,
                Markup().join(Markup("<li>%s</li>") % line
                              for line in (reasons or "").splitlines()),
            ),
            "date_deadline": fields.Date.context_today(self),
        } for partner_id, user_id, reasons in assigned]
        # the activities store their customer's name: read the names at once, not one
        # query per activity
        self.env["res.partner"].browse(
            [partner_id for partner_id, _user_id, _reasons in assigned]).mapped("display_name")
        # one batch; the assignees see them in their activities (no email each)
        self.env["mail.activity"].with_context(
            mail_activity_quick_update=True).create(activities)
        self.env.flush_all()
