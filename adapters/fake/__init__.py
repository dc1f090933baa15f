"""An in-memory platform for tests and the demo."""
