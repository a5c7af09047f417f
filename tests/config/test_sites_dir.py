"""sites_dir: each ward in its own file, errors with that file's own lines, and the zone editor's file of a site."""

import textwrap

import pytest

from monitor.config import ConfigError, load_config

MAIN = textwrap.dedent("""\
    # main file: service settings and one inline site
    sites_dir: sites.d
    sites:
      - id: inline
        name: "Inline"
        counters: [{id: d1}]
        cameras:
          - {id: cam-a, url: a.mp4, zones: [{id: s1, kind: staff, counter: d1, polygon: [[0, 0], [1, 0], [1, 1]]}]}
    """)

WARD = textwrap.dedent("""\
    # one ward per file
    id: coc-leu
    name: "Phường Cốc Lếu"
    counters:
      - {id: desk-1}
    cameras:
      - id: hall-1
        url: hall.mp4
        zones:
          - {id: waiting, kind: queue, polygon: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]}
          - {id: desk-1-staff, kind: staff, counter: desk-1, polygon: [[0, 0], [0.5, 0], [0.5, 0.5]]}
    """)


@pytest.fixture
def layout(tmp_path):
    (tmp_path / "sites.d").mkdir()
    (tmp_path / "config.yaml").write_text(MAIN)
    (tmp_path / "sites.d" / "coc-leu.yaml").write_text(WARD)
    return tmp_path


def test_site_files_join_the_inline_sites_and_are_remembered(layout):
    loaded = load_config(layout / "config.yaml", env={})
    assert [s.id for s in loaded.config.sites] == ["inline", "coc-leu"]
    assert loaded.config.sites[1].cameras[0].zones[1].counter == "desk-1"
    assert loaded.file_of("coc-leu") == layout / "sites.d" / "coc-leu.yaml"
    assert loaded.file_of("inline") == layout / "config.yaml"


def test_an_error_in_a_site_file_names_that_file_and_its_line(layout):
    (layout / "sites.d" / "coc-leu.yaml").write_text(WARD.replace("counter: desk-1, polygon", "counter: desk-9, "
                                                                                              "polygon"))
    with pytest.raises(ConfigError) as info:
        load_config(layout / "config.yaml", env={})
    [issue] = [i for i in info.value.issues if not i.warning]
    assert issue.file == str(layout / "sites.d" / "coc-leu.yaml")
    assert (issue.line, issue.path) == (11, "cameras[0].zones[1].counter")
    assert "unknown counter 'desk-9'" in issue.message


def test_ids_must_be_unique_across_files_and_errors_in_the_main_file_keep_its_lines(layout):
    (layout / "sites.d" / "coc-leu.yaml").write_text(WARD.replace("id: hall-1", "id: cam-a"))
    with pytest.raises(ConfigError) as info:
        load_config(layout / "config.yaml", env={})
    [issue] = [i for i in info.value.issues if not i.warning]
    assert issue.file is not None and issue.file.endswith("coc-leu.yaml") and issue.line == 7
    assert "duplicate camera id 'cam-a'" in issue.message
    (layout / "config.yaml").write_text(MAIN.replace("kind: staff", "kind: desk"))
    (layout / "sites.d" / "coc-leu.yaml").write_text(WARD)
    with pytest.raises(ConfigError) as info:
        load_config(layout / "config.yaml", env={})
    [issue] = [i for i in info.value.issues if not i.warning]
    assert issue.file is None and issue.line == 8 and issue.path == "sites[0].cameras[0].zones[0].kind"


def test_yaml_syntax_error_and_a_missing_folder(layout):
    (layout / "sites.d" / "broken.yaml").write_text("id: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_config(layout / "config.yaml", env={})
    assert info.value.issues[0].file.endswith("broken.yaml") and "YAML syntax" in info.value.issues[0].message
    (layout / "config.yaml").write_text(MAIN.replace("sites.d", "nowhere.d"))
    with pytest.raises(ConfigError) as info:
        load_config(layout / "config.yaml", env={})
    assert info.value.issues[0].line == 2 and "cannot read folder" in info.value.issues[0].message


def test_texts_validate_a_change_before_it_is_written(layout):
    ward = layout / "sites.d" / "coc-leu.yaml"
    changed = WARD.replace("[0.5, 0.5]]}", "[0.5, 0.5], [0.6, -0.1]]}")
    with pytest.raises(ConfigError) as info:
        load_config(layout / "config.yaml", env={}, texts={ward.resolve(): changed})
    assert any("outside 0..1" in i.message and i.line == 11 for i in info.value.issues)
    assert load_config(layout / "config.yaml", env={}).config.sites[1].id == "coc-leu"  # the file is untouched
