from conformance.guides import STEPS


def test_every_guide_section_has_its_steps() -> None:
    prefixes = {step_id[0] for step_id in STEPS}
    assert prefixes == set("PCASHRTOMF")
    assert [s for s in STEPS if s.startswith("A")] == [f"A{n}" for n in range(1, 9)]
    assert [s for s in STEPS if s.startswith("M")] == [f"M{n}" for n in range(1, 5)]


def test_steps_are_quoted_in_french_with_the_guide_labels() -> None:
    assert "« Se connecter »" in STEPS["P1"].words
    assert "« J’accepte les conditions générales d’utilisation »" in STEPS["A6"].words
