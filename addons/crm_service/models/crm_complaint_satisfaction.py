from markupsafe import Markup

from odoo import api, fields, models


class CrmComplaintSatisfaction(models.Model):
    """The satisfaction loop: a resolved complaint sends the customer a survey whose
    answers (CSAT 1-5, NPS 0-10) land on the complaint and its customer; a
    detractor gets a call back from the team."""

    # one concern per file: a reader finds the satisfaction loop under its name
    _inherit = "crm.complaint"  # pylint: disable=consider-merging-classes-inherited

    survey_user_input_id = fields.Many2one(
        "survey.user_input", string="Satisfaction Answer", readonly=True, copy=False,
        groups="base.group_user",
    )
    csat_score = fields.Integer(
        string="CSAT", readonly=True, copy=False, aggregator="avg", groups="base.group_user",
        help="Customer satisfaction given by the customer, from 1 to 5.",
    )
    nps_score = fields.Integer(
        string="NPS Score", readonly=True, copy=False, aggregator="avg",
        groups="base.group_user",
        help="Likelihood to recommend us, from 0 to 10.",
    )

    _sql_constraints = [
        ("csat_score_range", "CHECK (csat_score IS NULL OR csat_score BETWEEN 1 AND 5)",
         "The CSAT score goes from 1 to 5."),
        ("nps_score_range", "CHECK (nps_score IS NULL OR nps_score BETWEEN 0 AND 10)",
         "The NPS score goes from 0 to 10."),
    ]

    @api.model
    def _crm_server_fields(self):
        return (
            *super()._crm_server_fields(), "survey_user_input_id", "csat_score", "nps_score",
        )

    # ------------------------------------------------------------------ CRUD

    def _on_stage_change(self, stage, before):
        """A stage that sends the survey invites the customer, once."""
        result = super()._on_stage_change(stage, before)
        if stage.send_survey:
            to_survey = self.filtered(lambda complaint: not complaint.survey_user_input_id)
            if to_survey:
                to_survey._send_satisfaction_survey()
        return result

    # ------------------------------------------------------------------ actions

    def action_send_survey(self):
        self._send_satisfaction_survey()

    # ------------------------------------------------------------------ business

    def _send_satisfaction_survey(self):
        # service agents have no rights on surveys: the invitation is the addon's own
        # doing, once the agent's change of the complaint has been allowed
        self.check_access("write")
        survey = self.env.ref("crm_service.crm_service_survey_satisfaction",
                              raise_if_not_found=False)
        if not survey or not survey.sudo().active:
            return
        for complaint in self:
            if complaint.survey_user_input_id or not complaint.partner_id:
                continue
            answer = survey.sudo()._create_answer(
                partner=complaint.partner_id, check_attempts=False,
                crm_complaint_id=complaint.id,
            )
            complaint.sudo().survey_user_input_id = answer
            url = answer.get_base_url() + answer.get_start_url()
            complaint = complaint.with_context(
                lang=complaint.partner_id.lang or self.env.lang,
                crm_service_survey_invitation=True,
            )
            complaint.message_post(
                body=Markup(
                    "<p>%s</p><p><a href='%s' class='btn btn-primary'>%s</a></p>"
                ) % (
                    self.env._(
                        "Your complaint %(reference)s is resolved. How did we do? "
                        "Two questions, one minute.", reference=complaint.reference,
                    ),
                    url,
                    self.env._("Answer the survey"),
                ),
                partner_ids=complaint.partner_id.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )

    def _set_satisfaction(self, csat, nps):
        """Answers of the satisfaction survey: on the complaint and its customer."""
        self.ensure_one()
        values = {}
        if csat:
            values["csat_score"] = csat
        if nps is not None:
            values["nps_score"] = nps
        if not values:
            return
        self.sudo().write(values)
        if nps is not None and self.commercial_partner_id:
            self.commercial_partner_id.sudo().write({
                "crm_last_nps": nps, "crm_nps_date": fields.Datetime.now(),
            })
        if nps is not None and nps <= 6:
            leader = self.team_id.user_id or self.user_id or self.company_id.crm_fallback_user_id
            if not leader:
                self.sudo().message_post(
                    body=self.env._(
                        "%(customer)s gave an NPS of %(nps)s: nobody to call them back (no "
                        "team leader, no assignee, no default CRM responsible in the "
                        "settings).", customer=self.partner_id.display_name, nps=nps,
                    ),
                    message_type="comment", subtype_xmlid="mail.mt_note",
                )
                return
            # due on the company's day, not on the day of whoever answered the survey
            self.sudo().with_context(tz=self.company_id._crm_tz()).activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=leader.id,
                summary=self.env._("Detractor: call the customer back"),
                note=self.env._(
                    "%(customer)s gave an NPS of %(nps)s after complaint %(reference)s.",
                    customer=self.partner_id.display_name, nps=nps,
                    reference=self.reference,
                ),
            )
