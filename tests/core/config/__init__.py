"""fmnist_core.config: settings, their URL values and the public settings."""
