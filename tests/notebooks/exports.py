"""A notebook with untrusted text everywhere, shared by the export tests."""

from __future__ import annotations

from olympus.notebooks import model as m

EVIL = "<img src=x onerror=alert(1)>"
NOTE = f"""# Portfolio *notes*

Raw HTML stays text: <script>document.title='pwned'</script> {EVIL}
[click](javascript:alert(1)) and **bold**."""


def build(ws, name: str = "Exports </title><script>x=1</script>"):
    cells = [
        m.new_cell("note", name="intro", markdown=NOTE),
        m.new_cell("sql", name="by_status", connection="Demo",
                   sql="SELECT status, count(*) AS n FROM loans GROUP BY status ORDER BY n DESC",
                   view={"kind": "chart", "chart": {"mark": "bar", "x": "status", "y": "n"}}),
        m.new_cell("sql", name="total", connection="Demo",
                   sql="SELECT count(*) AS loans FROM loans", view={"kind": "value"}),
        m.new_cell("sql", name="evil", connection="Demo",
                   sql=f"SELECT '{EVIL}' AS label, '</script><script>alert(2)</script>' AS x"),
        m.new_cell("sql", name="yearly", connection="Demo", view={
            "kind": "chart", "chart": {"mark": "line", "x": "year", "y": "loans"}},
            sql="SELECT year(origination_date) AS year, count(*) AS loans FROM loans "
                "GROUP BY 1 ORDER BY 1 -- per year"),
    ]
    return ws.create_notebook(name, cells=cells,
                              params=[m.Param("region", "text", "Region", default="West")])
