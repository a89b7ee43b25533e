"""Code tasks the integration and security tests start workers and servers with (``--tasks tests.tasks_pkg.…``)."""
