/* Après un envoi refusé, le résumé des erreurs en haut de la page prend le focus : le
   lecteur d'écran l'annonce, et ses liens mènent à chaque champ à corriger. */
(() => {
  'use strict';
  const resume = document.querySelector('.resume-erreurs');
  if (resume) resume.focus();
})();
