"""Tests in real headless Chromium (Playwright) against a running app; helpers.py starts servers and pages."""
