"""The auditor's report and the living guides (conformance.report), from a sample run folder."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask
from markupsafe import escape
from PIL import Image, ImageDraw
from pypdf import PdfReader

from conformance.guides import STEPS
from conformance.report import annotate, build_guides, build_report, expected_and_seen, publish_guides
from flows.portal import portal
from idp.app import create_app
from idp.config import Settings
from tests.typography import html_faults

RED = (225, 0, 15)
NB = "\u00a0"
C1_ALT = (f"Capture d’écran de la page «{NB}Connexion{NB}» de l’ENT, encadrés en rouge{NB}: (1) «{NB}Identifiant{NB}», "
          f"(2) «{NB}Mot de passe{NB}».")
"""The alternative text of the sample run's picture of step C1: its page and what is marked on it."""


def esc(text: str) -> str:
    """`text` as the pages' templates escape it."""
    return str(escape(text))


FAILURE = (f"Attendu{NB}: le message «{NB}Le mot de passe doit contenir au moins un chiffre.{NB}»\n"
           f"Constaté{NB}: aucun message d’erreur sous «{NB}Nouveau mot de passe{NB}»")
NOT_RUN = "SMS désactivé sur ce déploiement (sms_gateway absent)"


def screenshot(path: Path, title: str, height: int = 700) -> Path:
    """A page-like PNG: a header band, a title bar and two grey « fields »."""
    image = Image.new("RGB", (1000, height), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 999, 60), fill=(0, 0, 145))
    draw.text((20, 20), title, fill="white")
    draw.rectangle((100, 150, 600, 200), outline=(120, 120, 120), width=2, fill=(246, 246, 246))
    draw.rectangle((100, 260, 600, 310), outline=(120, 120, 120), width=2, fill=(246, 246, 246))
    image.save(path)
    return path


def entry(step_id: str, outcome: str = "passed", param: str | None = None, message: str | None = None,
          shot: str | None = None, callouts: list[dict] | None = None, duration: float = 1.25,
          heading: str | None = None) -> dict:
    step = STEPS[step_id]
    test = f"test_{step_id}_sample" + (f"[{param}]" if param else "")
    return {"id": step_id, "param": param, "test": test, "guide": step.guide, "section": step.section,
            "words": step.words, "outcome": outcome, "duration": duration, "message": message,
            "screenshot": shot, "callouts": callouts or [], "heading": heading}


def sample_run(folder: Path, failed: bool = True) -> Path:
    """A run of every step but S3 (not run), T1 and O2 (no entry); A1 has two cases, one failing;
    P3's page is 3,000 pixels long, with its callout near the bottom."""
    folder.mkdir(parents=True, exist_ok=True)
    login = screenshot(folder / "test_C1_sample.png", "Connexion").name
    long_page = screenshot(folder / "test_P3_sample.png", "Portail", height=3000).name
    activation = screenshot(folder / "test_A1_sample.png", "Activation de votre compte", height=900).name
    entries = []
    for step_id in STEPS:
        if step_id in ("T1", "O2"):
            continue
        if step_id == "S3":
            entries.append(entry("S3", "not run", message=NOT_RUN, duration=0.0))
        elif step_id == "A1":
            entries.append(entry("A1", param="abcdefgh", shot=activation,
                                 callouts=[{"n": 1, "box": [100, 150, 500, 50]}]))
            entries.append(entry("A1", "failed" if failed else "passed", param="abc1234", shot=activation,
                                 message=FAILURE if failed else None))
        elif step_id == "C1":
            entries.append(entry("C1", shot=login, heading="Connexion",
                                 callouts=[{"n": 1, "box": [100, 150, 500, 50], "label": "Identifiant"},
                                           {"n": 2, "box": [100, 260, 500, 50], "label": "Mot de passe"}]))
        elif step_id == "P3":
            entries.append(entry("P3", shot=long_page, heading="Bienvenue sur l’ENT 77",
                                 callouts=[{"n": None, "box": [100, 2500, 300, 40], "label": "Guides parents"}]))
        else:
            entries.append(entry(step_id, shot=login if step_id[0] in "PCS" else activation))
    (folder / "report.json").write_text(json.dumps(entries, ensure_ascii=False, indent=2), encoding="utf-8")
    (folder / "run.json").write_text(json.dumps({
        "base_url": "http://127.0.0.1:5000", "source": "local instance", "guide": "all",
        "started_at": "2026-11-28T10:00:00+01:00", "finished_at": "2026-11-28T10:03:12+01:00"}), encoding="utf-8")
    (folder / "junit.xml").write_text('<?xml version="1.0"?><testsuites/>', encoding="utf-8")
    return folder


def red(pixel: tuple[int, ...]) -> bool:
    return pixel[0] > 200 and pixel[1] < 60 and pixel[2] < 60


def test_annotate_draws_outlines_and_numbered_discs(tmp_path: Path) -> None:
    png = screenshot(tmp_path / "shot.png", "Connexion")
    out = tmp_path / "annotated" / "shot.png"
    annotate(png, [{"n": 1, "box": [100, 150, 500, 50]}, {"n": 2, "box": [980, 680, 200, 200]}], out)
    with Image.open(out) as image, Image.open(png) as original:
        assert image.size == original.size
        pixels = image.convert("RGB").load()
        assert all(red(pixels[x, 151]) for x in range(140, 590, 10))  # top edge, past the disc
        assert all(red(pixels[101, y]) for y in range(170, 195, 5))  # left edge
        assert not red(pixels[350, 175])  # inside the box: untouched
        assert red(pixels[105, 152]) and red(pixels[108, 160])  # the disc on the top-left corner
        assert sum(pixels[x, y] == (255, 255, 255) for x in range(100, 115) for y in range(150, 165)) > 3  # digit
        assert red(pixels[975, 680]) and red(pixels[984, 672])  # a box past the edge: its disc stays inside
    with Image.open(png) as original:  # the original is untouched
        assert not any(red(color) for _, color in original.convert("RGB").getcolors(maxcolors=1 << 24))


def test_index_covers_every_step_with_verdicts_and_is_self_contained(tmp_path: Path) -> None:
    index = build_report(sample_run(tmp_path / "run"))
    assert index == tmp_path / "run" / "index.html"
    page = index.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and '<html lang="fr">' in page
    assert "<h1>Rapport de conformité aux guides — ENT</h1>" in page
    assert "http://127.0.0.1:5000" in page and "instance locale" in page and "28/11/2026 à 10:00:00" in page
    for step_id, step in STEPS.items():
        assert f'id="etape-{step_id}"' in page, step_id
        assert esc(step.words) in page, step_id
    positions = [page.index(f'id="etape-{step_id}"') for step_id in STEPS]
    assert positions == sorted(positions)  # guide order
    summary = re.search(r"<table>.*?</table>", page, re.S).group(0)
    rows = {re.search(r'#guide-(\w+)', row).group(1): re.findall(r'class="nombre">(\d+)</td>', row)
            for row in re.findall(r"<tr><th scope=\"row\"><a.*?</tr>", summary, re.S)}
    assert rows == {"parents": ["28", "1", "1", "30"], "teachers": ["0", "0", "1", "1"], "apps": ["2", "0", "1", "3"]}
    assert "Non conforme : 1 étape en échec" in page
    assert '<a href="#etape-A1">A1</a>' in page
    a1 = re.search(r'<section class="etape failed" id="etape-A1".*?</section>', page, re.S).group(0)
    assert a1.count('class="verification"') == 2 and "cas « abcdefgh »" in a1 and "cas « abc1234 »" in a1
    assert '<span class="badge failed">Échec</span>' in a1 and '<span class="badge passed">Réussi</span>' in a1
    assert "Attendu / Constaté" in a1
    assert f"le message «{NB}Le mot de passe doit contenir au moins un chiffre.{NB}»" in a1
    assert f"aucun message d’erreur sous «{NB}Nouveau mot de passe{NB}»" in a1
    assert "Durée : 1,25 s" in a1
    s3 = re.search(r'<section class="etape not-run" id="etape-S3".*?</section>', page, re.S).group(0)
    assert "Non exécuté" in s3 and esc(NOT_RUN) in s3
    for missing in ("T1", "O2"):
        block = re.search(rf'<section class="etape not-run" id="etape-{missing}".*?</section>', page, re.S).group(0)
        assert "Non exécuté — aucune vérification" in block
    assert page.count("data:image/png;base64,") == len(STEPS) - 2  # every check with a screenshot but S3's
    assert 'alt="Capture d’écran de la page à la fin de l’étape C1' in page
    assert '<a href="junit.xml">junit.xml</a>' in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page) and "url(" not in page
    assert "<script" not in page and "<link" not in page
    assert (tmp_path / "run" / "annotated" / "test_C1_sample.png").is_file()
    assert not html_faults(page)


def test_expected_and_seen_are_read_from_playwright_and_french_messages() -> None:
    playwright = ("  AssertionError: Locator expected to have text 'Connexion'\n  Actual value: Sign in\n  Call log:\n"
                  "    - Expect \"to_have_text\" with timeout 5000ms")
    assert expected_and_seen(playwright) == ("Locator expected to have text 'Connexion'", "Sign in",
                                             'Call log:\n  - Expect "to_have_text" with timeout 5000ms')
    assert expected_and_seen(FAILURE)[:2] == tuple(line.split(f"{NB}: ", 1)[1] for line in FAILURE.split("\n"))
    assert expected_and_seen("AssertionError: assert 1 == 2") == (None, None, "AssertionError: assert 1 == 2")


def test_a_run_without_failure_is_conform(tmp_path: Path) -> None:
    page = build_report(sample_run(tmp_path / "run", failed=False)).read_text(encoding="utf-8")
    assert "Conforme : toutes les étapes vérifiées sont passées" in page and "Non conforme" not in page


def test_an_empty_folder_reports_every_step_not_run(tmp_path: Path) -> None:
    page = build_report(tmp_path).read_text(encoding="utf-8")
    assert page.count("Non exécuté — aucune vérification") == len(STEPS) and "Non conforme" not in page
    assert "Aucune étape vérifiée" in page


def test_living_guides_are_written_as_html_and_pdf(tmp_path: Path) -> None:
    folder = sample_run(tmp_path / "run")
    paths = build_guides(folder)
    guides = folder / "guides"
    assert paths == [guides / "parents.html", guides / "professeurs.html", guides / "guide-parents.pdf",
                     guides / "guide-professeurs.pdf"]
    for pdf in paths[2:]:
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    parents = paths[0].read_text(encoding="utf-8")
    assert "<h1>Guide parents — Activer son compte</h1>" in parents and '<html lang="fr">' in parents
    for section in ("Portail", "Première connexion", "Activation", "Se souvenir de moi", "Aide aux parents",
                    "Mot de passe oublié"):
        assert f"<h2>{section}</h2>" in parents
    assert "Professeurs" not in parents and "Authentification unique" not in parents
    assert 'src="img/C1.jpg"' in parents and 'src="img/A1.jpg"' in parents  # A1: its first, passed case
    # Written for a parent: the step ids stay out of the text, the pictures are described.
    text = parents[parents.index("<main>"):]
    assert "(C1)" not in text and not re.search(r">[^<]*\b[PCASHR][1-8]\b[^<]*<", text)
    assert f'alt="{C1_ALT}"' in parents
    assert not html_faults(parents)
    with Image.open(guides / "img" / "P3.jpg") as image:  # a long page is cut where its callout is
        r, g, b = image.convert("RGB").getpixel((250, 901))
        assert image.height == 1400 and r > 150 and g < 60 and b < 60  # its top 1,600 pixels cut off
    for pdf in paths[2:]:  # tagged (structure, language) with an outline of the headings
        root = PdfReader(pdf).trailer["/Root"]
        assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"] and root["/Lang"] == "fr"
        assert "/Outlines" in root
    assert 'src="img/S3.jpg"' not in parents and esc(STEPS["S3"].words) in parents  # text only
    teachers = paths[1].read_text(encoding="utf-8")
    assert "<h1>Guide professeurs — Activer son compte</h1>" in teachers
    assert "<h2>Professeurs</h2>" in teachers and "<h2>Authentification unique</h2>" in teachers
    assert "<h2>Portail</h2>" not in teachers and 'src="img/O1.jpg"' in teachers
    with Image.open(guides / "img" / "C1.jpg") as image:
        assert image.format == "JPEG" and image.width <= 1000
        assert red(image.convert("RGB").getpixel((300, 151)))  # annotated
    assert not (guides / "img" / "T1.jpg").exists()


def test_publish_refuses_a_run_with_a_failure(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="1 étape en échec \\(A1\\)"):
        publish_guides(sample_run(tmp_path / "run"), tmp_path / "static" / "guides")
    assert not (tmp_path / "static" / "guides" / "guides.json").exists()


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The living guides of a passing run, published in a static/guides folder."""
    folder = tmp_path_factory.mktemp("published")
    target = folder / "static" / "guides"
    (target / "img").mkdir(parents=True)
    (target / "img" / "OLD.jpg").write_bytes(b"stale")
    publish_guides(sample_run(folder / "run", failed=False), target)
    return target


def test_publish_writes_images_pdfs_and_manifest(published: Path) -> None:
    manifest = json.loads((published / "guides.json").read_text(encoding="utf-8"))
    assert manifest["base_url"] == "http://127.0.0.1:5000" and manifest["generated_at"]
    assert manifest["steps"]["C1"] == "img/C1.jpg" and "T1" not in manifest["steps"] and "S3" not in manifest["steps"]
    assert list(manifest["steps"]) == [step_id for step_id in STEPS if step_id in manifest["steps"]]
    for path in manifest["steps"].values():
        assert (published / path).is_file()
    assert not (published / "img" / "OLD.jpg").exists()
    for pdf in ("guide-parents.pdf", "guide-professeurs.pdf"):
        assert (published / pdf).read_bytes().startswith(b"%PDF")


@pytest.fixture
def app(settings: Settings) -> Flask:
    return create_app(settings)


def test_portal_guide_shows_the_shipped_images_and_pdf(app: Flask, published: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(portal, "static_folder", str(published.parent))
    client = app.test_client()
    page = client.get("/guides/parents").text
    assert "<h1>Guide parents — Activer son compte</h1>" in page
    # Written for a parent: no step ids in the text, and the picture described by what the step says.
    assert (f'<img src="/portail-static/guides/img/C1.jpg" alt="{C1_ALT}" width="1000"'
            ' height="700" loading="lazy">') in page
    assert '<span class="fil">C1</span>' not in page and 'id="C1"' in page
    assert 'src="/portail-static/guides/img/S3.jpg"' not in page
    assert ('<a class="bouton secondaire" href="/portail-static/guides/guide-parents.pdf" type="application/pdf"'
            ' hreflang="fr" download>Télécharger le guide (PDF)</a>') in page
    for url, mimetype, start in (("/portail-static/guides/img/C1.jpg", "image/jpeg", b"\xff\xd8"),
                                 ("/portail-static/guides/guide-parents.pdf", "application/pdf", b"%PDF"),
                                 ("/static/ent.css", "text/css", b"/*")):  # the app's own stay at /static
        response = client.get(url)
        try:
            assert response.status_code == 200 and response.mimetype == mimetype and response.data.startswith(start)
        finally:
            response.close()
    teachers = client.get("/guides/professeurs").text
    assert "<h1>Guide professeurs — Activer son compte</h1>" in teachers
    assert "/portail-static/guides/guide-professeurs.pdf" in teachers and "img/T1.jpg" not in teachers
    english = client.get("/guides/parents?lang=en").text
    assert f'alt="{C1_ALT}"' in english  # in the steps' list, quoted in French (lang="fr")
    assert "Download the guide (PDF, in French)" in english


def test_portal_guide_without_manifest_is_text_only(app: Flask, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(portal, "static_folder", str(tmp_path))
    page = app.test_client().get("/guides/parents").text
    assert "<h1>Guide parents — Activer son compte</h1>" in page and esc(STEPS["C1"].words) in page
    assert "<img" not in page and "PDF" not in page


def test_each_verification_says_its_accessibility_and_shows_the_phone_size(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    desktop = screenshot(folder / "test_M1_sample.png", "Mon compte").name
    phone = screenshot(folder / "test_M1_sample-telephone.png", "Mon compte (téléphone)").name
    violation = {"rule": "color-contrast", "impact": "serious", "help": "Elements must meet contrast ratio",
                 "url": "http://127.0.0.1:5000/compte", "size": "390×844", "targets": [".aide"]}
    clean = {**entry("M1", shot=desktop), "phone_screenshot": phone, "accessibility": {"states": 4, "violations": []}}
    broken = {**entry("M2", "failed", message="Accessibilité (axe-core) : color-contrast"),
              "accessibility": {"states": 2, "violations": [violation]}}
    (folder / "report.json").write_text(json.dumps([clean, broken]), encoding="utf-8")
    (folder / "run.json").write_text(json.dumps({"base_url": "http://127.0.0.1:5000"}), encoding="utf-8")
    page = build_report(folder).read_text(encoding="utf-8")
    assert "Accessibilité : 4 états de page vérifiés (bureau et téléphone) : aucune violation" in page
    assert '<span class="inaccessible">Accessibilité : 2 états de page vérifiés : 1 violation (color-contrast)' in page
    assert page.count('<figure class="telephone">') == 1 and "390 × 844" in page
