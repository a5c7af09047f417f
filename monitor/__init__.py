"""onestop-monitor: measures queues and staff presence at one-stop counters from CCTV cameras."""

__version__ = "0.1.0"
