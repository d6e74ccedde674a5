/** @odoo-module **/

import { registry } from "@web/core/registry";
import { ribbonOverTitle } from "@crm_core/../tests/tours/crm_core_tour_utils";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const LEAD_NAME = "Tour Deal Zephyr";
const COMPETITOR = "Tour Rival Ltd";
// Enough of the name to find the competitor, not all of it: the dropdown must complete it.
const COMPETITOR_SEARCH = "Tour Rival";

/**
 * From a customer's form (opened by the test), a salesperson opens the customer's
 * opportunities, creates one naming a competitor, loses it to that competitor and
 * finds the loss in the competitor report.
 */
registry.category("web_tour.tours").add("crm_core_lead_from_customer_tour", {
    // No `url`: the test opens the form of the customer it created, and a tour url
    // different from the start url would redirect the browser away from it.
    steps: () => [
        {
            content: "The customer's form is open, with its Customer Profile tab",
            trigger: ".o_form_view .o_notebook a.nav-link[name=crm_customer_profile]",
        },
        stepUtils.autoExpandMoreButtons(),
        {
            content: "Open the opportunities of the customer",
            trigger: ".o-form-buttonbox button[name=action_view_opportunity]:contains(Opportunities)",
            run: "click",
        },
        {
            content: "The customer's opportunities are shown",
            trigger: ".o_breadcrumb .active:contains(Opportunities)",
        },
        {
            content: "Switch to the list of opportunities",
            trigger: ".o_control_panel .o_switch_view.o_list",
            run: "click",
        },
        {
            content: "The list is empty (sample data only): the customer has no opportunity yet",
            trigger: ".o_list_view .o_view_nocontent",
        },
        {
            content: "Create an opportunity from the list",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "The new opportunity is for the customer",
            trigger: ".o_lead_opportunity_form .o_field_widget[name=partner_id] input:value(Tour Customer Aurora)",
        },
        {
            content: "Name the opportunity",
            trigger: ".o_lead_opportunity_form .o_field_widget[name=name] textarea",
            run: `edit ${LEAD_NAME}`,
        },
        {
            content: "Look for the competitor in the Competitors field",
            trigger: ".o_lead_opportunity_form .o_field_widget[name=competitor_ids] input",
            run: `edit ${COMPETITOR_SEARCH}`,
        },
        {
            content: "Pick the competitor proposed",
            trigger: `.o_field_widget[name=competitor_ids] .o-autocomplete--dropdown-item > a:contains(${COMPETITOR})`,
            run: "click",
        },
        {
            content: "The competitor is a tag of the opportunity",
            trigger: `.o_field_widget[name=competitor_ids] .o_tag:contains(${COMPETITOR})`,
        },
        ...stepUtils.saveForm(),
        {
            content: "The opportunity is saved under its name",
            trigger: `.o_breadcrumb .active:contains(${LEAD_NAME})`,
        },
        {
            content: "Mark the opportunity as lost",
            trigger: ".o_lead_opportunity_form .o_statusbar_buttons button[data-hotkey=l]:contains(Lost)",
            run: "click",
        },
        {
            content: "The Mark Lost dialog offers the competitor who won",
            trigger: ".modal .o_field_widget[name=competitor_id] input",
            run: `edit ${COMPETITOR_SEARCH}`,
        },
        {
            content: "Pick the competitor",
            trigger: `.modal .o_field_widget[name=competitor_id] .o-autocomplete--dropdown-item > a:contains(${COMPETITOR})`,
            run: "click",
        },
        {
            content: "The competitor is chosen",
            trigger: `.modal .o_field_widget[name=competitor_id] input:value(${COMPETITOR})`,
        },
        {
            content: "Confirm the loss",
            trigger: ".modal button[name=action_lost_reason_apply]",
            run: "click",
        },
        {
            content: "The opportunity is lost",
            trigger: "body:not(:has(.modal)) .o_lead_opportunity_form .ribbon:contains(Lost)",
        },
        {
            content: "The opportunity shows the competitor it was lost to",
            trigger: `.o_lead_opportunity_form .o_field_widget[name=lost_competitor_id]:contains(${COMPETITOR}), .o_lead_opportunity_form .o_field_widget[name=lost_competitor_id] input:value(${COMPETITOR})`,
        },
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the CRM app",
            trigger: ".o_app[data-menu-xmlid='crm.crm_menu_root']",
            run: "click",
        },
        {
            content: "Open the Reporting menu of CRM",
            trigger: ".o_main_navbar button[data-menu-xmlid='crm.crm_menu_report']",
            run: "click",
        },
        {
            content: "Open the competitor report",
            trigger: ".dropdown-item[data-menu-xmlid='crm_core.crm_competitor_report_menu']",
            run: "click",
        },
        {
            content: "The pivot has a row for the competitor, lost to once, never won nor open",
            trigger: `.o_pivot tr:has(th.o_pivot_header_cell_closed:contains(${COMPETITOR})):has(td:nth-child(2):contains(/^0$/)):has(td:nth-child(3):contains(/^1$/)):has(td:nth-child(4):contains(/^0$/))`,
        },
        {
            content: "Switch the report to its list",
            trigger: ".o_control_panel .o_switch_view.o_list",
            run: "click",
        },
        {
            content: "The opportunity is listed as lost to this competitor",
            trigger: `.o_list_view .o_data_row:has(td[name=competitor_id]:contains(${COMPETITOR})):has(td[name=lead_id]:contains(${LEAD_NAME})):has(td[name=outcome]:contains(Lost to this competitor))`,
        },
    ],
});

/**
 * On a phone, a salesperson reads the Customer Profile of a customer and updates
 * its income band.
 */
registry.category("web_tour.tours").add("crm_core_mobile_profile_tour", {
    // No `url`: the test opens the form of the customer it created, and a tour url
    // different from the start url would redirect the browser away from it.
    steps: () => [
        {
            content: "The customer's form is open, in the phone layout of a touch device",
            trigger: "body.o_touch_device .o_xxs_form_view .o_field_widget[name=name] input:value(Tour Customer Borealis)",
        },
        {
            content: "Open the Customer Profile tab",
            trigger: ".o_notebook a.nav-link[name=crm_customer_profile]",
            run: "click",
        },
        {
            content: "The tab is shown",
            trigger: ".o_notebook a.nav-link.active[name=crm_customer_profile]",
        },
        {
            content: "The customer is a key customer",
            trigger: ".o_field_widget[name=customer_tier] .badge:contains(Key customer)",
        },
        {
            content: "The customer is in the stability stage",
            trigger: ".o_field_widget[name=lifecycle_stage] select:has(option:selected:contains(Stability))",
        },
        {
            content: "The customer is 34",
            trigger: ".o_field_widget[name=age]:contains(/^34$/)",
        },
        {
            content: "The income band is middle",
            trigger: ".o_field_widget[name=income_band] select:has(option:selected:contains(/^Middle$/))",
        },
        {
            content: "Move the customer to the upper middle income band",
            trigger: ".o_field_widget[name=income_band] select",
            run: 'select "upper_middle"',
        },
        {
            content: "The form has unsaved changes",
            trigger: ".o_form_view .o_form_status_indicator .o_form_button_save",
        },
        ...stepUtils.saveForm(),
        {
            content: "Reload the customer to read what was saved",
            trigger: ".o_form_view .o_form_saved",
            run() {
                window.location.reload();
            },
            expectUnloadPage: true,
        },
        {
            content: "Open the Customer Profile tab again",
            trigger: ".o_notebook a.nav-link[name=crm_customer_profile]",
            run: "click",
        },
        {
            content: "The upper middle income band was saved",
            trigger: ".o_field_widget[name=income_band] select:has(option:selected:contains(Upper middle))",
        },
        {
            content: "The gender was left alone",
            trigger: ".o_field_widget[name=gender] select:has(option:selected:contains(Female))",
        },
    ],
});

/**
 * On a phone, sales targets show as cards with their figures, not as a list whose
 * figures fall off the screen.
 */
registry.category("web_tour.tours").add("crm_core_mobile_targets_tour", {
    steps: () => [
        {
            content: "Targets open as cards on a phone",
            trigger: "body.o_touch_device .o_kanban_view .o_kanban_record:contains(Tour Target Owner)",
        },
        {
            content: "The card shows the target",
            trigger: ".o_kanban_record:contains(Tour Target Owner) .o_field_widget[name=target_amount]:contains(4,000.00)",
        },
        {
            content: "The card shows what was achieved",
            trigger: ".o_kanban_record:contains(Tour Target Owner) .o_field_widget[name=achieved_amount]:contains(1,000.00)",
        },
        {
            content: "The card shows the attainment",
            trigger: ".o_kanban_record:contains(Tour Target Owner) .o_field_widget[name=attainment] .o_progressbar_value:contains(25)",
        },
        {
            content: "Open the target",
            trigger: ".o_kanban_record:contains(Tour Target Owner)",
            run: "click",
        },
        {
            content: "Its form opens",
            trigger: ".o_form_view .o_field_widget[name=target_amount]",
        },
    ],
});

/**
 * On a phone, the Big Deal ribbon of an opportunity leaves its name readable.
 */
registry.category("web_tour.tours").add("crm_core_mobile_big_deal_tour", {
    steps: () => [
        {
            content: "The opportunity is flagged as a big deal",
            trigger: "body.o_touch_device .o_form_view .ribbon:contains(Big Deal)",
        },
        {
            content: "The ribbon does not cover the opportunity's name",
            trigger: ".o_form_view .oe_title .o_field_widget[name=name] textarea, .o_form_view .oe_title .o_field_widget[name=name] input",
            run() {
                const covered = ribbonOverTitle(".o_form_sheet .oe_title .o_field_widget[name=name]");
                if (covered.length) {
                    throw new Error(`The ribbon covers the name at ${covered.slice(0, 3)}`);
                }
            },
        },
    ],
});

/**
 * A salesperson plans the collections of a confirmed order: the instalments are
 * proposed from its payment terms, then one is changed and the plan saved.
 */
registry.category("web_tour.tours").add("crm_core_payment_plan_tour", {
    steps: () => [
        {
            content: "Open the order's payment plan",
            trigger: ".o_form_view .o_notebook a[name=crm_collection_plan]",
            run: "click",
        },
        {
            content: "Propose the instalments from the payment terms",
            trigger: ".o_form_view button[name=action_crm_propose_collection_plan]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Two instalments, as the terms say",
            trigger: ".o_field_widget[name=collection_plan_ids] .o_data_row:nth-child(2) .o_data_cell[name=amount]:contains(500.00)",
        },
        {
            content: "Change the first instalment",
            trigger: ".o_field_widget[name=collection_plan_ids] .o_data_row:nth-child(1) .o_data_cell[name=amount]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=collection_plan_ids] .o_data_row:nth-child(1) .o_data_cell[name=amount] input",
            run: "edit 400",
        },
        {
            content: "and the second, so that they add up to the order",
            trigger: ".o_field_widget[name=collection_plan_ids] .o_data_row:nth-child(2) .o_data_cell[name=amount]",
            run: "click",
        },
        {
            trigger: ".o_field_widget[name=collection_plan_ids] .o_data_row:nth-child(2) .o_data_cell[name=amount] input",
            run: "edit 600",
        },
        {
            content: "Save",
            trigger: ".o_form_view .o_form_button_save",
            run: "click",
        },
        {
            content: "Saved, the instalments planned",
            trigger: ".o_form_view .o_form_saved .o_field_widget[name=collection_plan_ids] .o_data_row:nth-child(1) .o_data_cell[name=state]:contains(Planned)",
        },
    ],
});

const POOL_CUSTOMER = "Tour Pool Customer Vega";

/**
 * A salesperson claims a customer waiting in their pool (公海), finds it among the new
 * customers of their day (待办) and opens it from there. The test opens the pool.
 */
registry.category("web_tour.tours").add("crm_core_pool_claim_tour", {
    steps: () => [
        {
            content: "The customer waits in the pool, recalled from its former salesperson",
            trigger: `.o_list_view .o_data_row:contains(${POOL_CUSTOMER}) .o_data_cell[name=crm_pool_reason]:contains(Recalled to the pool)`,
        },
        {
            content: "Claim it",
            trigger: `.o_list_view .o_data_row:contains(${POOL_CUSTOMER}) button[name=action_claim]`,
            run: "click",
        },
        {
            content: "It is no longer in the pool",
            trigger: `.o_list_view:not(:has(.o_data_row:contains(${POOL_CUSTOMER})))`,
        },
        {
            content: "Open My Day",
            trigger: "body",
            run: "goToUrl /odoo/action-crm_core.crm_todo_action",
        },
        {
            content: "The customer is among the new customers assigned to me",
            trigger: `.o_list_view .o_group_header:contains(New Customers Assigned to Me) ~ .o_data_row:contains(${POOL_CUSTOMER})`,
        },
        {
            content: "Open it",
            trigger: `.o_list_view .o_data_row:contains(${POOL_CUSTOMER}) .o_data_cell[name=name]`,
            run: "click",
        },
        {
            content: "Its form: mine now, to release or lock",
            trigger: ".o_form_view .o_form_statusbar button[name=action_lock]",
        },
        {
            content: "Its last follow-up and the day it will be recalled are on its profile",
            trigger: ".o_form_view .o_notebook a.nav-link[name=crm_customer_profile]",
            run: "click",
        },
        {
            trigger: ".o_form_view .o_field_widget[name=crm_recall_date]",
        },
    ],
});

/**
 * The same on a phone, in Chinese: the pool and the day are cards.
 */
registry.category("web_tour.tours").add("crm_core_pool_claim_mobile_tour", {
    steps: () => [
        {
            content: "The customer's card in the pool says why it came back",
            trigger: `body.o_touch_device .o_kanban_record:contains(${POOL_CUSTOMER}):contains(收回公海)`,
        },
        {
            content: "Claim it (领取)",
            trigger: `.o_kanban_record:contains(${POOL_CUSTOMER}) button[name=action_claim]:contains(领取)`,
            run: "click",
        },
        {
            content: "Its card leaves the pool",
            trigger: `.o_kanban_view:not(:has(.o_kanban_record:contains(${POOL_CUSTOMER})))`,
        },
        {
            content: "Open My Day (今日待办)",
            trigger: "body",
            run: "goToUrl /odoo/action-crm_core.crm_todo_action",
        },
        {
            content: "Its card is in the column of new customers",
            trigger: `.o_kanban_group:has(.o_column_title:contains(新分配给我的客户)) .o_kanban_record:contains(${POOL_CUSTOMER})`,
            run: "click",
        },
        {
            content: "Its form opens",
            trigger: `.o_form_view .o_field_widget[name=name] input:value(${POOL_CUSTOMER})`,
        },
    ],
});

/**
 * On a phone, in Chinese: a salesperson plans the collections of a confirmed order from
 * its payment terms (the instalments are proposed and saved at once, shown as planned).
 */
registry.category("web_tour.tours").add("crm_core_payment_plan_mobile_zh_tour", {
    steps: () => [
        {
            content: "Open the order's payment plan",
            trigger: "body.o_touch_device .o_form_view .o_notebook a[name=crm_collection_plan]",
            run: "click",
        },
        {
            content: "Propose the instalments from the payment terms",
            trigger: ".o_form_view button[name=action_crm_propose_collection_plan]",
            run: "click",
        },
        {
            content: "Confirm",
            trigger: ".modal-footer .btn-primary",
            run: "click",
        },
        {
            content: "Two instalments, as the terms say",
            trigger: ".o_field_widget[name=collection_plan_ids] :is(.o_data_row, .o_kanban_record):nth-child(2)",
        },
        {
            content: "Proposed and saved at once, the instalments planned (计划中)",
            trigger: ".o_form_view .o_form_saved .o_field_widget[name=collection_plan_ids]:contains(计划中)",
        },
    ],
});
