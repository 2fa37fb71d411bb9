"""gunicorn settings for the portal's web process; every value can be set from the environment."""

import os
from pathlib import Path
from typing import Any

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# gthread workers keep a client's connection open between requests (a loan origination
# system sends many); sync workers close it after every answer, so each request paid for
# a new TCP connection: measured 2 ms of a 8 ms single prediction on the 2-core machine.
# One thread per worker keeps sync's one-request-at-a-time model. Behind a load balancer,
# set the keep-alive above the balancer's idle timeout.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
max_requests = 5000
max_requests_jitter = 500
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
# Each worker touches a heartbeat file on every loop, twice a request; on a disk-backed /tmp
# that is a journaled metadata write each time (gunicorn's docs: "Blocking os.fchmod").
# gunicorn makes the file with mkstemp and unlinks it at once, so a shared tmpfs is safe.
SHARED_MEMORY = "/dev/shm"  # nosec B108
worker_tmp_dir = SHARED_MEMORY if os.path.isdir(SHARED_MEMORY) else None
# No `gunicornc` control socket: its default path is one per user ($HOME/.gunicorn/), so on a
# machine running several portals (make run beside a benchmark, the system tests) each new
# server takes the socket over and the first to stop deletes it, and a command meant for one
# server reaches another. The portal is managed with signals (TERM to stop, HUP to reload).
control_socket_disable = True

# Prometheus: every worker process writes its metrics to files in this folder and /metrics
# adds them up (loanportal/metrics.py). Set here, before any worker imports
# prometheus_client, so every way of starting gunicorn (make run, Docker) gets it.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(Path(__file__).resolve().parent.parent / "var" / "prometheus"))


def on_starting(server: Any) -> None:
    """Counters start from zero with the server: files left by an earlier run's workers
    would otherwise be added in for ever."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker: Any) -> None:
    """Import the URLconf (views, serializers: ~130 ms) and load the default model before
    the worker takes requests, so that no client waits for either, not even after
    `max_requests` recycles the worker. Without a production version or a database the
    first request simply tries again."""
    from django.conf import settings
    from django.db import connections
    from django.urls import get_resolver

    from predictions.errors import NoProductionVersion, UnknownModel
    from predictions.selectors import serving_model

    get_resolver().url_patterns  # noqa: B018 - importing every view is the point
    try:
        serving_model(model_name=settings.DEFAULT_MODEL_NAME)
    except (NoProductionVersion, UnknownModel) as reason:
        worker.log.info("Model not loaded ahead: %s", reason.message)
    except Exception as error:  # the database may be down; requests will report it
        worker.log.warning("Model not loaded ahead: %s", error)
    finally:
        # Requests run on other threads with their own connections; this one would idle.
        connections.close_all()


# Each worker on a CPU of its own (off unless GUNICORN_CPU_AFFINITY=true). A gthread worker
# hands every request from its main thread to its request thread and back; left to the
# kernel, the two threads and the worker bounce between cores and each request starts on
# cold caches. Pinned, one prediction at concurrency 1 on the 2-core benchmark machine took
# 1.8-3.1 ms at the median instead of 2.3-4.0 ms (README "Performance"). Turn it on only
# where the portal's CPUs are its own (a VM or host per service, Kubernetes' static CPU
# manager): on a shared node, every replica would pin its workers to the same first CPUs.
cpu_affinity = os.environ.get("GUNICORN_CPU_AFFINITY", "false").lower() == "true"


def pre_fork(server: Any, worker: Any) -> None:
    """In the arbiter: give the new worker the allowed CPU with the fewest live workers,
    so a worker recycled after `max_requests` takes the CPU its predecessor left."""
    if cpu_affinity:
        taken = [getattr(other, "cpu", None) for other in server.WORKERS.values()]
        worker.cpu = min(sorted(os.sched_getaffinity(0)), key=taken.count)


def post_fork(server: Any, worker: Any) -> None:
    """In the new worker, before it starts its threads (they inherit the affinity)."""
    if cpu_affinity:
        os.sched_setaffinity(0, {worker.cpu})
