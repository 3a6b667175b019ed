"""The steps of the official « Activer son compte » guide (ENT 77), by id.

The ids are the product's acceptance criteria: each conformance test is named by one,
and the report quotes the words below next to the result and a screenshot.
Numbers in brackets are the callouts of the guide's screenshots.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GuideStep:
    id: str
    guide: str
    """parents, teachers or apps (single sign-on)."""
    section: str
    words: str


_STEPS = [
    ("P1", "parents", "Portail", "Le portail de l’ENT a un bouton « Se connecter » qui mène à la page de connexion."),
    ("P2", "parents", "Portail", "« Si vous faites partie des collèges connectés, accédez directement à votre ENT » : "
                                 "un bouton y mène."),
    ("P3", "parents", "Portail", "Le portail présente « Problème de connexion parents », « Guides parents » et "
                                 "« Guides professeurs »."),
    ("C1", "parents", "Première connexion",
     "(1) L’utilisateur saisit son identifiant prénom.nom dans « Identifiant »."),
    ("C2", "parents", "Première connexion",
     "(2) Il saisit le code d’activation dans « Mot de passe » ; il est masqué."),
    ("C3", "parents", "Première connexion", "(3) Un bouton permet de visualiser le mot de passe pour vérifier "
                                            "qu’il n’y a pas d’erreur de saisie."),
    ("C4", "parents", "Première connexion", "(4) « Connexion » mène à la page d’activation du compte."),
    ("A1", "parents", "Activation", "(1) Mot de passe personnel : 8 caractères au minimum parmi lesquels au moins "
                                    "une lettre et au moins un chiffre."),
    ("A2", "parents", "Activation", "Le mot de passe doit être confirmé dans le champ de saisie suivant."),
    ("A3", "parents", "Activation", "(2) Adresse de messagerie strictement personnelle, pour recevoir un courriel de "
                                    "réinitialisation du mot de passe en cas d’oubli."),
    ("A4", "parents", "Activation",
     "(3) Numéro de portable : réinitialisation par SMS quand le service sera disponible."),
    ("A5", "parents", "Activation", "La charte d’utilisation de l’ENT peut être lue."),
    ("A6", "parents", "Activation", "(4) Il est obligatoire de cocher « J’accepte les conditions générales "
                                    "d’utilisation »."),
    ("A7", "parents", "Activation",
     "(5) « Activer » : l’utilisateur est connecté et accède à la page d’accueil de l’ENT."),
    ("A8", "parents", "Activation", "Le code d’activation devient obsolète : les connexions suivantes se font avec "
                                    "l’identifiant et le mot de passe personnels."),
    ("S1", "parents", "Se souvenir de moi", "« Se souvenir de moi » : par défaut, cette case n’est pas cochée."),
    ("S2", "parents", "Se souvenir de moi", "Non cochée : déconnexion lorsque l’utilisateur ferme son navigateur."),
    ("S3", "parents", "Se souvenir de moi", "Cochée : l’utilisateur n’est pas déconnecté en fermant le navigateur."),
    ("S4", "parents", "Se souvenir de moi", "Ne pas cocher cette case sur un poste partagé (salles multimédias de "
                                            "l’établissement, ordinateur public…)."),
    ("S5", "parents", "Se souvenir de moi", "Sur un poste partagé, « Se déconnecter » sur l’ENT déconnecte aussi des "
                                            "applications du collège ouvertes dans ce navigateur (OpenID Connect et "
                                            "CAS), et la page dit lesquelles."),
    ("H1", "parents", "Aide aux parents", "(1) Le formulaire d’aide est disponible sur la page de connexion."),
    ("H2", "parents", "Aide aux parents", "(2) Les parents en difficulté remplissent le formulaire afin d’obtenir de "
                                          "l’aide (activation ou perte du mot de passe)."),
    ("R1", "parents", "Mot de passe oublié", "Un courriel de réinitialisation est envoyé à l’adresse personnelle."),
    ("R2", "parents", "Mot de passe oublié", "Réinitialisation par SMS quand le service sera disponible."),
    ("M1", "parents", "Mon compte", "Connecté, l’utilisateur ouvre « Mon compte » depuis l’en-tête et y voit son "
                                    "identifiant, son profil, ses établissements, son courriel et son mobile "
                                    "(masqués) et les applications qu’il utilise."),
    ("M2", "parents", "Mon compte", "Il change son mot de passe (l’actuel, le nouveau selon les règles de "
                                    "l’activation, la confirmation) ; ses autres appareils sont déconnectés, un "
                                    "courriel le prévient, et le nouveau mot de passe permet de se connecter."),
    ("M3", "parents", "Mon compte", "Il change son courriel de récupération : la nouvelle adresse ne sert qu’une "
                                    "fois ouvert le lien de confirmation qu’elle reçoit ; l’ancienne est prévenue."),
    ("M4", "parents", "Mon compte", "Il voit où il est connecté et déconnecte un autre appareil."),
    ("F1", "parents", "Identités nationales", "Un parent ou un élève dont l’identité ÉduConnect porte l’identifiant "
                                              "académique enregistré par l’établissement se connecte avec « Se "
                                              "connecter avec ÉduConnect », sans mot de passe de l’ENT ; un compte "
                                              "en attente est activé ainsi (charte acceptée, courriel donné)."),
    ("F2", "parents", "Identités nationales", "Un parent se connecte avec « S’identifier avec FranceConnect » ; la "
                                              "première fois, l’ENT relie l’identité au compte une fois que le parent "
                                              "l’a confirmé par son identifiant et son mot de passe, ou le code "
                                              "d’activation de sa lettre."),
    ("T1", "teachers", "Professeurs", "Après activation, le professeur est connecté aux applications du collège "
                                      "sans nouvelle saisie."),
    ("O1", "apps", "Authentification unique", "Une application du collège reçoit l’identité et le profil de "
                                              "l’utilisateur après sa connexion."),
    ("O2", "apps", "Authentification unique",
     "Une deuxième application obtient l’utilisateur sans nouvelle connexion."),
    ("O3", "apps", "Authentification unique", "Une application qui se connecte par CAS (Pronote, Moodle, GEPI) obtient "
                                              "l’utilisateur déjà connecté à l’ENT sans nouvelle connexion, avec son "
                                              "identifiant et les attributs qu’elle attend."),
]

STEPS: dict[str, GuideStep] = {step_id: GuideStep(step_id, *rest) for step_id, *rest in _STEPS}
