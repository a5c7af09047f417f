"""Support code for the tests: paths, servers, receivers."""
