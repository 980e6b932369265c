"""fmnist_core.i18n and the catalogs: languages, the glossary, rendered sentences."""
