/** @odoo-module **/

import { registry } from "@web/core/registry";
import { user } from "@web/core/user";

// the records of the tests (test_work_queue_tours.py)
const CUSTOMER = "Tour Jade Teahouse";
const VISITOR = "Tour Portal Pan";
const COMPLAINT = "Tour cracked teapot lid";

/** The agent's load per channel in the switcher, in the languages of the tests. */
const LOAD_TEXTS = {
    en_US: { call: "Calls 1/1", chat: "Chats 1/3", complaint: "Complaints 1/10" },
    zh_CN: { call: "通话 1/1", chat: "聊天 1/3", complaint: "投诉 1/10" },
};

/** Whether the web client has the phone layout (the host's ui service: below 768px). */
function isPhone() {
    return window.innerWidth < 768;
}

/**
 * The one work queue, as the agent sees it: in a call, with a chat and a portal
 * complaint the queue gave them meanwhile, each figure against its capacity (the
 * calls at capacity marked). The agent opens the call, finds the customer's
 * complaint in the caller's history, theirs, then answers the chat in its window.
 */
registry.category("web_tour.tours").add("crm_callcenter_work_queue_agent_tour", {
    steps: () => {
        const texts = LOAD_TEXTS[(user.lang || "").replace("-", "_")] || LOAD_TEXTS.en_US;
        const menu = ".o_crm_agent_state_menu .o_crm_agent_state_load";
        return [
            {
                content: "In a call: the switcher says busy",
                trigger: ".o_menu_systray .o_crm_agent_state_toggle[data-state=busy]",
                run: "click",
            },
            {
                content: "Calls: at capacity, marked",
                trigger: `${menu} .o_crm_agent_state_load_call.text-danger:contains(${texts.call})`,
            },
            {
                content: "Chats: room for more",
                trigger: `${menu} .o_crm_agent_state_load_chat:not(.text-danger):contains(${texts.chat})`,
            },
            {
                content: "Complaints: room for more",
                trigger: `${menu} .o_crm_agent_state_load_complaint:not(.text-danger):contains(${texts.complaint})`,
                run() {
                    const shown = [...document.querySelectorAll(`${menu} [data-channel]`)].map(
                        (element) => element.textContent.trim()
                    );
                    const expected = [texts.call, texts.chat, texts.complaint];
                    if (JSON.stringify(shown) !== JSON.stringify(expected)) {
                        throw new Error(`The load reads ${shown.join(", ")}, not ${expected}`);
                    }
                    const box = document
                        .querySelector(".o_crm_agent_state_dropdown")
                        .getBoundingClientRect();
                    if (box.left < 0 || box.right > window.innerWidth) {
                        throw new Error(`The menu leaves the screen: ${box.left} to ${box.right}`);
                    }
                },
            },
            {
                content: "Open the call from the switcher",
                trigger: ".o_crm_agent_state_menu a.o_crm_agent_state_call",
                run: "click",
            },
            {
                content: "The call's form names the customer",
                trigger: `.o_form_view .o_field_widget[name=partner_id] input:value(${CUSTOMER})`,
            },
            {
                content: "The caller's history",
                trigger: ".o_form_view .o_notebook a[name=history]",
                run: "click",
            },
            {
                content: "The complaint the customer sent from the portal, the agent's now",
                trigger: `.o_field_widget[name=history_complaint_ids] .o_data_row:contains(${COMPLAINT}):contains(Tour Agent Tang)`,
            },
            {
                content: "The chats, in the messaging menu",
                trigger: ".o_menu_systray button:has(> i.fa-lg.fa-comments)",
                run: "click",
            },
            ...(isPhone()
                ? [
                      {
                          content: "On a phone: the live chats' tab",
                          trigger: ".o-mail-MessagingMenu-tab:has(i.fa-comments)",
                          run: "click",
                      },
                  ]
                : []),
            {
                content: "The customer's chat",
                trigger: `.o-mail-NotificationItem:contains(${VISITOR})`,
                run: "click",
            },
            {
                content: "Answer it",
                trigger: ".o-mail-ChatWindow .o-mail-Composer-input",
                run: "edit Tour reply: how can I help?",
            },
            {
                trigger: ".o-mail-ChatWindow .o-mail-Composer-input",
                run: "press Enter",
            },
            {
                content: "The answer is in the chat",
                trigger: ".o-mail-ChatWindow .o-mail-Message:contains(Tour reply: how can I help?):not(:has(.o-mail-Message-pendingProgress))",
            },
        ];
    },
});

/**
 * The supervisor's wallboard: the queue's card has a row per channel of the one
 * work queue, with the day's figures.
 */
registry.category("web_tour.tours").add("crm_callcenter_wallboard_channels_tour", {
    steps: () => [
        {
            content: "The queue's card, a row per channel",
            trigger: ".o_kanban_record:contains(Tour Service) table[name=channels] tr[name=channel_complaint]",
            run() {
                const card = [...document.querySelectorAll(".o_kanban_record")].find((record) =>
                    record.textContent.includes("Tour Service")
                );
                // waiting, handled, abandoned
                const expected = {
                    channel_call: ["1", "1", "0"],
                    channel_chat: ["1", "1", "0"],
                    channel_complaint: ["1", "0", "0"],
                };
                for (const [row, figures] of Object.entries(expected)) {
                    const cells = [...card.querySelectorAll(`tr[name=${row}] td`)];
                    const shown = cells.slice(1).map((cell) => cell.textContent.trim());
                    if (!cells[0].textContent.trim()) {
                        throw new Error(`The row ${row} has no label`);
                    }
                    if (JSON.stringify(shown) !== JSON.stringify(figures)) {
                        throw new Error(`${row} reads ${shown}, not ${figures}`);
                    }
                }
                const table = card.querySelector("table[name=channels]");
                if (table.scrollWidth > card.clientWidth + 1) {
                    throw new Error("The channels' table overflows the card");
                }
            },
        },
        {
            content: "The waiting chat stands out",
            trigger: ".o_kanban_record:contains(Tour Service) tr[name=channel_chat] td.text-warning",
        },
    ],
});

const VISITOR_FRAME = "iframe.o_crm_livechat_visitor_frame";
const WIDGET = `${VISITOR_FRAME}:iframe .o-livechat-root:shadow`;

/**
 * A signed-in customer, on their portal, opens the host's live chat widget (the
 * support page of the channel, as a site embeds it) and writes: the agent the
 * queue's rules choose answers, by name.
 */
registry.category("web_tour.tours").add("crm_callcenter_livechat_visitor_tour", {
    steps: () => [
        {
            content: "The customer's portal: the site with the chat widget",
            trigger: "body:not(:has(iframe))",
            run() {
                const channelId = Number(
                    new URLSearchParams(window.location.search).get("crm_livechat_channel")
                );
                const frame = document.createElement("iframe");
                frame.className = "o_crm_livechat_visitor_frame w-100";
                frame.style.height = "700px";
                frame.src = `/im_livechat/support/${channelId}`;
                document.body.prepend(frame);
            },
        },
        {
            content: "Open the chat",
            trigger: `${WIDGET} .o-livechat-LivechatButton`,
            run: "click",
        },
        {
            content: "Write",
            trigger: `${WIDGET} .o-mail-ChatWindow .o-mail-Composer-input`,
            run: "edit Tour question about my order",
        },
        {
            trigger: `${WIDGET} .o-mail-ChatWindow .o-mail-Composer-input`,
            run: "press Enter",
        },
        {
            content: "The message is sent",
            trigger: `${WIDGET} .o-mail-ChatWindow .o-mail-Message:contains(Tour question about my order):not(:has(.o-mail-Message-pendingProgress))`,
        },
        {
            content: "The customer's salesperson answers the chat",
            trigger: `${WIDGET} .o-mail-ChatWindow-header:contains(Tour Agent Bai)`,
        },
    ],
});
