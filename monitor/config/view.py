"""The camera view check of one camera: is the view still the one its zones were drawn on."""

from __future__ import annotations

from pydantic import Field

from .base import ConfigModel


class ViewCheckConfig(ConfigModel):
    """Compare the camera's view with a reference of its static scene, taken when its zones were saved."""

    enabled: bool = Field(True, title="Enabled",
                          description="Check regularly that the camera still shows the view its zones were drawn "
                                      "on; while it does not, its zones are unknown.")
    threshold: float = Field(0.03, gt=0, le=1, title="Shift threshold",
                             description="The view counts as moved at or above this shift ratio: mean displacement "
                                         "of the frame corners / frame diagonal (0.03: a shift of about 3.5% of the "
                                         "width, a rotation of 3.4 degrees, or a 6% zoom).")
    every: int = Field(1, ge=1, le=1000, title="Check every (samples)",
                       description="Compare every this many samples (a check costs about 1.5 ms of CPU, some 3% "
                                   "of a sample; the first sample after a start or a zone change always checks).")
    reference_tag: str | None = Field(None, max_length=64, title="Reference tag",
                                      description="Any text; changing it takes a new reference of the view without "
                                                  "changing the zones (e.g. after re-aiming the camera on purpose "
                                                  "and checking that the zones still fit).")
