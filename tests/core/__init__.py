"""Tests of fmnist_core, one folder a subpackage (the app's pages: tests/app, real browsers: tests/browser)."""
