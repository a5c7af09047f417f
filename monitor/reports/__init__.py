"""Reports: per-minute history in the state dir, service-level figures, ward rankings, Excel/CSV/JSON, schedules."""
