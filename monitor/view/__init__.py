"""Camera view check: a reference of each camera's static scene, and how far the current view has moved from it."""
