from __future__ import annotations

from memento_tui.domain.retrieval.tokenize import compound_extras, tokenize


def test_hyphenated_and_snake_case_names_give_parts_and_the_joined_word() -> None:
    assert tokenize("csv-to-json") == ["csv", "json", "csvtojson"]
    tokens = tokenize("snake_case_name")
    assert {"snake", "case", "name"} <= set(tokens)
    assert "snakecasenam" in tokens  # the joined word, stemmed like any other


def test_camel_case_gives_the_whole_word_and_its_parts() -> None:
    tokens = tokenize("camelCase")
    assert "camelcas" in tokens and "camel" in tokens and "case" in tokens
    assert set(tokenize("PDF&URLTool")) >= {"pdf", "urltool", "url", "tool"}


def test_letters_and_digits_stay_together() -> None:
    assert compound_extras("mp3 C3_Glide") == ["C3Glide"]
    assert "mp3" in tokenize("convert an mp3")


def test_stopwords_go_and_words_are_stemmed() -> None:
    assert tokenize("Convert this CSV file to JSON") == ["convert", "csv", "file", "json"]
    assert tokenize("running jumps") == ["run", "jump"]


def test_query_and_document_forms_meet() -> None:
    # A person typing the joined or the split form finds the hyphenated name.
    name = set(tokenize("csv-to-json"))
    assert set(tokenize("csvtojson")) <= name
    assert set(tokenize("csv to json")) <= name
