"""Benchmark: camera-like clip, RTSP server, the measured service process, the QueueManager comparison."""
