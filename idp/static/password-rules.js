/* Règles du nouveau mot de passe : chacune est cochée dès qu'elle est respectée, pendant la
   saisie. Sans JavaScript la liste reste telle quelle, et le serveur vérifie tout de toute façon. */
(() => {
  'use strict';
  const regles = {
    longueur: (texte) => [...texte].length >= 8,
    lettre: (texte) => /\p{L}/u.test(texte),
    chiffre: (texte) => /\p{Nd}/u.test(texte),
  };
  const initialiser = () => {
    document.querySelectorAll('ul[data-regles-de]').forEach((liste) => {
      const champ = document.getElementById(liste.dataset.reglesDe);
      if (!champ) return;
      const cocher = () => {
        liste.querySelectorAll('li[data-regle]').forEach((element) => {
          const respectee = regles[element.dataset.regle](champ.value);
          element.classList.toggle('respectee', respectee);
        });
      };
      champ.addEventListener('input', cocher);
      cocher();
    });
  };
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', initialiser);
  } else {
    initialiser();
  }
})();
