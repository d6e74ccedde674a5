/** @odoo-module **/

import { registry } from "@web/core/registry";
import { ribbonOverTitle } from "@crm_core/../tests/tours/crm_core_tour_utils";

const LATE = "Tour answer came late";
const DENT = "Tour fridge dent on delivery";
const RANKED = ["Tour fridge door dented", "Tour fridge door delivered late", "Tour dented freezer lid"];

/**
 * On a phone: the card and the form of a complaint whose first answer is late,
 * while its resolution deadline is still ahead, say which deadline was missed,
 * and the ribbon leaves the title alone.
 */
registry.category("web_tour.tours").add("crm_service_sla_breach_mobile_tour", {
    steps: () => [
        {
            content: "The card says the response is late, not that the complaint is",
            trigger: `.o_kanban_record:contains(${LATE}) .o_field_widget[name=sla_breach]:contains(Response Late)`,
        },
        {
            content: "No generic status beside it",
            trigger: `.o_kanban_record:contains(${LATE}):not(:has(.o_field_widget[name=sla_status]))`,
        },
        {
            content: "Open the complaint",
            trigger: `.o_kanban_record:contains(${LATE})`,
            run: "click",
        },
        {
            content: "The ribbon names the missed deadline",
            trigger: ".o_xxs_form_view .ribbon:contains(Response Late)",
        },
        {
            content: "The ribbon does not cover the title",
            trigger: `.o_xxs_form_view .o_field_widget[name=name] input:value(${LATE})`,
            run() {
                const covered = ribbonOverTitle();
                if (covered.length) {
                    throw new Error(`The ribbon covers the title at ${covered.slice(0, 5).join(", ")}`);
                }
            },
        },
    ],
});

/**
 * The suggested solutions show best first in the banner, and in the same order
 * in the dialog opened to apply one.
 */
registry.category("web_tour.tours").add("crm_service_suggestion_order_tour", {
    steps: () => [
        {
            content: "The complaint suggests the fridge solutions",
            trigger: `.o_form_view .o_field_widget[name=name] input:value(${DENT})`,
        },
        ...RANKED.map((name, index) => ({
            content: `Banner: suggestion ${index + 1} is ${name}`,
            trigger: `.o_form_view .alert-info .o_field_widget[name=suggested_solution_ids] .o_tag:eq(${index}):contains(${name})`,
        })),
        {
            content: "Review and apply",
            trigger: ".o_form_view .alert-info button[name=action_apply_solution]",
            run: "click",
        },
        ...RANKED.map((name, index) => ({
            content: `Dialog: row ${index + 1} is ${name}`,
            trigger: `.modal .o_data_row:eq(${index}) td[name=name]:contains(${name})`,
        })),
        {
            content: "Apply the best one",
            trigger: `.modal .o_data_row:eq(0) button[name=action_apply]`,
            run: "click",
        },
        {
            content: "The solution is recorded in the chatter",
            trigger: `body:not(:has(.modal)) .o-mail-Message:contains(${RANKED[0]})`,
        },
    ],
});
