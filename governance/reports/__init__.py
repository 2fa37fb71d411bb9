"""Regulator-ready PDF reports: the validation report of a version and the ongoing
monitoring report of a production version for a calendar month.

`data` reads everything a report shows from the database into a JSON-able dict, one
function per section (`VALIDATION_SECTIONS`, `MONITORING_SECTIONS`); `pdf` renders that
dict alone through a Django template and WeasyPrint, so the stored data is exactly what
the PDF was built from and the same data gives the same bytes; `services` checks the
request, stores the report once with its SHA-256 and records a governance event.
"""
