from bot.content.repair import decode_bytes, repair_text


def test_greek_codepage_mojibake_is_repaired() -> None:
    assert (
        repair_text("course (coming soon) β€” I’m working") == "course (coming soon) — I’m working"
    )
    assert repair_text("β€œquotedβ€\x9d") == "“quoted”"
    assert repair_text("Machine Learning Monthly πŸ’»πŸ€–") == "Machine Learning Monthly 💻🤖"


def test_lost_bytes_drop_only_the_broken_character() -> None:
    assert repair_text("Python Monthly πŸ’»πŸ") == "Python Monthly 💻"


def test_latin1_mojibake_is_repaired_by_ftfy() -> None:
    assert repair_text("cafÃ© dÃ©jÃ  vu") == "café déjà vu"


def test_correct_text_is_left_alone() -> None:
    for text in ("Καλημέρα κόσμε", "«ΑΒΓ»", "naïve café — “quotes” 💻🤖", "plain ascii"):
        assert repair_text(text) == text


def test_decode_bytes_falls_back_to_windows_1252() -> None:
    assert decode_bytes("\ufeffhé".encode()) == "hé"
    assert decode_bytes("h\xe9".encode("cp1252")) == "hé"
    assert decode_bytes("hé 💻".encode("utf-16")) == "hé 💻"


def test_lone_lead_characters_are_read_from_their_context() -> None:
    """Continuation bytes lost: "Iβm" was "I’m", "β¦" was "…", a lone "π" was an emoji."""
    text = (
        "Iβm here.\nWhat you missed as a Machine Learning Engineerβ¦\nMy work π\nfast β and cheap"
    )
    assert repair_text(text) == (
        "I’m here.\nWhat you missed as a Machine Learning Engineer…\nMy work \nfast — and cheap"
    )


def test_text_with_no_sign_of_mojibake_skips_the_repair() -> None:
    text = "plain text — with “quotes”, café and 💻 " * 10_000
    assert repair_text(text) is text
