"""How an opener is chosen, the registry and its entry points."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from procdeck.client.errors import ClientError
from procdeck.results import (
    KINDS,
    Opener,
    ResultOpenError,
    Source,
    _modules,
    choose_opener,
    open_source,
    openers,
    register_opener,
    registry,
    unregister_opener,
)

PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


@pytest.fixture(autouse=True)
def fresh_registry():
    registry._REGISTRY.reset()
    yield
    registry._REGISTRY.reset()


def _name(source: Source, as_: str | None = None, **kw) -> str | None:
    opener = choose_opener(source, as_, **kw)
    return opener.name if opener else None


def test_media_type_beats_extension_beats_sniff() -> None:
    assert _name(Source("o", data=PNG, href="x.csv", media_type="application/json")) == "json"
    assert _name(Source("o", data=PNG, href="https://h/x.csv?sig=1")) == "pandas.csv"
    assert _name(Source("o", data=PNG, href="https://h/out")) == "image.pil"


def test_media_type_parameters_and_case_are_ignored() -> None:
    assert _name(Source("o", media_type="Text/CSV; charset=utf-8")) == "pandas.csv"
    tiff = Source("o", media_type="image/tiff; application=geotiff")
    if _modules.missing(("rioxarray",)):  # no procdeck extra ships it: the message names it
        with pytest.raises(ResultOpenError, match=r"needs rioxarray.*pip install rioxarray"):
            choose_opener(tiff)
    else:
        assert _name(tiff) == "xarray.geotiff"


def test_suffix_and_wildcard_media_types() -> None:
    assert _name(Source("o", media_type="application/geo+json")) == "geopandas.geojson"
    assert _name(Source("o", media_type="application/ld+json")) == "json"
    assert _name(Source("o", media_type="text/markdown")) == "text"


def test_schema_content_media_type_then_format() -> None:
    schema = {"type": "string", "contentMediaType": "image/png", "format": "binary"}
    assert _name(Source("o", href="https://h/out", schema=schema)) == "image.pil"
    assert _name(Source("o", href="https://h/out", schema={"format": "binary"})) == "bytes"
    geo = {"type": "object", "format": "geojson-feature-collection"}
    assert _name(Source("o", value={}, has_value=True, schema=geo)) == "geopandas.geojson"
    # the source's own media type comes first
    assert _name(Source("o", data=b"a", media_type="text/csv", schema=schema)) == "pandas.csv"


def test_a_generic_media_type_leaves_the_choice_to_the_bytes() -> None:
    assert _name(Source("o", data=PNG, media_type="application/octet-stream")) == "image.pil"
    assert _name(Source("o", data=b"\x00\x01",
                        media_type="application/octet-stream")) == "bytes"


def test_zarr_by_extension_anywhere_in_the_path() -> None:
    for href in ("https://h/cube.zarr", "https://h/cube.zarr/", "s3://b/cube.zarr/group"):
        assert _name(Source("o", href=href)) == "xarray.zarr", href
    assert _name(Source("o", href="https://h/cube.zarr", store=object())) == "xarray.zarr"


def test_inline_values_default_by_their_form() -> None:
    assert _name(Source("o", value={"a": 1}, has_value=True)) == "json"
    assert _name(Source("o", value=[1, 2], has_value=True)) == "json"
    assert _name(Source("o", value=3.5, has_value=True)) == "json"
    assert _name(Source("o", value="hi", has_value=True)) == "text"
    # a value-only source never goes to an opener that cannot take a value
    assert _name(Source("o", value="hi", has_value=True, media_type="image/png")) == "text"
    assert _name(Source("o", data=b"\x00")) == "bytes"


def test_nothing_to_go_on_yet_is_none() -> None:
    assert choose_opener(Source("o", href="https://h/out")) is None
    assert choose_opener(Source("o", data=PNG), sniff=False) is None
    with pytest.raises(ResultOpenError, match="nothing to read yet"):
        open_source(Source("o", href="https://h/out"))


def test_as_overrides_by_kind_or_by_name() -> None:
    csv = Source("o", data=b"a\n1\n", media_type="text/csv")
    assert _name(csv, "text") == "text"
    assert _name(csv, "bytes") == "bytes"
    assert _name(csv, "pandas.csv") == "pandas.csv"
    assert open_source(csv, "text") == "a\n1\n"
    parquet = Source("o", data=b"PAR1....")
    assert _name(parquet, "pandas") == "pandas.parquet"  # the kind's opener that fits
    assert _name(parquet, "geopandas") == "geopandas.parquet"
    assert _name(Source("o", data=b"x,y\n"), "pandas") == "pandas.csv"  # the kind's default


def test_an_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(ResultOpenError) as caught:
        choose_opener(Source("o", data=b""), "dataframe")
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, ClientError)
    for kind in KINDS:
        assert kind in str(caught.value)


def test_a_missing_module_names_the_extra() -> None:
    register_opener(Opener("fancy.table", "pandas", lambda s: None, media_types=("text/x-fancy",),
                           modules=("no_such_module_xyz",), extra="fancy"))
    with pytest.raises(ResultOpenError) as caught:
        open_source(Source("out1", data=b"", media_type="text/x-fancy"))
    error = caught.value
    assert error.extra == "fancy" and error.opener == "fancy.table"
    assert "'out1'" in str(error) and "text/x-fancy" in str(error)
    assert "no_such_module_xyz" in str(error) and "procdeck[fancy]" in str(error)


def test_missing_pyarrow_names_the_pandas_extra(monkeypatch) -> None:
    real = _modules.find_spec
    asked: list[str] = []

    def find_spec(name):
        asked.append(name)
        return None if name == "pyarrow" else real(name)

    monkeypatch.setattr(_modules, "find_spec", find_spec)
    with pytest.raises(ResultOpenError) as caught:
        open_source(Source("table", href="https://h/t.parquet", data=b"PAR1"))
    assert caught.value.extra == "pandas" and "pip install 'procdeck[pandas]'" in str(
        caught.value)
    assert "pyarrow" in asked


def test_an_installed_opener_wins_over_a_missing_one() -> None:
    register_opener(Opener("png.fast", "image", lambda s: "fast", media_types=("image/png",),
                           modules=("no_such_module_xyz",), priority=50))
    assert _name(Source("o", data=PNG, media_type="image/png")) == "image.pil"
    register_opener(Opener("png.mine", "image", lambda s: "mine", media_types=("image/png",),
                           priority=5))
    assert open_source(Source("o", data=PNG, media_type="image/png")) == "mine"


def test_register_and_unregister() -> None:
    mine = Opener("mine.csv", "pandas", lambda s: "mine", media_types=("text/csv",), priority=9)
    register_opener(mine)
    assert mine in openers()
    with pytest.raises(ValueError, match="already registered"):
        register_opener(mine)
    assert open_source(Source("o", data=b"a", media_type="text/csv")) == "mine"
    register_opener(Opener("mine.csv", "text", lambda s: "other", media_types=("text/csv",),
                           priority=9), replace=True)
    assert open_source(Source("o", data=b"a", media_type="text/csv")) == "other"
    unregister_opener("mine.csv")
    assert "mine.csv" not in [o.name for o in openers()]
    with pytest.raises(KeyError):
        unregister_opener("mine.csv")
    unregister_opener("image.pil")  # a built-in too
    assert _name(Source("o", data=PNG)) == "bytes"
    with pytest.raises(TypeError):
        register_opener("not an opener")  # type: ignore[arg-type]


class FakeEntryPoint:
    def __init__(self, name: str, value: str, load) -> None:
        self.name, self.value, self._load = name, value, load

    def load(self):
        return self._load()


def _custom() -> list[Opener]:
    return [Opener("custom.thing", "json", lambda s: "custom!", media_types=("x/thing",))]


def test_entry_points_load_once_and_a_broken_one_is_skipped(monkeypatch) -> None:
    loads: list[str] = []

    def broken():
        raise ImportError("plugin exploded")

    def builtin():
        loads.append("builtin")
        from procdeck.results.builtin import builtin_openers
        return builtin_openers

    points = [
        FakeEntryPoint("bad", "plugin_bad:openers", broken),
        FakeEntryPoint("good", "plugin_good:openers", lambda: _custom),
        FakeEntryPoint("single", "plugin_single:OPENER", lambda: Opener(
            "custom.single", "text", lambda s: "single", media_types=("x/single",))),
        FakeEntryPoint("builtin", registry.BUILTINS_ENTRY_POINT, builtin),
    ]
    monkeypatch.setattr(registry, "_entry_points", lambda: points)
    with pytest.warns(RuntimeWarning, match=r"'bad'.*plugin exploded"):
        names = [o.name for o in openers()]
    assert names[0] == "xarray.zarr"  # built-ins first, even listed last
    assert {"custom.thing", "custom.single", "json"} <= set(names)
    assert len(names) == len(set(names))
    assert open_source(Source("o", data=b"", media_type="x/thing")) == "custom!"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        openers()  # loaded once: no second warning, no second load
    assert loads == ["builtin"]


def test_builtins_come_without_their_entry_point(monkeypatch) -> None:
    monkeypatch.setattr(registry, "_entry_points",
                        lambda: [FakeEntryPoint("good", "plugin_good:openers", lambda: _custom)])
    names = [o.name for o in openers()]
    assert names.count("pandas.csv") == 1 and names[-1] == "custom.thing"


def test_pyproject_offers_the_builtins_through_the_entry_point() -> None:
    import tomllib

    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    points = tomllib.loads(pyproject.read_text())["project"]["entry-points"]
    assert registry.BUILTINS_ENTRY_POINT in points[registry.ENTRY_POINT_GROUP].values()


def test_a_plugin_cannot_shadow_a_builtin_by_accident(monkeypatch) -> None:
    twin = Opener("json", "json", lambda s: "twin")
    monkeypatch.setattr(registry, "_entry_points",
                        lambda: [FakeEntryPoint("twin", "plugin:twin", lambda: twin)])
    with pytest.warns(RuntimeWarning, match="already registered"):
        assert open_source(Source("o", value={"a": 1}, has_value=True)) == {"a": 1}


def test_source_head_and_leniency(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"abcdef")
    assert Source("o", path=str(path)).head(3) == b"abc"  # type: ignore[arg-type]
    assert Source("o", data=bytearray(b"xyz")).head() == b"xyz"  # type: ignore[arg-type]
    assert Source("o", path=tmp_path).head() == b"" and Source("o").head() == b""
    assert open_source(Source("o", data=memoryview(b"\x00"))) == b"\x00"  # type: ignore[arg-type]
