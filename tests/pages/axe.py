"""axe-core (vendored: tests/pages/vendor/axe-core/, MPL-2.0) run on a page as it is served, with
its Content-Security-Policy in force. The engine is evaluated through the DevTools protocol, which
a page's CSP does not govern (no bypass_csp, no <script> added), into every frame, then run from
the top frame so the frames are checked too."""

from __future__ import annotations

from functools import cache
from pathlib import Path

AXE_JS = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"


@cache
def _source() -> str:
    return AXE_JS.read_text(encoding="utf-8") + "\n;true"


def axe_violations(page) -> list[dict]:  # type: ignore[no-untyped-def]
    """axe's violations for the page and its frames (WCAG 2.x A/AA and best practices)."""
    for frame in page.frames:
        frame.evaluate(_source())
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ': ' + n.failureSummary)}));
    }""")


def describe(violations: list[dict]) -> str:
    """One line per violation and the first elements it names, for an assertion message."""
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"])
                     for v in violations)
