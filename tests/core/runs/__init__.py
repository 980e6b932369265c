"""fmnist_core.runs: training, results, the run cache and store, lineage, the timeline."""
