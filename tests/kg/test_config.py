"""Settings: defaults, then a TOML file, then MESHKG_* variables (kg.config)."""

from __future__ import annotations

import pytest

from kg.config import SHACL_ENGINES, Settings, load_settings
from kg.errors import UsageError


def test_shacl_engine_defaults_to_turbo():
    assert load_settings(env={}).shacl_engine == "turbo" == Settings().shacl_engine


@pytest.mark.parametrize("engine", SHACL_ENGINES)
def test_shacl_engine_is_read_from_the_environment(engine):
    assert load_settings(env={"MESHKG_SHACL_ENGINE": engine}).shacl_engine == engine


def test_shacl_engine_is_read_from_the_config_file_and_the_environment_wins(tmp_path):
    config = tmp_path / "meshkg.toml"
    config.write_text('[meshkg]\nshacl_engine = "pyshacl"\n', "utf-8")
    assert load_settings(config, env={}).shacl_engine == "pyshacl"
    assert load_settings(config, env={"MESHKG_SHACL_ENGINE": "turbo"}).shacl_engine == "turbo"


def test_an_unknown_shacl_engine_is_a_usage_error_naming_its_source():
    with pytest.raises(UsageError, match="MESHKG_SHACL_ENGINE.*shacl_engine.*'jena'"):
        load_settings(env={"MESHKG_SHACL_ENGINE": "jena"})
