/** @odoo-module **/

import { registry } from "@web/core/registry";

const NO_ERROR = "body:not(:has(.o_error_dialog)):not(:has(.o_notification.border-danger))";
const MENU = ".o_menu_sections button[data-menu-xmlid='crm_analytics.crm_analytics_menu']";
const VALUE_TAB = ".o_form_view .o_notebook a.nav-link[name=crm_customer_value]";
const SCORES = ["rfm_r_score", "rfm_f_score", "rfm_m_score"];

/**
 * The R, F and M scores shown in the Value tab are each a whole number from 1 to 5, and
 * the history of the customer has at least one computation.
 */
function checkScores() {
    const shown = SCORES.map((name) => {
        const widget = document.querySelector(`.o_form_view .o_field_widget[name=${name}]`);
        return widget ? widget.textContent.trim() : "(missing)";
    });
    if (!shown.every((text) => /^[1-5]$/.test(text))) {
        throw new Error(`The R / F / M scores read ${shown.join(" / ")}, not 1 to 5 each`);
    }
}

/**
 * The form does not run wider than the screen (nothing to scroll sideways on a phone).
 */
function checkNoSidewaysScroll() {
    const sheet = document.querySelector(".o_form_view .o_form_sheet");
    if (sheet.scrollWidth > sheet.clientWidth + 1) {
        throw new Error(
            `The Value tab is ${sheet.scrollWidth}px wide on a ${sheet.clientWidth}px sheet`
        );
    }
}

/**
 * A sales manager recomputes the customer value from the CLV models, reads the fitted
 * model, opens the customer pyramid, then a customer's Value tab with its scores and
 * their history.
 */
registry.category("web_tour.tours").add("crm_analytics_value_tour", {
    // No `url`: the test opens the CLV models, empty before the recompute.
    steps: () => [
        {
            content: "Nothing computed yet",
            trigger: ".o_view_nocontent:contains(No customer value computed yet)",
        },
        {
            content: "Recompute the customer value",
            trigger: ".o_control_panel button[name=action_run_engine]",
            run: "click",
        },
        {
            content: "The computation is listed, with the number of customers",
            trigger: ".o_list_view .o_data_row td[name=customer_count]:not(:empty)",
        },
        {
            content: "Open it",
            trigger: ".o_list_view .o_data_row td[name=as_of]",
            run: "click",
        },
        {
            content: "The form shows the fitted purchase model",
            trigger: ".o_form_view .o_field_widget[name=state] .badge:contains(Fitted)",
        },
        {
            content: "with its parameters",
            trigger: ".o_form_view .o_field_widget[name=bgnbd_r]:not(:empty)",
        },
        {
            content: "Open the Customer Value menu",
            trigger: MENU,
            run: "click",
        },
        {
            content: "Open the customer pyramid",
            trigger: ".dropdown-item[data-menu-xmlid='crm_analytics.crm_customer_value_report_pyramid_menu']",
            run: "click",
        },
        {
            content: "The pyramid shows the key customers",
            trigger: ".o_pivot .o_pivot_header_cell_closed:contains(Key customer)",
        },
        {
            content: "Open the Customer Value menu again",
            trigger: MENU,
            run: "click",
        },
        {
            content: "Open the customers by value",
            trigger: ".dropdown-item[data-menu-xmlid='crm_analytics.crm_analytics_value_menu']",
            run: "click",
        },
        {
            // the pyramid has a list too: switch only once the new action is shown
            content: "The customers by value are shown",
            trigger: ".o_breadcrumb .active:contains(Customer Value)",
        },
        {
            content: "Show them as a list",
            trigger: ".o_control_panel .o_switch_view.o_list",
            run: "click",
        },
        {
            content: "Open a customer's value",
            trigger: ".o_list_view .o_data_row td[name=partner_id]:contains(Brightwater Foods)",
            run: "click",
        },
        {
            content: "Its value in this company, with its churn risk",
            trigger: ".o_form_view .o_field_widget[name=churn_risk] .badge:not(:empty)",
        },
        {
            content: "Open the customer",
            trigger: ".o_form_view button[name=action_open_partner]",
            run: "click",
        },
        {
            content: "Open its Value tab",
            trigger: VALUE_TAB,
            run: "click",
        },
        {
            content: "The RFM segment is shown",
            trigger: ".o_form_view .o_field_widget[name=rfm_segment] .badge:not(:empty)",
        },
        {
            content: "The scores are shown, from 1 to 5",
            trigger: ".o_form_view .o_field_widget[name=rfm_m_score]",
            run: checkScores,
        },
        {
            content: "with the computation just made in the history",
            trigger: ".o_form_view .o_field_widget[name=value_history_ids] .o_data_row",
        },
        {
            content: "without an error",
            trigger: NO_ERROR,
        },
    ],
});

/**
 * On a phone, a salesperson opens one of their customers and its Value tab.
 */
registry.category("web_tour.tours").add("crm_analytics_value_mobile_tour", {
    steps: () => [
        {
            content: "The customers by value, as cards on a touch device",
            trigger: "body.o_touch_device .o_kanban_view .o_kanban_record:not(.o_kanban_ghost)",
        },
        {
            content: "Open one of my customers",
            trigger: ".o_kanban_view .o_kanban_record:contains(Tour Phone Customer)",
            run: "click",
        },
        {
            content: "Its value opens in the phone layout",
            trigger: ".o_xxs_form_view .o_field_widget[name=partner_id]:contains(Tour Phone Customer)",
        },
        {
            content: "Open the customer from its name (the stat buttons are under the bolt)",
            trigger: ".o_xxs_form_view .o_field_widget[name=partner_id] a",
            run: "click",
        },
        {
            content: "The customer's form opens in the phone layout",
            trigger: ".o_xxs_form_view .o_field_widget[name=name]:contains(Tour Phone Customer), .o_xxs_form_view .o_field_widget[name=name] input:value(Tour Phone Customer)",
        },
        {
            content: "Open its Value tab",
            trigger: VALUE_TAB,
            run: "click",
        },
        {
            content: "The churn risk is shown",
            trigger: ".o_xxs_form_view .o_field_widget[name=churn_risk] .badge:not(:empty)",
        },
        {
            content: "The scores are shown, from 1 to 5",
            trigger: ".o_xxs_form_view .o_field_widget[name=rfm_m_score]",
            run: checkScores,
        },
        {
            content: "with their history",
            trigger: ".o_xxs_form_view .o_field_widget[name=value_history_ids] .o_data_row, .o_xxs_form_view .o_field_widget[name=value_history_ids] .o_kanban_record:not(.o_kanban_ghost)",
        },
        {
            content: "and nothing runs off the screen",
            trigger: ".o_xxs_form_view .o_field_widget[name=value_history_ids]",
            run: checkNoSidewaysScroll,
        },
        {
            content: "without an error",
            trigger: NO_ERROR,
        },
    ],
});
