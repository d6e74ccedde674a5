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
        about (neither salesperson nor default responsible)."""
        cr = self.env.cr
        cr.execute(SQL(
            """UPDATE res_partner p
                  SET churn_alert_date = %(as_of)s
                 FROM %(table)s v
                WHERE p.id = v.partner_id AND v.risk = 'high' AND NOT v.alerted
                  AND v.stage != 'churned'
            RETURNING p.id, p.user_id, v.reasons""",
            as_of=as_of, table=SQL.identifier(WORK_TABLE),
        ))
        rows = cr.fetchall()
        if not rows:
            return
        self.env["res.partner"].invalidate_model(["churn_alert_date"])
        users = self.env["res.users"].browse({user_id for _pid, user_id, _r in rows if user_id})
        internal = set(users.filtered(lambda user: user.active and not user.share).ids)
        fallback = company.crm_fallback_user_id.id
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        res_model = self.env["ir.model"]._get_id("res.partner")
        activities = []
        for partner_id, user_id, reasons in rows:
            user_id = user_id if user_id in internal else fallback
            if not user_id:
                continue
            activities.append({
                "res_model_id": res_model,
                "res_id": partner_id,
                "activity_type_id": activity_type.id,
                "user_id": user_id,
                "summary": self.env._("Retention: customer at high churn risk"),
                "note": Markup("<p>%s</p><ul>%s</ul>") % (
                    self.env._("Churn risk rose to high. Signals:"),
                    Markup().join(Markup("<li>%s</li>") % line
                                  for line in (reasons or "").splitlines()),
                ),
                "date_deadline": fields.Date.context_today(self),
            })
        if activities:
            # the activities store their customer's name: read the names at once, not
            # one query per activity
            self.env["res.partner"].browse(
                [values["res_id"] for values in activities]).mapped("display_name")
            # one batch; the assignees see them in their activities (no email each)
            self.env["mail.activity"].with_context(
                mail_activity_quick_update=True).create(activities)
            self.env.flush_all()
        model.write({
            "churn_warning_count": len(activities),
            "churn_unwarned_count": len(rows) - len(activities),
        })
