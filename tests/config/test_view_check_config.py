"""The view_check section of a camera and the camera_moved rule: defaults, limits, references, warnings."""

from __future__ import annotations

import pytest

from monitor.config import CameraMovedRule, ConfigError, load_config, load_config_text
from tests.support.paths import REPO

SITE = """\
sites:
  - id: s
    name: S
    cameras:
      - id: hall-1
        url: rtsp://127.0.0.1/hall
        view_check: {view}
        zones:
          - {{id: waiting, kind: queue, polygon: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]}}
    alerts:
      rules:
        - {{kind: camera_moved, camera: {camera}, for: 1m}}
"""


def load(view: str = "{}", camera: str = "hall-1"):  # noqa: ANN201 - LoadedConfig
    return load_config_text(SITE.format(view=view, camera=camera), env={})


def test_defaults_and_rule() -> None:
    loaded = load()
    view = loaded.config.sites[0].cameras[0].view_check
    assert (view.enabled, view.threshold, view.every, view.reference_tag) == (True, 0.03, 1, None)
    rule = loaded.config.sites[0].alerts.rules[0]
    assert isinstance(rule, CameraMovedRule) and rule.for_ == 60.0
    assert not loaded.warnings


@pytest.mark.parametrize(("view", "path", "fragment"), [
    ("{threshold: 0}", "view_check.threshold", "greater than 0"),
    ("{threshold: 1.5}", "view_check.threshold", "less than or equal to 1"),
    ("{every: 0}", "view_check.every", "greater than or equal to 1"),
    ("{evry: 2}", "view_check.evry", "unknown field"),
])
def test_bad_values_name_their_field(view: str, path: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(view)
    assert any(i.path.endswith(path) and fragment in i.message and i.line == 7 for i in info.value.issues), \
        info.value.issues


def test_rule_names_an_existing_camera() -> None:
    with pytest.raises(ConfigError) as info:
        load(camera="hall-9")
    assert any(i.path == "sites[0].alerts.rules[0].camera" and "unknown camera 'hall-9'" in i.message
               for i in info.value.issues)


def test_rule_on_a_camera_without_view_check_is_a_warning() -> None:
    loaded = load("{enabled: false}")
    assert any("never fires" in str(w) for w in loaded.warnings), loaded.warnings


@pytest.mark.parametrize("name", ["demo.yaml", "example.yaml"])
def test_shipped_configs_check_views_by_default(name: str) -> None:
    cfg = load_config(REPO / "configs" / name).config
    assert all(c.view_check.enabled for s in cfg.sites for c in s.cameras)


def test_every_field_has_title_and_description() -> None:
    from monitor.config.view import ViewCheckConfig

    for name, field in ViewCheckConfig.model_fields.items():
        assert field.title and field.description, name
    for name, field in CameraMovedRule.model_fields.items():
        assert field.title and field.description, name
