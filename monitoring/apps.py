from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self) -> None:
        # Connects the receiver that opens a job-failure incident when retention gives up,
        # in every process (web, worker, beat, tests), whichever tasks it has imported.
        from . import tasks  # noqa: F401
