/** @odoo-module **/

/**
 * What the tours of the suite check on screen.
 */

/**
 * The points of the form's title (or of the fields matching ``selector``) that the
 * ribbon's band lies on top of: a ribbon must leave them readable and clickable.
 */
export function ribbonOverTitle(
    selector = ".o_form_sheet .oe_title .o_field_widget, .o_form_sheet .oe_title input"
) {
    const band = document.querySelector(".o_form_sheet .ribbon span");
    if (!band) {
        throw new Error("No ribbon on the form");
    }
    const covered = [];
    band.style.pointerEvents = "auto"; // a ribbon lets clicks through: hit-test it
    try {
        for (const part of document.querySelectorAll(selector)) {
            const box = part.getBoundingClientRect();
            for (let x = box.left + 1; x < box.right; x += 4) {
                for (let y = box.top + 1; y < box.bottom; y += 4) {
                    if (band.contains(document.elementFromPoint(x, y))) {
                        covered.push(`${part.getAttribute("name") || part.tagName} (${x}, ${y})`);
                    }
                }
            }
        }
    } finally {
        band.style.pointerEvents = "";
    }
    return covered;
}
