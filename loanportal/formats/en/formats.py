"""How the admin writes dates and times: ISO 8601, and every time says its zone (the portal
stores and shows UTC, `TIME_ZONE`), instead of en-us's "Dec. 2, 2026, 5:04 p.m."."""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = r"Y-m-d H:i:s \U\T\C"
SHORT_DATETIME_FORMAT = r"Y-m-d H:i \U\T\C"
TIME_FORMAT = r"H:i:s \U\T\C"
DATE_INPUT_FORMATS = ["%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"]
