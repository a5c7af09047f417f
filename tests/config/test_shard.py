"""Sharding by site: spec parsing, rendezvous hashing (stable, balanced, ~1/N moves), plans, check-config --shards."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from monitor.config import AppConfig
from monitor.config.shard import Shard, ShardError, parse_shard, plan, select_shard, shard_of, sites_for
from tests.support.paths import REPO
from tests.support.province import province

IDS = [f"xa-{i:03d}" for i in range(1000)]


@pytest.mark.parametrize(("spec", "host", "want"), [
    ("0/1", None, Shard(0, 1)), ("2/3", None, Shard(2, 3)), (" 1 / 4 ", None, Shard(1, 4)),
    ("ordinal/3", "onestop-monitor-2", Shard(2, 3)), ("ordinal/5", "web-0", Shard(0, 5)),
])
def test_parse_shard(spec: str, host: str | None, want: Shard) -> None:
    assert parse_shard(spec, hostname=host) == want


@pytest.mark.parametrize(("spec", "host", "message"), [
    ("3/3", None, "index 3 is not below the shard count 3"),
    ("1/0", None, "N must be between 1 and 256"),
    ("a/b", None, "must be 'I/N'"),
    ("1", None, "must be 'I/N'"),
    ("ordinal/3", "laptop", "hostname 'laptop' does not end in '-<ordinal>'"),
    ("ordinal/3", "onestop-monitor-3", "index 3 is not below the shard count 3"),
])
def test_bad_shard_specs_say_what_to_write(spec: str, host: str | None, message: str) -> None:
    with pytest.raises(ShardError, match=message):
        parse_shard(spec, hostname=host)


def test_assignment_is_stable_and_independent_of_process_and_order() -> None:
    code = "from monitor.config.shard import shard_of; print([shard_of(f'xa-{i:03d}', 7) for i in range(50)])"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True,
                           env={"PYTHONHASHSEED": "123", "PYTHONPATH": str(REPO)})
    assert other.stdout.strip() == str([shard_of(i, 7) for i in IDS[:50]])


@pytest.mark.parametrize("n", [2, 3, 4, 8])
def test_every_site_is_in_exactly_one_shard_and_shards_are_balanced(n: int) -> None:
    counts = Counter(shard_of(i, n) for i in IDS)
    assert sorted(counts) == list(range(n)) and sum(counts.values()) == len(IDS)
    assert max(counts.values()) < 1.25 * len(IDS) / n  # 1000 sites: each shard within 25% of its share


@pytest.mark.parametrize("n", [1, 2, 3, 5, 9])
def test_adding_a_shard_moves_only_sites_to_the_new_one(n: int) -> None:
    before = {i: shard_of(i, n) for i in IDS}
    after = {i: shard_of(i, n + 1) for i in IDS}
    moved = [i for i in IDS if before[i] != after[i]]
    assert all(after[i] == n for i in moved)  # nothing reshuffles between the old shards
    share = len(IDS) / (n + 1)
    assert 0.75 * share < len(moved) < 1.25 * share


def test_select_and_plan_cover_the_config() -> None:
    cfg = AppConfig.model_validate(province(12, cameras=lambda i: 1 + i % 3))
    shards = [select_shard(cfg, Shard(i, 3)) for i in range(3)]
    ids = [s.id for c in shards for s in c.sites]
    assert sorted(ids) == sorted(s.id for s in cfg.sites)
    assert all(c.detector == cfg.detector and c.service == cfg.service for c in shards)
    p = plan(cfg, 3)
    assert [x.sites for x in p] == [[s.id for s in sites_for(cfg.sites, Shard(i, 3))] for i in range(3)]
    assert sum(x.cameras for x in p) == sum(len(s.cameras) for s in cfg.sites) == 24
    assert sum(x.samples_per_s for x in p) == pytest.approx(24 / 3)
    assert p[0].cpu_cores == pytest.approx(p[0].samples_per_s * 0.044)


def test_check_config_prints_the_plan(tmp_path: Path) -> None:
    path = tmp_path / "province.yaml"
    path.write_text(yaml.safe_dump(province(12, cameras=2, sample_every="2s"), allow_unicode=True))
    res = subprocess.run([sys.executable, "-m", "monitor", "check-config", str(path), "--shards", "3"],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].endswith("OK (12 site(s), 24 camera(s), 48 zone(s))")
    cfg = AppConfig.model_validate(province(12, cameras=2, sample_every="2s"))
    for i in range(3):
        sites = sites_for(cfg.sites, Shard(i, 3))
        assert lines[1 + i].startswith(f"shard {i}/3: {len(sites)} site(s), {2 * len(sites)} camera(s), "
                                       f"{len(sites):.1f} samples/s")
        assert lines[1 + i].endswith(", ".join(s.id for s in sites))
    assert lines[4].startswith("total: 12 site(s), 24 camera(s), 12.0 samples/s")
    bad = subprocess.run([sys.executable, "-m", "monitor", "check-config", str(path), "--shards", "0"],
                         capture_output=True, text=True, cwd=REPO, timeout=120)
    assert bad.returncode == 2 and "--shards must be between 1 and 256" in bad.stderr


def test_shard_is_a_config_field_and_an_override(tmp_path: Path) -> None:
    from monitor.config import ConfigError, load_config

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({**province(2), "service": {"shard": "1/2"}}, allow_unicode=True))
    assert load_config(path).config.service.shard == "1/2"
    assert load_config(path, env={"ONESTOP__SERVICE__SHARD": "ordinal/4"}).config.service.shard == "ordinal/4"
    with pytest.raises(ConfigError, match="service.shard"):
        load_config(path, env={"ONESTOP__SERVICE__SHARD": "half"})
