/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const SUBJECT = "Tour glass table shattered";
const CUSTOMER = "Tour Customer Cobalt";
const CATEGORY = "Tour Breakage";
const SOLUTION = "Tour shattered glass exchange";

/**
 * An agent takes a complaint from intake to resolved: records it from the
 * complaints kanban, applies the solution the knowledge base suggests, and
 * moves it to Resolved.
 */
registry.category("web_tour.tours").add("crm_service_complaint_tour", {
    // No `url`: the test opens the complaints of the Customer Service app.
    steps: () => [
        {
            content: "The complaints are shown by stage",
            trigger: ".o_kanban_view .o_kanban_group",
        },
        {
            content: "Record a new complaint",
            trigger: ".o_control_panel .o-kanban-button-new",
            run: "click",
        },
        {
            content: "Give it a subject",
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: `edit ${SUBJECT}`,
        },
        {
            content: "Look for the customer",
            trigger: ".o_form_view .o_field_widget[name=partner_id] input",
            run: `edit ${CUSTOMER}`,
        },
        {
            content: "Pick the customer",
            trigger: `.o_field_widget[name=partner_id] .o-autocomplete--dropdown-item > a:contains(${CUSTOMER})`,
            run: "click",
        },
        {
            content: "Look for the category",
            trigger: ".o_form_view .o_field_widget[name=category_id] input",
            run: `edit ${CATEGORY}`,
        },
        {
            content: "Pick the category",
            trigger: `.o_field_widget[name=category_id] .o-autocomplete--dropdown-item > a:contains(${CATEGORY})`,
            run: "click",
        },
        ...stepUtils.saveForm(),
        {
            content: "The complaint got its reference",
            trigger: ".o_form_view .o_field_widget[name=reference]:contains(CMP/)",
        },
        {
            content: "The knowledge base suggests a solution: review it",
            trigger: ".o_form_view .alert-info button[name=action_apply_solution]",
            run: "click",
        },
        {
            content: "Apply the suggested solution",
            trigger: `.modal .o_data_row:has(td:contains(${SOLUTION})) button[name=action_apply]`,
            run: "click",
        },
        {
            content: "The solution is recorded in the chatter",
            trigger: `body:not(:has(.modal)) .o-mail-Message:contains(${SOLUTION})`,
        },
        {
            content: "Move the complaint to Resolved",
            trigger: ".o_form_view .o_statusbar_status button:contains(Resolved)",
            run: "click",
        },
        {
            content: "The complaint is resolved",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Resolved)",
        },
        {
            content: "Resolved within the SLA",
            trigger: ".o_form_view .ribbon:contains(SLA Met)",
        },
        {
            content: "The customer was invited to the satisfaction survey",
            trigger: ".o-mail-Message:contains(Answer the survey)",
        },
    ],
});

/**
 * On a phone, an agent opens a complaint from the kanban and raises its priority.
 */
registry.category("web_tour.tours").add("crm_service_mobile_tour", {
    steps: () => [
        {
            content: "The complaints kanban, in the phone layout of a touch device",
            trigger: "body.o_touch_device .o_kanban_view",
        },
        {
            content: "Open the complaint",
            trigger: ".o_kanban_record:contains(Tour phone charger melted)",
            run: "click",
        },
        {
            content: "The form opens in the phone layout",
            trigger: ".o_xxs_form_view .o_field_widget[name=name] input:value(Tour phone charger melted)",
        },
        {
            content: "Make it urgent: the third star (the priority saves itself)",
            trigger: ".o_form_view .o_field_widget[name=priority] a.o_priority_star:eq(2)",
            run: "click",
        },
        {
            content: "Three stars are lit",
            trigger: ".o_form_view .o_field_widget[name=priority] a.o_priority_star.fa-star:eq(2)",
        },
        {
            content: "The change is saved",
            trigger: ".o_form_saved",
        },
        {
            content: "Reload the complaint to read what was saved",
            trigger: ".o_form_view .o_field_widget[name=priority] a.o_priority_star.fa-star:eq(2)",
            run() {
                window.location.reload();
            },
            expectUnloadPage: true,
        },
        {
            content: "Still urgent after the reload",
            trigger: ".o_xxs_form_view .o_field_widget[name=priority] a.o_priority_star.fa-star:eq(2)",
        },
        {
            content: "Open the SLA tab",
            trigger: ".o_notebook a.nav-link[name=sla]",
            run: "click",
        },
        {
            content: "The urgent policy applies now",
            trigger: ".o_field_widget[name=sla_policy_id]:contains(Tour urgent policy), .o_field_widget[name=sla_policy_id] input:value(Tour urgent policy)",
        },
    ],
});
