/** @odoo-module **/

import { registry } from "@web/core/registry";

const SUBJECT = "Tour porcelain cup chipped";
const DESCRIPTION = "The cup arrived with a chip on its rim.";
const REPLY = "A photo of the rim follows tomorrow.";

/**
 * A customer tells about a problem from the portal: subject and what happened,
 * lands on the complaint, and writes to the service team in its conversation.
 */
registry.category("web_tour.tours").add("crm_service_portal_complaint_tour", {
    url: "/my/complaints",
    steps: () => [
        {
            content: "Tell us about a problem",
            trigger: "a.o_crm_service_new_complaint",
            run: "click",
        },
        {
            content: "Give the complaint a subject",
            trigger: ".o_crm_service_new_form input[name=name]",
            run: `edit ${SUBJECT}`,
        },
        {
            content: "Say what happened: the text area is there to type in",
            trigger: ".o_crm_service_new_form textarea[name=description]:visible",
            run: `edit ${DESCRIPTION}`,
        },
        {
            content: "Send the complaint",
            trigger: ".o_crm_service_new_form button[type=submit]",
            run: "click",
        },
        {
            content: "The complaint shows what happened",
            trigger: `.o_crm_service_portal_detail:contains(${SUBJECT}):contains(${DESCRIPTION})`,
        },
        {
            content: "Write to the service team in the conversation",
            trigger: "#chatterRoot:shadow .o-mail-Composer-input",
            run: `edit ${REPLY}`,
        },
        {
            content: "Send the message",
            trigger: "#chatterRoot:shadow .o-mail-Composer-send:enabled",
            run: "click",
        },
        {
            content: "The message is in the conversation",
            trigger: `#chatterRoot:shadow .o-mail-Message:contains(${REPLY})`,
        },
    ],
});
