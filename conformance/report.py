"""The auditor's report and the « living guides », built from what a conformance run leaves
in its report folder (`report.json`, `run.json`, the screenshots, `junit.xml`).

- `build_report(dir)` writes `dir/index.html`: one self-contained French page (CSS inline,
  screenshots embedded) covering every step id of `conformance.guides.STEPS`;
- `build_guides(dir)` writes `dir/guides/parents.html`, `dir/guides/professeurs.html` and
  their PDFs, illustrated with the annotated screenshots of the passed steps;
- `publish_guides(dir, target)` copies those images and PDFs, with a `guides.json`
  manifest, where the portal serves them (`flows/portal/static/guides/`), from a run
  without failure only;
- `annotate(png, callouts, out)` draws the guide's numbered callouts on a screenshot.

`python -m conformance.report [DIR] [--guides] [--publish TARGET]` does the same from a shell.
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import sys
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from PIL import Image, ImageDraw, ImageFont

from conformance.guides import STEPS

NB = "\u00a0"
"""The no-break space of French typography (before « : ; ? ! », inside « »)."""
RED = (225, 0, 15)
"""#e1000f, the callouts' colour."""
OUTLINE_PX = 3
BADGE_PX = 30
"""Diameter of a callout's numbered disc, for a screenshot 1000 px wide (scaled for wider ones)."""
GUIDE_IMAGE_WIDTH = 1000
GUIDE_IMAGE_MAX_HEIGHT = 1400
"""Tallest picture of a guide at GUIDE_IMAGE_WIDTH (a long page is cut: see _cut)."""
GUIDE_JPEG_QUALITY = 80
FRAME = (146, 146, 146)
"""The grey frame of the guides' pictures."""

GUIDE_TITLES = {"parents": "Guide parents", "teachers": "Guide professeurs",
                "apps": "Applications (authentification unique)"}
RUN_GUIDES = {"all": "tous les guides (parents, professeurs et applications)", "parents": "Guide parents",
              "teachers": "Guide professeurs"}
SOURCES = {"local instance": "instance locale, démarrée par la suite de tests sur la machine de test",
           "deployment (directory access)": "déploiement, comptes de test créés dans son annuaire",
           "deployment (accounts file)": "déploiement, comptes de test fournis par un fichier"}
VERDICTS = {"passed": "Réussi", "failed": "Échec", "not run": "Non exécuté"}


@dataclass(frozen=True)
class LivingGuide:
    key: str
    title: str
    sections: str
    """Step id prefixes, in the order of STEPS."""
    html: str
    pdf: str


LIVING_GUIDES = (
    LivingGuide("parents", "Guide parents — Activer son compte", "PCASHR", "parents.html", "guide-parents.pdf"),
    LivingGuide("professeurs", "Guide professeurs — Activer son compte", "CASRTO", "professeurs.html",
                "guide-professeurs.pdf"),
)
INTRO = ("Rendez-vous sur le portail de l’ENT muni des informations de connexion transmises par "
         "l’établissement : l’identifiant sous la forme prénom.nom et le code d’activation.")

_templates = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


# ---------------------------------------------------------------- the run's data

@dataclass
class Entry:
    """One test of the run (one line of report.json)."""
    id: str
    test: str
    outcome: str
    """passed, failed or not run."""
    param: str | None = None
    duration: float | None = None
    message: str | None = None
    screenshot: str | None = None
    callouts: list[dict] = field(default_factory=list)
    phone_screenshot: str | None = None
    accessibility: dict | None = None
    """axe-core's check of the step's page states: {"states": n, "violations": […]}; None when not run."""
    heading: str | None = None
    """The main heading of the page the step ended on."""

    @classmethod
    def of(cls, raw: dict) -> Entry:
        outcome = raw.get("outcome")
        normalised = ("passed" if outcome == "passed" else "failed" if outcome in ("failed", "error")
                      else "not run")
        param = raw.get("param")
        return cls(id=str(raw.get("id", "?")), test=str(raw.get("test", "")), outcome=normalised,
                   param=None if param is None else str(param), duration=raw.get("duration"),
                   message=raw.get("message"), screenshot=raw.get("screenshot"),
                   callouts=list(raw.get("callouts") or []), phone_screenshot=raw.get("phone_screenshot"),
                   accessibility=raw.get("accessibility") if isinstance(raw.get("accessibility"), dict) else None,
                   heading=raw.get("heading") if isinstance(raw.get("heading"), str) else None)


@dataclass
class Run:
    folder: Path
    entries: list[Entry]
    info: dict

    @classmethod
    def load(cls, folder: Path) -> Run:
        folder = Path(folder)
        report, run = folder / "report.json", folder / "run.json"
        entries = json.loads(report.read_text(encoding="utf-8")) if report.exists() else []
        info = json.loads(run.read_text(encoding="utf-8")) if run.exists() else {}
        return cls(folder, [Entry.of(entry) for entry in entries], info)

    def of_step(self, step_id: str) -> list[Entry]:
        return [entry for entry in self.entries if entry.id == step_id]

    def verdict(self, step_id: str) -> str:
        """failed if any check of the step failed; passed if every one passed; else not run."""
        outcomes = {entry.outcome for entry in self.of_step(step_id)}
        if "failed" in outcomes:
            return "failed"
        return "passed" if outcomes == {"passed"} else "not run"

    def failed_steps(self) -> list[str]:
        known = [step_id for step_id in STEPS if self.verdict(step_id) == "failed"]
        return known + sorted({e.id for e in self.entries if e.outcome == "failed" and e.id not in STEPS})

    def screenshot(self, entry: Entry, phone: bool = False) -> Path | None:
        name = entry.phone_screenshot if phone else entry.screenshot
        if not name:
            return None
        path = self.folder / name
        return path if path.is_file() else None

    def guide_shot(self, step_id: str) -> Entry | None:
        """The entry illustrating a step in the guides: its first passed one with a screenshot."""
        return next((entry for entry in self.of_step(step_id)
                     if entry.outcome == "passed" and self.screenshot(entry)), None)


# ---------------------------------------------------------------- callouts

def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    for name in ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
                 "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf", "DejaVuSans-Bold.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: a small bitmap font
        return ImageFont.load_default()


def annotated_image(png: Path, callouts: Iterable[dict]) -> Image.Image:
    """The screenshot with, for each callout, a red outline around its box and, at the box's
    top-left corner (kept inside the image), a red disc with the callout's number in white
    (when it has one)."""
    with Image.open(png) as source:
        image = source.convert("RGB")
    width, height = image.size
    scale = max(1.0, width / 1000)
    outline, radius = round(OUTLINE_PX * scale), round(BADGE_PX * scale / 2)
    font = _font(round(18 * scale))
    draw = ImageDraw.Draw(image)
    corners = []
    for callout in callouts:
        x, y, w, h = (float(v) for v in callout["box"])
        left, top = max(0, round(x)), max(0, round(y))
        right, bottom = min(width - 1, round(x + w) - 1), min(height - 1, round(y + h) - 1)
        if right < left or bottom < top:
            continue  # entirely outside the screenshot
        draw.rectangle((left, top, right, bottom), outline=RED, width=outline)
        if callout.get("n") is not None:
            corners.append((str(callout["n"]), left, top))
    for number, left, top in corners:  # discs over every outline
        cx = min(max(left, radius), width - 1 - radius)
        cy = min(max(top, radius), height - 1 - radius)
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=RED, outline="white",
                     width=max(1, round(2 * scale)))
        text_font = font if len(number) < 2 else _font(round(14 * scale))
        x0, y0, x1, y1 = draw.textbbox((0, 0), number, font=text_font)
        draw.text((cx - (x0 + x1) / 2, cy - (y0 + y1) / 2), number, fill="white", font=text_font)
    return image


def annotate(png: Path, callouts: list[dict], out: Path) -> None:
    """Draws the callouts of a guide step on a copy of `png`, saved as `out` (format by its suffix)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    image = annotated_image(Path(png), callouts)
    if out.suffix.lower() in (".jpg", ".jpeg"):
        _save_jpeg(_cut(image, callouts), out)
    else:
        image.save(out)


def _cut(image: Image.Image, callouts: list[dict]) -> Image.Image:
    """A long page cut to GUIDE_IMAGE_MAX_HEIGHT: its top, or the part with its callouts when
    they lie below (a guide's picture shows where to look, not the whole page)."""
    tallest = round(GUIDE_IMAGE_MAX_HEIGHT * image.width / GUIDE_IMAGE_WIDTH)
    if image.height <= tallest:
        return image
    top = 0
    boxes = [[float(value) for value in callout["box"]] for callout in callouts]
    if boxes and max(y + h for _, y, _, h in boxes) > tallest:
        top = round(max(0, min(min(y for _, y, _, _ in boxes) - 80, image.height - tallest)))
    return image.crop((0, top, image.width, top + tallest))


def _save_jpeg(image: Image.Image, out: Path) -> None:
    """A guide's picture: at most GUIDE_IMAGE_WIDTH wide, framed in grey so that a screenshot of
    the ENT shown on the ENT's own pages reads as a picture."""
    if image.width > GUIDE_IMAGE_WIDTH:
        image = image.resize((GUIDE_IMAGE_WIDTH, round(image.height * GUIDE_IMAGE_WIDTH / image.width)),
                             Image.Resampling.LANCZOS)
    image = image.convert("RGB")
    ImageDraw.Draw(image).rectangle((0, 0, image.width - 1, image.height - 1), outline=FRAME, width=2)
    image.save(out, "JPEG", quality=GUIDE_JPEG_QUALITY, optimize=True, progressive=True)


# ---------------------------------------------------------------- the auditor's report

def _french_date(value: str | None) -> str:
    if not value:
        return "non indiquée"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    text = moment.strftime("%d/%m/%Y à %H:%M:%S")
    utc_offset = moment.utcoffset()
    if utc_offset is not None:
        offset = utc_offset.total_seconds() / 3600
        text += " (UTC)" if offset == 0 else f" (UTC{offset:+g})".replace(".", ",")
    return text


def _seconds(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2f} s".replace(".", ",")


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


_EXPECTED = re.compile(r"^\s*(?:AssertionError:\s*)?(?:(?:Attendu|Expected(?: value| string| pattern)?)\s*:\s*(.*)"
                       r"|((?:Locator|Page|Response|APIResponse) expected .*))$", re.I)
_SEEN = re.compile(r"^\s*(?:Constaté|Actual(?: value)?|Received(?: value| string)?)\s*:\s*(.*)$", re.I)


def expected_and_seen(message: str | None) -> tuple[str | None, str | None, str]:
    """(expected, seen, rest) read from an assertion message when it names them
    (« Attendu : … / Constaté : … », Playwright's « expected … / Actual value: … »)."""
    expected = seen = None
    rest = []
    for line in (message or "").splitlines():
        if expected is None and (match := _EXPECTED.match(line)):
            expected = (match.group(1) or match.group(2) or "").strip()
        elif seen is None and (match := _SEEN.match(line)):
            seen = match.group(1).strip()
        else:
            rest.append(line)
    return expected, seen, textwrap.dedent("\n".join(rest)).strip()


def _data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _entry_view(run: Run, entry: Entry) -> dict:
    image = alt = None
    shot = run.screenshot(entry)
    case = f" — cas « {entry.param} »" if entry.param is not None else ""
    if shot is not None:
        if entry.callouts:
            annotated = run.folder / "annotated" / f"{shot.stem}.png"
            annotate(shot, entry.callouts, annotated)
            shot = annotated
        image = _data_uri(shot)
        alt = (f"Capture d’écran de la page à la fin de l’étape {entry.id}{case}"
               + ("\u00a0; les encadrés numérotés sont les repères du guide" if entry.callouts else ""))
    phone = run.screenshot(entry, phone=True)
    checked = entry.accessibility
    expected, seen, rest = expected_and_seen(entry.message) if entry.outcome == "failed" else (None, None, "")
    return {"id": entry.id, "test": entry.test, "param": entry.param, "outcome": entry.outcome,
            "label": VERDICTS[entry.outcome], "duration": _seconds(entry.duration),
            "message": textwrap.dedent(entry.message).strip() if entry.message else None,
            "expected": expected, "seen": seen, "rest": rest, "image": image, "alt": alt,
            "missing_shot": bool(entry.screenshot) and run.screenshot(entry) is None,
            "annotated": bool(entry.callouts) and image is not None,
            "phone_image": _data_uri(phone) if phone else None,
            "phone_alt": f"La même page sur un téléphone (390 pixels de large), étape {entry.id}{case}",
            "accessibility": _accessibility_text(checked),
            "accessible": checked is not None and not checked.get("violations")}


def _accessibility_text(checked: dict | None) -> str:
    """« 6 états de page vérifiés (bureau et téléphone) : aucune violation », or what was found."""
    if not checked:
        return "non vérifiée"
    states = _plural(int(checked.get("states", 0)), "état de page vérifié", "états de page vérifiés")
    violations = checked.get("violations") or []
    if not violations:
        return f"{states} (bureau et téléphone) : aucune violation"
    rules = sorted({str(item.get("rule")) for item in violations})
    return f"{states} : {_plural(len(violations), 'violation', 'violations')} ({', '.join(rules)})"


def _report_context(run: Run) -> dict:
    guides: list[dict[str, Any]] = []
    summary: list[dict[str, Any]] = []
    for key, title in GUIDE_TITLES.items():
        steps = [step for step in STEPS.values() if step.guide == key]
        sections: dict[str, list[dict]] = {}
        counts = {"passed": 0, "failed": 0, "not run": 0}
        for step in steps:
            verdict = run.verdict(step.id)
            counts[verdict] += 1
            sections.setdefault(step.section, []).append(
                {"id": step.id, "words": step.words, "verdict": verdict, "label": VERDICTS[verdict],
                 "entries": [_entry_view(run, entry) for entry in run.of_step(step.id)]})
        guides.append({"key": key, "title": title, "sections": sections})
        summary.append({"title": title, "key": key, "total": len(steps), **counts})
    others = [_entry_view(run, entry) for entry in run.entries if entry.id not in STEPS]
    totals = {name: sum(row[name] for row in summary) for name in ("passed", "failed", "not run", "total")}
    failed = run.failed_steps()
    if failed:
        verdict = f"Non conforme : {_plural(len(failed), 'étape en échec', 'étapes en échec')}"
    elif totals["passed"] == 0:
        verdict = "Aucune étape vérifiée : la conformité ne peut pas être établie"
    else:
        verdict = "Conforme : toutes les étapes vérifiées sont passées"
    info = run.info
    return {
        "title": "Rapport de conformité aux guides — ENT",
        "base_url": info.get("base_url") or "non indiquée",
        "source": SOURCES.get(str(info.get("source")), info.get("source") or "non indiquée"),
        "run_guide": RUN_GUIDES.get(str(info.get("guide")), info.get("guide") or "non indiqué"),
        "started_at": _french_date(info.get("started_at")), "finished_at": _french_date(info.get("finished_at")),
        "started_iso": info.get("started_at"), "finished_iso": info.get("finished_at"),
        "generated_at": _french_date(datetime.now(UTC).astimezone().isoformat(timespec="seconds")),
        "summary": summary, "totals": totals, "verdict": verdict, "conform": not failed and totals["passed"] > 0,
        "failed": failed, "not_run_count": totals["not run"], "checks": len(run.entries),
        "guides": guides, "others": others, "junit": (run.folder / "junit.xml").is_file(),
    }


def build_report(report_dir: Path) -> Path:
    """Writes `report_dir/index.html` (and the annotated screenshots in `annotated/`); returns its path."""
    run = Run.load(Path(report_dir))
    index = run.folder / "index.html"
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_text(_templates.get_template("report.html").render(**_report_context(run)), encoding="utf-8")
    return index


# ---------------------------------------------------------------- the living guides

def _guide_images(run: Run, folder: Path) -> dict[str, Path]:
    """Writes img/<id>.jpg for every step with a passed, screenshotted check; returns them by id."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.jpg"):
        stale.unlink()
    images = {}
    for step_id in STEPS:
        entry = run.guide_shot(step_id)
        if entry is not None:
            shot = run.screenshot(entry)
            if shot is not None:
                images[step_id] = folder / f"{step_id}.jpg"
                annotate(shot, entry.callouts, images[step_id])
    return images


def picture_alt(entry: Entry) -> str:
    """The alternative text of a step's picture: the page it shows and what is marked on it."""
    shown = f"la page «{NB}{entry.heading}{NB}» de l’ENT" if entry.heading else "une page de l’ENT"
    marked = [(f"({callout['n']}) " if callout.get("n") is not None else "") + f"«{NB}{callout['label']}{NB}»"
              for callout in entry.callouts if callout.get("label")]
    framed = "encadrés en rouge" if len(marked) > 1 else "encadré en rouge"
    return f"Capture d’écran de {shown}" + (f", {framed}{NB}: {', '.join(marked)}" if marked else "") + "."


def _render_pdf(pages: list[tuple[Path, Path]]) -> None:
    from playwright.sync_api import sync_playwright

    footer = ('<div style="font-size:8px;width:100%;text-align:center;color:#666;">'
              '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                                             args=["--disable-gpu", "--disable-quic"])
        try:
            page = browser.new_page()
            for html, pdf in pages:
                page.goto(html.resolve().as_uri(), wait_until="load")
                page.pdf(path=str(pdf), format="A4", print_background=True, tagged=True, outline=True,
                         display_header_footer=True,
                         header_template="<span></span>", footer_template=footer,
                         margin={"top": "14mm", "bottom": "16mm", "left": "14mm", "right": "14mm"})
        finally:
            browser.close()


def build_guides(report_dir: Path) -> list[Path]:
    """Writes guides/parents.html, guides/professeurs.html and their PDFs (guides/guide-*.pdf),
    illustrated with guides/img/<id>.jpg; returns the four paths."""
    run = Run.load(Path(report_dir))
    folder = run.folder / "guides"
    images = _guide_images(run, folder / "img")
    when = run.info.get("finished_at") or run.info.get("started_at")
    verified = _french_date(when).split(" à ")[0] if when else None
    written, pages = [], []
    for guide in LIVING_GUIDES:
        sections: dict[str, list[dict]] = {}
        for step in STEPS.values():
            if step.id[0] in guide.sections:
                image = images.get(step.id)
                size = None
                if image:
                    with Image.open(image) as opened:
                        size = opened.size
                shot = run.guide_shot(step.id)
                sections.setdefault(step.section, []).append(
                    {"id": step.id, "words": step.words, "image": f"img/{step.id}.jpg" if image else None,
                     "size": size, "alt": picture_alt(shot) if shot else None})
        html = folder / guide.html
        html.write_text(_templates.get_template("guide.html").render(
            title=guide.title, intro=INTRO, sections=sections, verified=verified), encoding="utf-8")
        written.append(html)
        pages.append((html, folder / guide.pdf))
    _render_pdf(pages)
    return written + [pdf for _, pdf in pages]


def _guides_are_current(folder: Path) -> bool:
    """Whether build_guides already ran on this run's results (its outputs newer than report.json)."""
    outputs = [folder / "guides" / name for guide in LIVING_GUIDES for name in (guide.html, guide.pdf)]
    if not all(path.is_file() for path in outputs):
        return False
    inputs = [path for path in (folder / "report.json", folder / "run.json") if path.is_file()]
    return min(path.stat().st_mtime for path in outputs) >= max((p.stat().st_mtime for p in inputs), default=0)


def publish_guides(report_dir: Path, target_dir: Path) -> None:
    """Copies the living guides (img/*.jpg, guide-*.pdf) and a guides.json manifest into
    `target_dir` (the portal's static/guides/), replacing the previous ones. Only from a run
    with no failed step and at least one passed."""
    run = Run.load(Path(report_dir))
    failed = run.failed_steps()
    if failed:
        raise ValueError(f"Guides non publiés : {_plural(len(failed), 'étape en échec', 'étapes en échec')} "
                         f"({', '.join(failed)}). Les guides ne sont publiés qu’à partir d’une exécution "
                         "sans aucun échec.")
    if not any(entry.outcome == "passed" for entry in run.entries):
        raise ValueError("Guides non publiés : aucune étape réussie dans cette exécution "
                         f"({run.folder / 'report.json'}).")
    source, target = run.folder / "guides", Path(target_dir)
    if not _guides_are_current(run.folder):
        build_guides(run.folder)
    (target / "img").mkdir(parents=True, exist_ok=True)
    for stale in [*(target / "img").glob("*.jpg"), *(target / guide.pdf for guide in LIVING_GUIDES),
                  target / "guides.json"]:
        stale.unlink(missing_ok=True)
    steps, sizes = {}, {}
    for image in sorted((source / "img").glob("*.jpg")):
        shutil.copyfile(image, target / "img" / image.name)
        steps[image.stem] = f"img/{image.name}"
        with Image.open(image) as opened:
            sizes[image.stem] = list(opened.size)
    steps = {step_id: steps[step_id] for step_id in STEPS if step_id in steps}
    for guide in LIVING_GUIDES:
        shutil.copyfile(source / guide.pdf, target / guide.pdf)
    manifest = {"generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "verified_at": run.info.get("finished_at") or run.info.get("started_at"),
                "base_url": run.info.get("base_url"), "steps": steps,
                "sizes": {step_id: sizes[step_id] for step_id in steps},
                "alts": {step_id: picture_alt(shot) for step_id in steps if (shot := run.guide_shot(step_id))},
                "pdf": {guide.key: guide.pdf for guide in LIVING_GUIDES}}
    (target / "guides.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conformance.report",
                                     description="Rapport de conformité et guides illustrés d’une exécution.")
    parser.add_argument("report_dir", nargs="?", type=Path,
                        default=Path(os.environ.get("ENT_IDP_CONFORMANCE_REPORT", "conformance-report")))
    parser.add_argument("--guides", action="store_true", help="écrit aussi guides/*.html et leurs PDF")
    parser.add_argument("--publish", type=Path, metavar="TARGET",
                        help="publie les guides dans TARGET (flows/portal/static/guides)")
    args = parser.parse_args(argv)
    print(build_report(args.report_dir))
    try:
        if args.publish:
            publish_guides(args.report_dir, args.publish)
            print(args.publish / "guides.json")
        elif args.guides:
            for path in build_guides(args.report_dir):
                print(path)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
