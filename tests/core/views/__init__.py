"""fmnist_core.views: charts and the progress bar."""
