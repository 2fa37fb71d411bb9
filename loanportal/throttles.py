"""Per-client request rates on the Django cache (Redis in production).

Each client has one counter per fixed window in the shared cache, added to with an atomic
`incr` (DRF's stock `SimpleRateThrottle` rewrites a list of every request's timestamp
instead). A client may burst to twice its rate across a window boundary; that is the
price of fixed windows.

Asking Redis on every request cost a third of a millisecond of a prediction's 2.5-3 ms,
so each worker process counts locally and reports its count in one `incr` when its
unreported requests reach 1/32 of what was left of the budget when it last heard the
total (`REPORT_SHARE`). Far from the limit a worker reports every few dozen requests; near
it, every request, and the total it hears back decides. The cost: between reports a
worker admits up to 1/32 of the rate unreported, so W workers can together exceed a
client's rate by W/32 of it at most. A worker never refuses without asking the cache.

When the cache is down (django-redis with IGNORE_EXCEPTIONS returns None), requests are
let through: scoring must go on without Redis.
"""

import threading
from dataclasses import dataclass
from typing import cast

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

REPORT_SHARE = 32


@dataclass
class _Window:
    """This worker's view of one client's current window."""

    number: int
    total: int | None = None  # the shared count last heard from the cache
    unreported: int = 0  # requests this worker has admitted since


# Throttle key -> the window this worker is counting for it. One entry per client and scope.
_windows: dict[str, _Window] = {}
_lock = threading.Lock()


class ClientRateThrottle(SimpleRateThrottle):
    """`scope`'s rate from `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`, per authenticated client."""

    scope = "api"
    # Set from the rate by SimpleRateThrottle; only read when there is a rate.
    num_requests: int
    duration: int

    def get_rate(self) -> str | None:
        # Read per instance rather than at import, so settings overrides take effect.
        # DRF's type stubs take the rates for numbers; they are "<count>/<period>" strings.
        return cast("str | None", api_settings.DEFAULT_THROTTLE_RATES.get(self.scope))

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if not request.user.is_authenticated:
            return None
        return f"throttle:{self.scope}:{request.user.pk}"

    def allow_request(self, request: Request, view: APIView) -> bool:
        key = self.get_cache_key(request, view) if self.rate else None
        if key is None:
            return True
        number = int(self.timer() // self.duration)
        self.window_end = (number + 1) * self.duration
        with _lock:
            window = _windows.get(key)
            if window is None or window.number != number:
                window = _windows[key] = _Window(number)
            window.unreported += 1
            if window.total is not None:
                share = max(1, (self.num_requests - window.total) // REPORT_SHARE)
                if window.unreported < share:
                    return True  # total + unreported stays below the limit
            report, window.unreported = window.unreported, 0
        total = self._add(f"{key}:{number}", report)
        if total is None:
            return True
        window.total = total
        return total <= self.num_requests

    def _add(self, key: str, count: int) -> int | None:
        """Add `count` to the shared counter `key`; its new value, or None without a cache."""
        try:
            return self.cache.incr(key, count)
        except ValueError:  # no entry yet for this window: the first report creates it
            if self.cache.add(key, count, timeout=self.duration + 1):
                return count
            return self.cache.incr(key, count)

    def wait(self) -> float:
        return max(self.window_end - self.timer(), 1.0)


class BatchRateThrottle(ClientRateThrottle):
    scope = "api-batch"
