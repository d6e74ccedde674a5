/** @odoo-module **/

import { Component, onWillDestroy, useState } from "@odoo/owl";
import { Dropdown } from "@web/core/dropdown/dropdown";
import { DropdownItem } from "@web/core/dropdown/dropdown_item";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { AGENT_STATES, CHANNEL_LOADS } from "./agent_state_service";

/**
 * The agent's state switcher in the systray, on every screen of the web client
 * (phones included): the state in colour, and the states an agent chooses. Busy
 * and wrap-up come from the calls; a wrap-up ends by choosing Available.
 */
export class AgentStateMenu extends Component {
    static components = { Dropdown, DropdownItem };
    static props = {};
    static template = "crm_callcenter.AgentStateMenu";

    setup() {
        this.agentService = useService("crm_callcenter_agent");
        this.agentState = useState(this.agentService.state);
        this.ui = useState(useService("ui"));
        onWillDestroy(() => this.onStateChanged(false));
    }

    /** On a phone the menu takes the screen's width under the navbar, as the host's
     * systray menus do, rather than hanging off the left edge. */
    get menuClass() {
        const small = this.ui.isSmall
            ? "o-mail-systrayFullscreenDropdownMenu start-0 w-100 mh-100 mt-0 border-0 shadow-lg"
            : "";
        return `o_crm_agent_state_dropdown p-0 ${small}`;
    }

    /** The open menu shows the call: the screen-pop, which would cover the menu,
     * steps aside meanwhile. */
    onStateChanged(isOpen) {
        document.body.classList.toggle("o_crm_agent_state_open", isOpen);
        if (isOpen) {
            // the load changes with every complaint assigned or closed: read it anew
            this.agentService.refresh();
        }
    }

    get agent() {
        return this.agentState.agent;
    }

    get stateInfo() {
        return AGENT_STATES[this.agent.state] || AGENT_STATES.offline;
    }

    /** The agent's load per channel against their capacity, e.g. "Calls 1/1". */
    get loads() {
        return (this.agent.load || []).map((item) => ({
            channel: item.channel,
            full: item.load >= item.capacity,
            text: (CHANNEL_LOADS[item.channel] || CHANNEL_LOADS.call)({
                load: item.load,
                capacity: item.capacity,
            }).toString(),
        }));
    }

    get inCall() {
        return this.agent.state === "busy" && Boolean(this.agent.call);
    }

    get choices() {
        const choices = [
            { state: "available", label: _t("Available"), icon: "fa-phone" },
            { state: "away", label: _t("Away"), icon: "fa-coffee" },
            { state: "offline", label: _t("Offline"), icon: "fa-power-off" },
        ];
        if (this.agent.state === "wrap_up") {
            choices[0] = { state: "available", label: _t("End wrap-up"), icon: "fa-check" };
        }
        return choices;
    }

    async switchTo(state) {
        if (state === this.agent.state || this.agentState.switching) {
            return;
        }
        await this.agentService.switchState(state);
    }

    openCall() {
        this.agentService.openRecord("crm.call", this.agent.call.id);
    }
}

registry.category("systray").add(
    "crm_callcenter.AgentStateMenu",
    { Component: AgentStateMenu },
    { sequence: 40 }
);
