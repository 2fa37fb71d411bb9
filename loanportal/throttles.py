"""Per-client request rates on the Django cache (Redis in production).

DRF's stock `SimpleRateThrottle` keeps every request's timestamp in one cache entry and
rewrites the whole list on each request: at the rates a loan origination system (or the
benchmark) sends, that is tens of thousands of floats pickled per request. This throttle
counts requests per client in fixed windows with one atomic `incr`, O(1) whatever the
rate. A client may burst to twice its rate across a window boundary; that is the price.

When the cache is down (django-redis with IGNORE_EXCEPTIONS returns None), requests are
let through: scoring must go on without Redis.
"""

from typing import Any

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle


class ClientRateThrottle(SimpleRateThrottle):
    """`scope`'s rate from `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`, per authenticated client."""

    scope = "api"

    def get_rate(self) -> str | None:
        # Read per instance rather than at import, so settings overrides take effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request: Any, view: Any) -> str | None:
        if not request.user.is_authenticated:
            return None
        return f"throttle:{self.scope}:{request.user.pk}"

    def allow_request(self, request: Any, view: Any) -> bool:
        key = self.get_cache_key(request, view) if self.rate else None
        if key is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.window_end = (window + 1) * self.duration
        key = f"{key}:{window}"
        # One cache round trip per request: only a window's first request creates its entry.
        try:
            count = self.cache.incr(key)
        except ValueError:  # no entry yet for this window
            count = 1 if self.cache.add(key, 1, timeout=self.duration + 1) else self.cache.incr(key)
        return count is None or count <= self.num_requests

    def wait(self) -> float:
        return max(self.window_end - self.timer(), 1.0)


class BatchRateThrottle(ClientRateThrottle):
    scope = "api-batch"
