/** @odoo-module **/

import { onMounted, onWillUnmount } from "@odoo/owl";
import { browser } from "@web/core/browser/browser";
import { registry } from "@web/core/registry";
import { KanbanController } from "@web/views/kanban/kanban_controller";
import { kanbanView } from "@web/views/kanban/kanban_view";

/** How often the wallboard reads its figures again, in milliseconds. */
export const WALLBOARD_REFRESH_INTERVAL = 10000;

/**
 * The wallboard hangs on a screen of the call center: it reads the queues' figures
 * again by itself, with the search the supervisor set, while the page is visible
 * (a hidden tab costs the server nothing). A reload still running is not doubled.
 */
export class WallboardKanbanController extends KanbanController {
    setup() {
        super.setup();
        let timer = null;
        this.refreshing = false;
        onMounted(() => {
            timer = browser.setInterval(() => this.refreshFigures(), WALLBOARD_REFRESH_INTERVAL);
        });
        onWillUnmount(() => browser.clearInterval(timer));
    }

    async refreshFigures() {
        if (document.hidden || this.refreshing) {
            return;
        }
        this.refreshing = true;
        try {
            await this.model.load();
        } finally {
            this.refreshing = false;
        }
    }
}

registry.category("views").add("crm_callcenter_wallboard", {
    ...kanbanView,
    Controller: WallboardKanbanController,
});
