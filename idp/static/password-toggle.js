/* Bouton « Afficher / Masquer » le mot de passe (guide, étape C3).
   Sans JavaScript les boutons gardent l'attribut hidden : rien ne change. */
(() => {
  'use strict';

  // Passe le champ en clair (visible = true) ou masqué, et met le bouton à jour.
  const basculer = (bouton, champ, visible) => {
    const debut = champ.selectionStart;
    const fin = champ.selectionEnd;
    champ.type = visible ? 'text' : 'password';
    bouton.setAttribute('aria-label', visible ? bouton.dataset.masquer : bouton.dataset.afficher);
    bouton.textContent = visible ? bouton.dataset.texteMasquer : bouton.dataset.texteAfficher;
    const annonce = document.getElementById(bouton.getAttribute('aria-controls') + '-etat');
    if (annonce) annonce.textContent = visible ? bouton.dataset.etatVisible : bouton.dataset.etatMasque;
    try { // certains navigateurs remettent le curseur au début en changeant de type
      if (debut !== null) champ.setSelectionRange(debut, fin);
    } catch (e) { /* type sans sélection : sans importance */ }
  };

  const paires = [];

  const initialiser = () => {
    document.querySelectorAll('button.afficher[data-cible]').forEach((bouton) => {
      const champ = document.getElementById(bouton.dataset.cible);
      if (!champ || champ.tagName !== 'INPUT' || champ.type !== 'password') return;
      paires.push([bouton, champ]);
      bouton.setAttribute('aria-label', bouton.dataset.afficher);
      bouton.hidden = false;
      bouton.addEventListener('click', () => {
        basculer(bouton, champ, champ.type === 'password');
        bouton.focus(); // Safari ne donne pas le focus aux boutons cliqués
      });
    });
  };

  // Remet en « password » tous les champs affichés (d'un formulaire, ou tous).
  const remasquer = (formulaire) => {
    paires.forEach(([bouton, champ]) => {
      if (champ.type !== 'password' && (!formulaire || champ.form === formulaire)) {
        basculer(bouton, champ, false);
      }
    });
  };

  // Phase de capture : s'exécute avant tout autre gestionnaire « submit ».
  document.addEventListener('submit', (evenement) => remasquer(evenement.target), true);
  // Départ de la page (cache de navigation) : ne rien laisser en clair.
  window.addEventListener('pagehide', () => remasquer(null));

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', initialiser);
  } else {
    initialiser();
  }
})();
