/** @odoo-module **/

import { registry } from "@web/core/registry";
import { ribbonOverTitle } from "@crm_core/../tests/tours/crm_core_tour_utils";

// The PBX of the tours: its token is set on a CTI endpoint by the test alone.
export const TOUR_PBX_TOKEN = "tour-pbx-token-screen-pop-7f3a";
const CALLER = "Tour Caller Amber Ltd";

/** The PBX reports an event of a call, as it does over HTTP: the answer. */
async function pbxEvent(event, callId, fields = {}) {
    const response = await fetch("/crm_callcenter/cti/event", {
        method: "POST",
        headers: {
            "Content-Type": "application/json",
            Authorization: `Bearer ${TOUR_PBX_TOKEN}`,
        },
        body: JSON.stringify({
            event,
            call_id: callId,
            timestamp: new Date().toISOString(),
            ...fields,
        }),
    });
    const answer = await response.json();
    if (!response.ok) {
        throw new Error(`The PBX's ${event} was refused: ${JSON.stringify(answer)}`);
    }
    return answer;
}

/** The PBX reports a call ringing in the tour's queue. */
async function pbxRings(callId, from, routeType = "agent") {
    const answer = await pbxEvent("ringing", callId, {
        direction: "inbound",
        from,
        to: "4008001234",
        queue: "TOUR",
    });
    if (answer.route?.type !== routeType) {
        throw new Error(`The PBX's call was not routed to ${routeType}: ${JSON.stringify(answer)}`);
    }
}

/**
 * An available agent gets the screen-pop of a ringing call, opens the call from it
 * and takes a complaint from the caller.
 */
registry.category("web_tour.tours").add("crm_callcenter_screen_pop_tour", {
    steps: () => [
        {
            content: "The agent is available, as the systray switcher shows",
            trigger: ".o_menu_systray .o_crm_agent_state_toggle[data-state=available]",
        },
        {
            content: "The PBX reports a call from a known customer",
            trigger: ".o_action_manager .o_view_controller",
            async run() {
                await pbxRings("tour-pop-1", "+86 10 8888 6666");
            },
        },
        {
            content: "The screen-pop shows who calls",
            trigger: `.o_notification.o_crm_callcenter_screen_pop .o_notification_title:contains(${CALLER})`,
        },
        {
            content: "The screen-pop lists the caller's latest interactions, with links",
            trigger: ".o_crm_callcenter_screen_pop .o_crm_callcenter_pop_history a[href^='/odoo/res.partner/']:contains(Invoice copy for Amber)",
        },
        {
            content: "The switcher turned busy",
            trigger: ".o_menu_systray .o_crm_agent_state_toggle[data-state=busy]",
        },
        {
            content: "Open the call from the screen-pop",
            trigger: ".o_crm_callcenter_screen_pop .o_notification_buttons button:contains(Open call):not(:contains(Open caller))",
            run: "click",
        },
        {
            content: "The call's form, with the caller and their history",
            trigger: `.o_form_view .o_field_widget[name=partner_id] input:value(${CALLER})`,
        },
        {
            content: "The screen-pop is gone",
            trigger: "body:not(:has(.o_crm_callcenter_screen_pop))",
        },
        {
            content: "Take the caller's complaint",
            trigger: ".o_form_view button[name=action_create_complaint]",
            run: "click",
        },
        {
            // the call's form has the same customer field: wait for the complaint's
            content: "The complaint opens",
            trigger: ".o_breadcrumb .active:contains(Complaint by phone from)",
        },
        {
            content: "The complaint's form names the caller",
            trigger: `.o_form_view .o_field_widget[name=partner_id] input:value(${CALLER})`,
        },
        {
            content: "Taken by phone; a ribbon, if any, leaves the title readable",
            trigger: ".o_form_view .o_field_widget[name=channel] select",
            run() {
                const channel = document.querySelector(".o_field_widget[name=channel] select");
                if (channel.selectedOptions[0]?.textContent.trim() !== "Phone") {
                    throw new Error("The complaint is not marked as taken by phone");
                }
                if (document.querySelector(".o_form_sheet .ribbon span")) {
                    const covered = ribbonOverTitle();
                    if (covered.length) {
                        throw new Error(`The ribbon covers the title: ${covered.join(", ")}`);
                    }
                }
            },
        },
    ],
});

/** How long the answers to the agent's reads are held back (see below). */
const SLOW_READ_MS = 1500;

/**
 * Hold back the answers to the reads of the agent's state (``get_my_agent_state``)
 * by ``SLOW_READ_MS``, as a slow network or a busy server would: the read asked when
 * the switcher opens comes back after the switch that follows it.
 *
 * @returns {Function} puts the requests back as they were
 */
function slowAgentReads() {
    const proto = XMLHttpRequest.prototype;
    const { send, addEventListener } = proto;
    proto.send = function (body) {
        this.crmTourBody = body;
        return send.call(this, body);
    };
    proto.addEventListener = function (type, listener, ...rest) {
        if (type !== "load") {
            return addEventListener.call(this, type, listener, ...rest);
        }
        const held = function (...args) {
            if (String(this.crmTourBody).includes('"get_my_agent_state"')) {
                setTimeout(() => listener.apply(this, args), SLOW_READ_MS);
            } else {
                listener.apply(this, args);
            }
        };
        return addEventListener.call(this, type, held, ...rest);
    };
    return () => Object.assign(proto, { send, addEventListener });
}

let restoreReads = () => {};

/**
 * On a phone, an agent goes available with the systray switcher, takes a break
 * while the switcher's own read of their state is slow to come back (the state
 * they chose stays), then opens a call of theirs from the cards.
 */
registry.category("web_tour.tours").add("crm_callcenter_mobile_switcher_tour", {
    steps: () => [
        {
            content: "The calls, as cards on a phone",
            trigger: "body.o_touch_device .o_kanban_view .o_kanban_record",
        },
        {
            content: "The switcher says offline",
            trigger: ".o_menu_systray .o_crm_agent_state_toggle[data-state=offline]",
            run: "click",
        },
        {
            content: "Go available",
            trigger: ".o_crm_agent_state_menu .o_crm_agent_state_choice[data-state=available]",
            run: "click",
        },
        {
            content: "The switcher says available",
            trigger: ".o_menu_systray .o_crm_agent_state_toggle[data-state=available]",
        },
        {
            content: "The network is slow to answer the reads of the agent's state",
            trigger: ".o_menu_systray .o_crm_agent_state_toggle[data-state=available]",
            run() {
                restoreReads = slowAgentReads();
            },
        },
        {
            content: "Open the switcher again: the current state is marked",
            trigger: ".o_menu_systray .o_crm_agent_state_toggle",
            run: "click",
        },
        {
            content: "Take a break before the switcher's read came back",
            trigger: ".o_crm_agent_state_menu .o_crm_agent_state_choice.active[data-state=available] ~ .o_crm_agent_state_choice[data-state=away]",
            run: "click",
        },
        {
            content: "The switcher says away",
            trigger: ".o_menu_systray .o_crm_agent_state_toggle[data-state=away]",
        },
        {
            content: "and still does once the older read came back",
            trigger: ".o_menu_systray .o_crm_agent_state_toggle[data-state=away]",
            async run() {
                await new Promise((resolve) => setTimeout(resolve, SLOW_READ_MS + 500));
                restoreReads();
                const shown = document.querySelector(".o_menu_systray .o_crm_agent_state_toggle");
                if (shown.dataset.state !== "away") {
                    throw new Error(`The switcher went back to ${shown.dataset.state}`);
                }
            },
        },
        {
            content: "Open the call's card",
            trigger: ".o_kanban_record:contains(Tour Phone Customer)",
            run: "click",
        },
        {
            content: "The call opens in the phone layout",
            trigger: ".o_xxs_form_view .o_field_widget[name=partner_id]",
        },
    ],
});

/**
 * The outbound path of an agent: Next Call on a call list, Dial, back to the entry,
 * Record Outcome "No answer" (the entry goes back to the pool for a retry), and
 * back on the list, ready for the next call, with no access error on the way.
 */
registry.category("web_tour.tours").add("crm_callcenter_call_list_outcome_tour", {
    steps: () => [
        {
            content: "The call list, running",
            trigger: ".o_form_view .o_field_widget[name=name]:contains(Tour Calls)",
        },
        {
            content: "Next Call",
            trigger: ".o_form_view button[name=action_next_call]",
            run: "click",
        },
        {
            content: "The entry reserved for the agent",
            trigger: ".o_form_view .o_field_widget[name=partner_id] input:value(Tour Callee Birch)",
        },
        {
            content: "Dial it",
            trigger: ".o_form_view button[name=action_dial]",
            run: "click",
        },
        {
            content: "The call opens, ringing",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains(Ringing)",
        },
        {
            content: "Back to the entry",
            trigger: ".o_breadcrumb .o_back_button",
            run: "click",
        },
        {
            content: "Record its outcome",
            trigger: ".o_form_view button[name=action_record_outcome]",
            run: "click",
        },
        {
            content: "Choose No answer",
            trigger: ".modal .o_field_widget[name=outcome_id] input",
            run: "edit No answer",
        },
        {
            trigger: ".o-autocomplete--dropdown-item a:contains(No answer)",
            run: "click",
        },
        {
            content: "Record",
            trigger: ".modal button[name=action_confirm]",
            run: "click",
        },
        {
            content: "Back on the call list, no error, ready for the next call",
            trigger: "body:not(:has(.modal)) .o_form_view:has(.o_field_widget[name=name]:contains(Tour Calls)) button[name=action_next_call]",
        },
    ],
});

/**
 * On a phone, during a call: the screen-pop comes, the PBX reports the call
 * answered and the switcher follows (no reload); its menu opens within the screen,
 * above the screen-pop.
 */
registry.category("web_tour.tours").add("crm_callcenter_mobile_in_call_tour", {
    steps: () => [
        {
            content: "The agent is available",
            trigger: "body.o_touch_device .o_menu_systray .o_crm_agent_state_toggle[data-state=available]",
            async run() {
                await pbxRings("tour-mobile-1", "+86 10 8888 6666");
            },
        },
        {
            content: "The screen-pop shows who calls",
            trigger: `.o_notification.o_crm_callcenter_screen_pop .o_notification_title:contains(${CALLER})`,
        },
        {
            content: "The switcher turned busy; the PBX reports the call answered",
            trigger: ".o_menu_systray .o_crm_agent_state_toggle[data-state=busy]",
            async run() {
                window.crmCallcenterTourMark = "no reload";
                await pbxEvent("answered", "tour-mobile-1", { agent: "781" });
            },
        },
        {
            content: "Open the switcher",
            trigger: ".o_menu_systray .o_crm_agent_state_toggle[data-state=busy]",
            run: "click",
        },
        {
            content: "It says the agent is in the call, not that it rings",
            trigger: ".o_crm_agent_state_menu:contains(In a call):not(:contains(Ringing))",
            run() {
                if (window.crmCallcenterTourMark !== "no reload") {
                    throw new Error("The page was reloaded to show the call's state");
                }
                const menu = document.querySelector(".o_crm_agent_state_dropdown");
                const box = menu.getBoundingClientRect();
                if (box.left < 0 || box.right > window.innerWidth) {
                    throw new Error(`The menu leaves the screen: ${box.left} to ${box.right}`);
                }
                const pop = document.querySelector(".o_crm_callcenter_screen_pop");
                if (pop && pop.getClientRects().length) {
                    throw new Error("The screen-pop covers the open menu");
                }
            },
        },
        {
            content: "Close the menu: the screen-pop is back",
            trigger: ".o_menu_systray .o_crm_agent_state_toggle",
            run: "click",
        },
        {
            trigger: "body:not(.o_crm_agent_state_open) .o_crm_callcenter_screen_pop:visible",
        },
    ],
});

/**
 * The wallboard on a supervisor's screen reads its figures again by itself: a call
 * that starts waiting shows up without anyone reloading the page.
 */
registry.category("web_tour.tours").add("crm_callcenter_wallboard_refresh_tour", {
    steps: () => [
        {
            content: "The wallboard: nobody waits in the tour's queue",
            trigger: ".o_kanban_record:contains(Tour Service) div[name=waiting_now] .display-6:contains(0)",
            async run() {
                window.crmCallcenterTourMark = "no reload";
                // no agent is available: the call waits in the queue
                await pbxRings("tour-wallboard-1", "+86 29 8765 4321", "queue");
            },
        },
        {
            content: "The waiting call shows up by itself",
            trigger: ".o_kanban_record:contains(Tour Service) div[name=waiting_now] .display-6:contains(1)",
            timeout: 25000,
            run() {
                if (window.crmCallcenterTourMark !== "no reload") {
                    throw new Error("The page was reloaded");
                }
            },
        },
    ],
});
