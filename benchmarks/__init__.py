"""Benchmarks of onestop-monitor, beside the package and not installed with it (`onestop-monitor bench` runs them).

A camera-like clip, a GStreamer RTSP server that tests use too (rtsp_server.py), the measured service process
(worker.py, through the engine's public hooks and metrics: measure.py), the bare-model timing and the
Ultralytics QueueManager comparison.
"""
