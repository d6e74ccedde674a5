/** @odoo-module **/

import { markup, reactive } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { escape } from "@web/core/utils/strings";

/** How many of the caller's latest interactions the screen-pop lists. */
export const SCREEN_POP_HISTORY_SIZE = 5;

/**
 * The pop's text: its details, then the caller's latest interactions of every
 * channel (calls, chats, complaints, e-mails), each a link to its record. All the
 * values are escaped; only the list's own markup is trusted.
 */
export function screenPopMessage(details, history) {
    const text = escape(details.join(" \u00b7 "));
    const lines = history.slice(0, SCREEN_POP_HISTORY_SIZE).map(
        (entry) =>
            `<li><span class="text-muted">${escape(entry.date_display)}</span> ` +
            `${escape(entry.channel_label)}: ` +
            `<a href="/odoo/${encodeURIComponent(entry.res_model)}/${Number(entry.res_id)}">` +
            `${escape(entry.summary)}</a></li>`
    );
    if (!lines.length) {
        return text;
    }
    return markup(
        `${text}<ul class="list-unstyled small mt-2 mb-0 o_crm_callcenter_pop_history">` +
            `${lines.join("")}</ul>`
    );
}

export const AGENT_STATES = {
    offline: { label: _t("Offline"), icon: "fa-power-off" },
    available: { label: _t("Available"), icon: "fa-phone" },
    busy: { label: _t("Busy"), icon: "fa-phone" },
    wrap_up: { label: _t("Wrap-up"), icon: "fa-pencil" },
    away: { label: _t("Away"), icon: "fa-coffee" },
};

/** The load of a channel of the one work queue against the agent's capacity, as
 * the switcher shows it (the same texts as the agent's form). */
export const CHANNEL_LOADS = {
    call: (values) => _t("Calls %(load)s/%(capacity)s", values),
    chat: (values) => _t("Chats %(load)s/%(capacity)s", values),
    complaint: (values) => _t("Complaints %(load)s/%(capacity)s", values),
};

/**
 * The call center agent in the web client: their state (for the systray switcher)
 * and the screen-pop of the calls the ACD rings them for. Both come live from the
 * server on the host's bus; nothing is loaded for users who are not agents.
 *
 * A screen-pop is a sticky notification rather than a form that opens by itself:
 * the agent may be typing in another record when the phone rings. It shows who
 * calls and offers to open the caller's record (the call when the caller is not
 * known) or the call; it closes when the call is over.
 */
export const crmCallcenterAgentService = {
    dependencies: ["action", "bus_service", "notification", "orm"],

    start(env, { action, bus_service: bus, notification, orm }) {
        const state = reactive({ agent: false, loaded: false, switching: false });
        // switches asked so far: a read asked before (or during) the latest switch may
        // be answered after it, with the state the switch replaced
        let switches = 0;
        /** call id -> close function of its screen-pop */
        const pops = new Map();

        function closePops(keepCallId) {
            for (const [callId, close] of pops) {
                if (callId !== keepCallId) {
                    close();
                }
            }
        }

        function applyAgent(info) {
            state.agent = info || false;
            closePops(info && info.call ? info.call.id : false);
        }

        function openRecord(resModel, resId) {
            return action.doAction({
                type: "ir.actions.act_window",
                res_model: resModel,
                res_id: resId,
                views: [[false, "form"]],
                target: "current",
            });
        }

        async function screenPop(payload) {
            if (pops.has(payload.call_id)) {
                return;
            }
            // reserved while the caller's history loads: the pop is not doubled, and
            // a call over meanwhile pops nothing
            pops.set(payload.call_id, () => pops.delete(payload.call_id));
            let history = [];
            if (payload.partner_id) {
                try {
                    history = await orm.silent.call("crm.call", "get_crm_screen_pop_timeline", [
                        [payload.call_id],
                    ]);
                } catch {
                    history = [];
                }
            }
            if (!pops.has(payload.call_id)) {
                return;
            }
            const caller = payload.partner_name || payload.phone || _t("Unknown caller");
            const details = [];
            if (payload.partner_name && payload.phone) {
                details.push(payload.phone);
            }
            if (payload.customer_tier === "key") {
                details.push(_t("Key customer"));
            }
            if (payload.queue) {
                details.push(_t("Queue %s", payload.queue));
            }
            const openCall = () => {
                close();
                openRecord("crm.call", payload.call_id);
            };
            const buttons = payload.partner_id
                ? [
                      {
                          name: _t("Open caller"),
                          icon: "fa-user",
                          primary: true,
                          onClick: () => {
                              close();
                              openRecord("res.partner", payload.partner_id);
                          },
                      },
                      { name: _t("Open call"), icon: "fa-phone", onClick: openCall },
                  ]
                : [{ name: _t("Open call"), icon: "fa-phone", primary: true, onClick: openCall }];
            const closeNotification = notification.add(screenPopMessage(details, history), {
                title: _t("Incoming call: %s", caller),
                type: "info",
                sticky: true,
                className: "o_crm_callcenter_screen_pop",
                buttons,
                onClose: () => pops.delete(payload.call_id),
            });
            function close() {
                pops.delete(payload.call_id);
                closeNotification();
            }
            pops.set(payload.call_id, close);
        }

        async function load() {
            if (!(await user.hasGroup("crm_callcenter.group_crm_callcenter_agent"))) {
                state.loaded = true;
                return;
            }
            const info = await orm.call("crm.call.agent", "get_my_agent_state", []);
            applyAgent(info);
            state.loaded = true;
            // a call rang before the page was (re)loaded: pop it now
            if (info && info.call && info.call.state === "ringing" && info.call.popup) {
                screenPop(info.call.popup);
            }
            bus.subscribe("crm_callcenter/agent_state", (payload) => {
                if (state.agent && payload.id === state.agent.id) {
                    applyAgent(payload);
                }
            });
            bus.subscribe("crm_callcenter/screen_pop", (payload) => {
                if (state.agent && payload.agent_id === state.agent.id) {
                    screenPop(payload);
                }
            });
            bus.start();
        }

        load();

        return {
            state,
            openRecord,
            /** Read the agent again (their load changes without a state change). */
            async refresh() {
                if (!state.agent || state.switching) {
                    return;
                }
                const asked = switches;
                const info = await orm.silent.call("crm.call.agent", "get_my_agent_state", []);
                if (asked === switches) {
                    applyAgent(info);
                }
            },
            /** Switch the current user's agent to ``agentState`` (available, away, offline). */
            async switchState(agentState) {
                switches++;
                state.switching = true;
                try {
                    applyAgent(
                        await orm.call("crm.call.agent", "set_my_agent_state", [agentState])
                    );
                } finally {
                    state.switching = false;
                }
            },
        };
    },
};

registry.category("services").add("crm_callcenter_agent", crmCallcenterAgentService);
