"""The HTML report opened in real Chromium with the network off: its charts draw their marks
(SVG paths counted), its notes stay text, and it asks the network for nothing."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.notebooks.exports import build


def test_html_report_draws_its_charts_offline(ws, browser, tmp_path, artifacts_dir):
    nb = build(ws)
    path = tmp_path / "report.html"
    path.write_bytes(ws.export_notebook(nb.id, "html").data)
    context = browser.new_context(offline=True, viewport={"width": 1200, "height": 900})
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    dialogs: list[str] = []
    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(path.as_uri())
        bars = page.locator("#chart-0 svg .mark-rect path")
        expect(bars).to_have_count(5)  # one bar per loan status
        boxes = [bars.nth(i).bounding_box() for i in range(5)]
        assert all(b is not None and b["height"] > 1 and b["width"] > 1 for b in boxes)
        line = page.locator("#chart-1 svg .mark-line path")
        expect(line).to_have_count(1)
        assert line.first.bounding_box()["width"] > 200  # spans the years
        expect(page.locator("h1").first).to_have_text("Exports </title><script>x=1</script>")
        expect(page.get_by_text("<img src=x onerror=alert(1)>").first).to_be_visible()
        page.screenshot(path=str(artifacts_dir / "notebook-report.png"), full_page=True)
        assert page.title() == "Exports </title><script>x=1</script>"
    finally:
        context.close()
    assert dialogs == [] and errors == []
    assert [u for u in requests if not u.startswith("file:")] == []
