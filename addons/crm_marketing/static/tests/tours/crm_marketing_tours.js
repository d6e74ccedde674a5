/** @odoo-module **/

import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

const SEGMENT = "Tour Segment Tea Lovers";
const CAMPAIGN = "Tour Campaign Longjing";

/**
 * A marketer builds a segment of the customers of a city, plans a campaign on it,
 * records its costs and reads the return on investment (desktop). Starts on the
 * list of segments in debug mode, where the domain widget has its code editor.
 */
registry.category("web_tour.tours").add("crm_marketing_segment_campaign_tour", {
    steps: () => [
        {
            content: "Create a segment",
            trigger: ".o_list_button_add",
            run: "click",
        },
        {
            content: "Name the segment",
            trigger: ".o_form_view .o_field_widget[name=name] input",
            run: `edit ${SEGMENT}`,
        },
        {
            content: "Write its condition in the code editor of the domain widget",
            trigger: ".o_field_widget[name=domain] .o_domain_selector_debug_container textarea",
            run: `edit [("city", "=", "Tour City")] && press Tab`,
        },
        {
            content: "The domain widget shows the condition on the city",
            trigger: ".o_field_widget[name=domain] .o_tree_editor_condition",
        },
        ...stepUtils.saveForm(),
        {
            content: "The segment counts its two members",
            trigger: "button[name=action_view_members] .o_stat_value:contains(2)",
        },
        {
            content: "Open the members",
            trigger: "button[name=action_view_members]",
            run: "click",
        },
        {
            content: "Both customers of the city are listed",
            trigger: ".o_list_view:has(.o_data_row:contains(Tour Member One)):has(.o_data_row:contains(Tour Member Two))",
        },
        stepUtils.showAppsMenuItem(),
        {
            content: "Open the CRM app",
            trigger: ".o_app[data-menu-xmlid='crm.crm_menu_root']",
            run: "click",
        },
        {
            content: "Open the Marketing menu",
            trigger: ".o_main_navbar button[data-menu-xmlid='crm_marketing.crm_marketing_menu_root']",
            run: "click",
        },
        {
            content: "Open the campaigns",
            trigger: ".dropdown-item[data-menu-xmlid='crm_marketing.utm_campaign_menu_marketing']",
            run: "click",
        },
        {
            // the pipeline has a list too: switch only once the campaigns are shown
            content: "The campaigns are shown",
            trigger: ".o_breadcrumb .active:contains(Campaigns)",
        },
        {
            content: "Switch to the list of campaigns",
            trigger: ".o_control_panel .o_switch_view.o_list",
            run: "click",
        },
        {
            content: "Create a campaign",
            trigger: ".o_list_view .o_list_button_add",
            run: "click",
        },
        {
            content: "Name the campaign",
            trigger: ".o_form_view .o_field_widget[name=title] input",
            run: `edit ${CAMPAIGN}`,
        },
        {
            content: "Target the segment",
            trigger: ".o_field_widget[name=segment_id] input",
            run: "edit Tour Segment",
        },
        {
            content: "Pick the segment",
            trigger: `.o_field_widget[name=segment_id] .o-autocomplete--dropdown-item > a:contains(${SEGMENT})`,
            run: "click",
        },
        {
            content: "Give it a budget",
            trigger: ".o_field_widget[name=budget] input",
            run: "edit 1000",
        },
        {
            content: "Open the costs",
            trigger: ".o_notebook a.nav-link[name=crm_marketing_costs]",
            run: "click",
        },
        {
            content: "Add a cost",
            trigger: ".o_field_widget[name=cost_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Describe the cost",
            trigger: ".o_field_widget[name=cost_ids] .o_data_row .o_field_widget[name=description] input",
            run: "edit Tea house rental",
        },
        {
            content: "Its amount",
            trigger: ".o_field_widget[name=cost_ids] .o_data_row .o_field_widget[name=amount] input",
            run: "edit 1200",
        },
        ...stepUtils.saveForm(),
        {
            content: "The actual cost is the sum of the costs",
            trigger: ".o_field_widget[name=actual_cost]:contains(1,200.00)",
        },
        {
            content: "The campaign is over budget",
            trigger: ".o_form_view .ribbon:contains(Over Budget)",
        },
        {
            content: "Without revenue yet, the ROI is -100%",
            trigger: ".o_field_widget[name=roi]:contains(-100)",
        },
    ],
});

/**
 * On a phone, a marketer opens a campaign, reads its ROI and funnel, and records
 * one more cost.
 */
registry.category("web_tour.tours").add("crm_marketing_mobile_campaign_tour", {
    steps: () => [
        {
            content: "The campaign's form is open in the phone layout",
            trigger: "body.o_touch_device .o_xxs_form_view .o_field_widget[name=title] input:value(Tour Mobile Campaign)",
        },
        {
            content: "Revenue 2,000 for a cost of 800: ROI 150%",
            trigger: ".o_field_widget[name=roi]:contains(150)",
        },
        {
            content: "Open the funnel",
            trigger: ".o_notebook a.nav-link[name=crm_marketing_funnel]",
            run: "click",
        },
        {
            content: "Four leads",
            trigger: ".o_field_widget[name=lead_count]:contains(/^4$/)",
        },
        {
            content: "No visitors: the visitors → leads rate is not defined, not 0.00",
            trigger: "div[name=crm_visitor_lead_rate_row] span:contains(No visitors yet)",
        },
        {
            content: "Four leads, no opportunity: the leads → opportunities rate is 0",
            trigger: ".o_field_widget[name=lead_opportunity_rate]:contains(/^0\\.00$/)",
        },
        {
            content: "No opportunity: the opportunities → customers rate is not defined either",
            trigger: "div[name=crm_opportunity_customer_rate_row] span:contains(No opportunities yet)",
        },
        {
            content: "Open the costs",
            trigger: ".o_notebook a.nav-link[name=crm_marketing_costs]",
            run: "click",
        },
        {
            content: "Add a cost",
            trigger: ".o_field_widget[name=cost_ids] .o_field_x2many_list_row_add a",
            run: "click",
        },
        {
            content: "Its amount, in the new row",
            trigger: ".o_field_widget[name=cost_ids] .o_data_row.o_selected_row .o_field_widget[name=amount] input",
            run: "edit 200",
        },
        ...stepUtils.saveForm(),
        {
            content: "Revenue 2,000 for a cost of 1,000: ROI 100%",
            trigger: ".o_field_widget[name=roi]:contains(100)",
        },
    ],
});

/**
 * A marketer reads a campaign's return on the money collected, its expenses counted
 * in the actual cost beside the cost lines.
 */
registry.category("web_tour.tours").add("crm_marketing_cash_roi_tour", {
    steps: () => [
        {
            content: "What was collected on the campaign's orders",
            trigger: ".o_form_view .o_field_widget[name=revenue_collected]:contains(600.00)",
        },
        {
            content: "The cash ROI: (600 - 500) / 500",
            trigger: ".o_form_view .o_field_widget[name=roi_cash]:contains(20)",
        },
        {
            content: "The costs, by source",
            trigger: ".o_form_view .o_notebook a[name=crm_marketing_costs]",
            run: "click",
        },
        {
            content: "The cost lines",
            trigger: ".o_form_view .o_field_widget[name=cost_line_amount]:contains(400.00)",
        },
        {
            content: "The approved expenses",
            trigger: ".o_form_view .o_field_widget[name=expense_amount]:contains(100.00)",
        },
        {
            content: "Open them",
            trigger: ".o_form_view button[name=action_view_expenses]",
            run: "click",
        },
        {
            content: "The expense filed on the campaign",
            trigger: ".o_action_manager .o_view_controller:not(.o_form_view)",
            run() {
                if (!document.querySelector(".breadcrumb, .o_breadcrumb")) {
                    throw new Error("The expenses did not open from the campaign");
                }
            },
        },
    ],
});
