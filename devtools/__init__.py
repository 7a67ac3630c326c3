"""Loopback stand-ins and drivers that the tests and the benchmarks share: the Teams stand-in,
Azurite, the Functions-host driver, signed Outgoing Webhook requests, Alertmanager-shaped groups
and Microsoft's templating SDK under Node. Development only: never deployed (.funcignore).
"""
