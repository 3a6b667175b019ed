// A form marked data-envoi-automatique is sent as soon as the page is read (CAS method=POST:
// the ticket goes to the app without a click); without JavaScript, its button does it.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-envoi-automatique]");
  if (form) { form.submit(); }
});
