/** @odoo-module **/

import { registry } from "@web/core/registry";

const NO_ERROR = "body:not(:has(.o_error_dialog)):not(:has(.o_notification.border-danger))";

/**
 * The reports of the Reporting menu: the customer pyramid, the sales funnel from the
 * menu, and the CRM dashboard with its key figures and charts.
 */
registry.category("web_tour.tours").add("crm_analytics_reports_tour", {
    steps: () => [
        {
            content: "The pyramid shows the key customers and their share of the value",
            trigger: ".o_pivot .o_pivot_header_cell_closed:contains(Key customer)",
        },
        {
            content: "with the share of value as a measure",
            trigger: ".o_pivot th:contains(Share of Value (%))",
        },
        {
            content: "Switch to the graph",
            trigger: ".o_switch_view.o_graph",
            run: "click",
        },
        {
            content: "The graph is drawn",
            trigger: ".o_graph_renderer canvas",
        },
        {
            content: "Open the Customer Value menu",
            trigger: ".o_menu_sections button:contains(Customer Value)",
            run: "click",
        },
        {
            content: "Open the sales funnel",
            trigger: ".dropdown-item:contains(Sales Funnel)",
            run: "click",
        },
        {
            content: "The funnel shows its stages and conversion",
            trigger: ".o_pivot th:contains(Lead to Order (%))",
        },
        {
            content: "Open the Customer Value menu again",
            trigger: ".o_menu_sections button:contains(Customer Value)",
            run: "click",
        },
        {
            content: "Open the CRM dashboard",
            trigger: ".dropdown-item:contains(CRM Dashboard)",
            run: "click",
        },
        {
            content: "The dashboard draws its figures",
            trigger: ".o_spreadsheet_dashboard_action .o-figure canvas",
        },
        {
            content: "without an error",
            trigger: NO_ERROR,
        },
    ],
});

/**
 * On a phone: the churn analysis by customer group and the dashboard.
 */
registry.category("web_tour.tours").add("crm_analytics_reports_mobile_tour", {
    steps: () => [
        {
            content: "The churn analysis shows the customer groups",
            trigger: ".o_pivot .o_pivot_header_cell_closed:contains(Key customer)",
        },
        {
            content: "with the churn rate",
            trigger: ".o_pivot th:contains(Churn Rate (%))",
        },
        {
            content: "without an error",
            trigger: NO_ERROR,
        },
    ],
});
