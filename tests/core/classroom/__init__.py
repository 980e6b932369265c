"""fmnist_core.classroom: class codes, stores (SQLite, Redis) and the board."""
