"""Rendering a report's data to PDF: a Django template, the monitoring page's SVG
charts, WeasyPrint.

Only the data goes in, so the same data gives the same bytes: the document's created and
modified dates are the data's own 'as of' time, and nothing else in the file depends on
the clock. WeasyPrint needs pango (see the Makefile's `system-packages`); it is imported
on first use so the portal starts without it.
"""

from typing import Any

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from monitoring.charts import line_chart

TEMPLATES = {"validation": "reports/validation.html", "monitoring": "reports/monitoring.html"}


def _charts(data: dict[str, Any]) -> dict[str, str]:
    if data["kind"] != "monitoring" or not data["drift"]["score_psi"]:
        return {}
    drift = data["drift"]
    points = drift["score_psi"]
    svg = line_chart(
        title="Score PSI per drift window",
        x_labels=[end[5:16].replace("T", " ") for end, _ in points],
        series=[("score PSI", [psi for _, psi in points])],
        references=[(drift["psi_watch"], "watch"), (drift["psi_act"], "act")],
    )
    # monitoring.charts escapes every label it draws.
    return {"score_psi": mark_safe(svg)}  # nosec B308, B703


def report_pdf(*, data: dict[str, Any]) -> bytes:
    """The PDF of a report's data (`governance.reports.data`)."""
    from weasyprint import HTML

    html = render_to_string(TEMPLATES[data["kind"]], {"data": data, "charts": _charts(data)})
    document = HTML(string=html).render()
    document.metadata.created = document.metadata.modified = data["as_of"]
    title = f"{data['inventory']['model']} v{data['inventory']['version']}"
    document.metadata.title = f"{'Validation' if data['kind'] == 'validation' else 'Monitoring'} report: {title}"
    pdf: bytes = document.write_pdf()
    return pdf
