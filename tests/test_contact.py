import pytest

from idp.contact import ContactError, normalize_email, normalize_mobile, normalize_phone


@pytest.mark.parametrize(("typed", "stored"), [
    ("06 12 34 56 78", "+33612345678"),
    ("07.12.34.56.78", "+33712345678"),
    ("+33 6 12 34 56 78", "+33612345678"),
    ("+33 (0)6 12 34 56 78", "+33612345678"),
    ("0033612345678", "+33612345678"),
    ("+32 470 12 34 56", "+32470123456"),
])
def test_mobile_numbers_are_stored_in_e164(typed: str, stored: str) -> None:
    assert normalize_mobile(typed) == stored


@pytest.mark.parametrize("typed", ["01 23 45 67 89", "06 12 34", "12342671", "phone", "+33 1 23 45 67 89"])
def test_non_mobile_numbers_are_refused(typed: str) -> None:
    with pytest.raises(ContactError):
        normalize_mobile(typed)


def test_email_domain_is_lower_cased() -> None:
    assert normalize_email(" Danièle@Example.FR ".replace("è", "e")) == "Daniele@example.fr"


@pytest.mark.parametrize("typed", ["daniele", "daniele@", "@example.fr", "a b@example.fr", "a@example",
                                   "a..b@example.fr"])
def test_malformed_emails_are_refused(typed: str) -> None:
    with pytest.raises(ContactError):
        normalize_email(typed)


@pytest.mark.parametrize("typed, number", [
    ("06 12 34 56 78", "+33612345678"), ("07.12.34.56.78", "+33712345678"), ("01 64 12 34 56", "+33164123456"),
    ("05-56-00-00-00", "+33556000000"), ("09 70 12 34 56", "+33970123456"), ("+33 (0)1 64 12 34 56", "+33164123456"),
    ("0033 1 64 12 34 56", "+33164123456"), ("+33 6 12 34 56 78", "+33612345678"),
    ("+44 20 7946 0958", "+442079460958"),
])
def test_phone_accepts_mobiles_and_french_landlines(typed: str, number: str) -> None:
    assert normalize_phone(typed) == number


@pytest.mark.parametrize("typed", ["12 34", "08 00 12 34 56", "01 64 12 34", "+33 8 00 12 34 56", "téléphone"])
def test_phone_refuses_what_cannot_be_called_back(typed: str) -> None:
    with pytest.raises(ContactError):
        normalize_phone(typed)
