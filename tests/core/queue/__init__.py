"""fmnist_core.queue: the job queue, its workers and transports (embedded and RQ)."""
