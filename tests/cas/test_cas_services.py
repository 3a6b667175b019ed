"""Registered CAS apps, and which one a service URL belongs to."""
from __future__ import annotations

import pytest

from idp.cas import services
from idp.cas.services import RegisteredService, ServiceError, ServiceRegistry, match
from idp.store import Store

MOODLE = RegisteredService("moodle-abc123", "Moodle", ("https://moodle.college.fr/moodle",), "default", 0)
PRONOTE = RegisteredService("pronote-abc123", "Pronote", ("https://0770001h.index-education.net/pronote/",),
                            "pronote", 0)
ROOT = RegisteredService("gepi-abc123", "GEPI", ("https://gepi.college.fr", "http://127.0.0.1:8080/gepi"),
                         "default", 0)
ALL = (MOODLE, PRONOTE, ROOT)


@pytest.mark.parametrize("url", [
    "https://moodle.college.fr/moodle",
    "https://moodle.college.fr/moodle/",
    "https://moodle.college.fr/moodle/login/index.php",
    "https://moodle.college.fr/moodle/login/index.php?id=3&next=%2Fcourse",
    "https://moodle.college.fr/moodle#top",
    "https://MOODLE.College.FR/moodle",
    "HTTPS://moodle.college.fr/moodle",
    "https://moodle.college.fr:443/moodle",
])
def test_urls_under_the_registered_path_match(url: str) -> None:
    assert match(url, ALL) == MOODLE


@pytest.mark.parametrize("url", [
    "https://moodle.college.fr/moodle2",
    "https://moodle.college.fr/moodlex/login",
    "https://moodle.college.fr/",
    "https://moodle.college.fr/Moodle",
    "http://moodle.college.fr/moodle",
    "https://moodle.college.fr:8443/moodle",
    "https://moodle.college.fr.evil.fr/moodle",
    "https://evil.fr/moodle.college.fr/moodle",
    "https://moodle.college.fr@evil.fr/moodle",
    "https://user@moodle.college.fr/moodle",
    "https://user:pass@moodle.college.fr/moodle",
    "https://@moodle.college.fr/moodle",
    "https://moodle.college.fr\\@evil.fr/moodle",
    "https://moodle.college.fr/moodle\\..\\admin",
    "https://moodle.college.fr/moodle/../admin",
    "https://moodle.college.fr/moodle/%2e%2e/admin",
    "https://moodle.college.fr/moodle/./x",
    "https://moodle.college.fr/moo\ndle",
    "https://moodle.college.fr/moodle\t",
    " https://moodle.college.fr/moodle",
    "https://moodle.college.fr/mo odle",
    "https://moodle.college.fr:99999/moodle",
    "https://moodle.college.fr:abc/moodle",
    "//moodle.college.fr/moodle",
    "moodle.college.fr/moodle",
    "javascript://moodle.college.fr/moodle",
    "ftp://moodle.college.fr/moodle",
    "https:/moodle.college.fr/moodle",
    "",
])
def test_lookalike_urls_do_not_match(url: str) -> None:
    assert match(url, (MOODLE,)) is None


def test_a_registered_path_ending_with_a_slash_covers_what_is_under_it() -> None:
    assert match("https://0770001h.index-education.net/pronote/eleve.html", ALL) == PRONOTE
    assert match("https://0770001h.index-education.net/pronote/", ALL) == PRONOTE
    assert match("https://0770001h.index-education.net/pronote2/", ALL) is None


def test_a_registered_host_without_path_covers_the_whole_site() -> None:
    assert match("https://gepi.college.fr/", ALL) == ROOT
    assert match("https://gepi.college.fr", ALL) == ROOT
    assert match("https://gepi.college.fr/any/page.php?x=1", ALL) == ROOT
    assert match("http://127.0.0.1:8080/gepi/login.php", ALL) == ROOT
    assert match("http://127.0.0.1:8081/gepi/login.php", ALL) is None
    assert match("http://127.0.0.1/gepi", ALL) is None


def test_default_ports_are_the_same_as_none() -> None:
    explicit = RegisteredService("x-1", "X", ("https://app.fr:443/a", "http://localhost:80/b"), "default", 0)
    assert match("https://app.fr/a/b", (explicit,)) == explicit
    assert match("http://localhost/b", (explicit,)) == explicit


def test_the_most_specific_registered_address_wins() -> None:
    site = RegisteredService("site-1", "Site", ("https://college.fr",), "default", 0)
    moodle = RegisteredService("moodle-1", "Moodle", ("https://college.fr/moodle",), "default", 0)
    assert match("https://college.fr/moodle/course", (site, moodle)) == moodle
    assert match("https://college.fr/moodle/course", (moodle, site)) == moodle
    assert match("https://college.fr/gepi", (moodle, site)) == site


def test_registering_checks_the_addresses(store: Store) -> None:
    for url, words in [("moodle.college.fr", "absolue attendue"), ("ftp://x.fr/", "absolue attendue"),
                       ("https://x.fr/#a", "fragment"), ("https://x.fr/#", "fragment"),
                       ("http://x.fr/", "https obligatoire"), ("https://x.fr/?a=1", "paramètres"),
                       ("https://u@x.fr/", "adresse invalide"), ("https://x.fr/a/../b", "adresse invalide"),
                       ("https://x.fr/a b", "absolue attendue")]:
        with pytest.raises(ServiceError, match=words):
            services.add(store, name="App", services=[url])
    with pytest.raises(ServiceError, match="nom"):
        services.add(store, name="  ", services=["https://x.fr/"])
    with pytest.raises(ServiceError, match="au moins une adresse"):
        services.add(store, name="App", services=[])
    with pytest.raises(ServiceError, match="profil d'attributs inconnu"):
        services.add(store, name="App", services=["https://x.fr/"], attributes="ldap")
    assert services.list_services(store) == []


def test_add_list_show_remove(store: Store) -> None:
    moodle = services.add(store, name="Moodle du collège", services=["https://moodle.college.fr/moodle",
                                                                       "http://localhost:8080/moodle"])
    pronote = services.add(store, name="Pronote", services=["https://pronote.fr/"], attributes="pronote")
    assert moodle.id.startswith("moodle-du-college-") and not moodle.id.startswith("-")
    assert moodle.created_at > 0
    assert services.as_json(pronote) == {"id": pronote.id, "name": "Pronote", "services": ["https://pronote.fr/"],
                                         "attributes": "pronote", "schools": []}
    assert services.list_services(store) == [moodle, pronote]
    assert services.show(store, pronote.id) == pronote
    services.remove(store, moodle.id)
    assert services.list_services(store) == [pronote]
    with pytest.raises(ServiceError, match="aucune application CAS"):
        services.show(store, moodle.id)
    with pytest.raises(ServiceError, match="aucune application CAS"):
        services.remove(store, moodle.id)


def test_ids_never_start_with_a_hyphen() -> None:
    assert services.new_service_id("---").startswith("cas-")
    assert services.new_service_id("Élèves & Profs").startswith("eleves-profs-")
    assert services.new_service_id("Vie scolaire") != services.new_service_id("Vie scolaire")


def test_the_registry_reads_the_store_at_most_every_ten_seconds_but_finds_a_new_app_at_once(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    registry = ServiceRegistry(store)
    assert registry.match("https://moodle.college.fr/moodle") is None
    moodle = services.add(store, name="Moodle", services=["https://moodle.college.fr/moodle"])
    assert registry.match("https://moodle.college.fr/moodle") == moodle  # a miss reads again
    services.remove(store, moodle.id)
    assert registry.match("https://moodle.college.fr/moodle/x") == moodle  # still the cached answer
    clock = services.time.monotonic() + services.CACHE_SECONDS + 1
    monkeypatch.setattr(services.time, "monotonic", lambda: clock)
    assert registry.match("https://moodle.college.fr/moodle/x") is None
    assert registry.get(moodle.id) is None


def test_schools_say_whose_home_page_shows_the_app(store: Store) -> None:
    pronote = services.add(store, name="Pronote", services=["https://pronote.fr/0770001H/"],
                           schools=("0770001H",))
    assert services.show(store, pronote.id).schools == ("0770001H",)
    assert services.as_json(pronote)["schools"] == ["0770001H"]
    assert pronote.home_url() == "https://pronote.fr/0770001H/"
