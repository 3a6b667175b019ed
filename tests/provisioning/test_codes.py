from idp.provisioning.codes import ALPHABET, LENGTH, new_activation_code, normalize_typed_code, printed


def test_codes_use_no_look_alike_characters() -> None:
    assert not set("0O1IL") & set(ALPHABET)
    for _ in range(200):
        code = new_activation_code()
        assert len(code) == LENGTH and set(code) <= set(ALPHABET)


def test_codes_are_not_repeated() -> None:
    assert len({new_activation_code() for _ in range(5000)}) == 5000


def test_printed_code_is_grouped_by_four() -> None:
    assert printed("K7QM3XPA9RT2") == "K7QM-3XPA-9RT2"


def test_typed_code_ignores_case_spaces_and_hyphens() -> None:
    assert normalize_typed_code(" k7qm-3xpa 9rt2 ") == "K7QM3XPA9RT2"
