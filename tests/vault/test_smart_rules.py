"""The smart-folder rule language: what is accepted, and how refusals read."""

from __future__ import annotations

import pytest

from mediavault_dav.vault.smart_rules import FIELDS, InvalidRule, compile_rules


def _refusal(rules: object) -> str:
    with pytest.raises(InvalidRule) as raised:
        compile_rules(rules)
    return str(raised.value)


def test_every_field_and_combinator_compiles_to_bound_parameters() -> None:
    rules = {"all": [
        {"name": "IMG_*.jpg"}, {"extension": ["JPG", ".png"]}, {"mime": ["image/*", "video/mp4"]},
        {"category": "Images"}, {"tags": {"all": ["a"], "any": ["b", "c"], "none": ["d"]}},
        {"size": {"min": "1.5 MB", "max": 10_000_000}}, {"created": {"within": "30d"}},
        {"modified": {"from": "2024-01-01", "to": "2024-12-31"}}, {"folder": "/Photos/2024"},
        {"album": "Trip"}, {"width": {"min": 1920}}, {"height": {"max": 4000}},
        {"any": [{"duration": {"min": "2m"}}, {"not": {"folder": {"in": "/Archive"}}}]},
    ]}
    compiled = compile_rules(rules)
    assert "IMG" not in compiled.condition and "Photos" not in compiled.condition  # values are parameters
    assert compiled.params["rule_0"] == ["img\\_%.jpg"]
    assert compiled.params["rule_1"] == ["jpg", "png"]
    assert 1_500_000 in compiled.params.values()
    assert compiled.categories == ("Images",)
    assert set(FIELDS) == {"name", "extension", "mime", "category", "tags", "size", "created", "modified",
                           "folder", "album", "width", "height", "duration"}


def test_user_text_never_becomes_sql() -> None:
    hostile = "x'); DROP TABLE files; --"
    compiled = compile_rules({"any": [{"name": hostile}, {"tags": [hostile]}, {"album": hostile},
                                      {"category": hostile}]})
    assert "DROP" not in compiled.condition and hostile in str(compiled.params)


@pytest.mark.parametrize(("rules", "expected"), [
    ([], "rules: a rule set is a JSON object"),
    ({}, "rules: an object holds exactly one field or combinator, found nothing"),
    ({"colour": "red"}, "rules: unknown field 'colour'; valid fields: name, extension, mime, category, tags, "
                        "size, created, modified, folder, album, width, height, duration; combinators: all, any, not"),
    ({"name": "a", "size": {"min": 1}}, "found 'name', 'size' (combine several with"),
    ({"all": []}, "rules.all: expected a non-empty list of rule sets"),
    ({"all": [{"size": {"min": "lots"}}]}, "rules.all[0].size.min: expected bytes as a number or text such as"),
    ({"all": [{"extension": "jpg"}, {"tags": {"some": ["x"]}}]},
     "rules.all[1].tags: unknown key 'some'; valid keys: all, any, none"),
    ({"size": {"min": 10, "max": 5}}, "rules.size: min is larger than max"),
    ({"modified": {"within": "soon"}}, "rules.modified.within: expected a period such as"),
    ({"created": {"within": "3d", "from": "2024-01-01"}}, "rules.created: use either within or from/to"),
    ({"created": {"from": "yesterday"}}, "rules.created.from: expected a date"),
    ({"folder": "Photos"}, "rules.folder.under: expected a folder path below /Files/"),
    ({"folder": "/a/../b"}, "rules.folder.under: '..' is not a usable name"),
    ({"mime": "image"}, "rules.mime: 'image' is not a content type"),
    ({"width": {"min": -1}}, "rules.width.min: expected a whole number of 0 or more"),
    ({"not": {"any": [{"name": 3}]}}, "rules.not.any[0].name: expected a name pattern"),
    ({"tags": {"any": ["ok", "bad/name"]}}, "rules.tags.any: a name may not contain '/'"),
])
def test_a_bad_rule_is_refused_with_its_place_and_what_is_valid(rules: object, expected: str) -> None:
    assert expected in _refusal(rules)


def test_limits_keep_a_rule_set_small() -> None:
    deep: dict = {"name": "x"}
    for _ in range(20):
        deep = {"not": deep}
    assert "at most 12 levels" in _refusal(deep)
    assert "at most 100" in _refusal({"any": [{"name": "x"}] * 101})
