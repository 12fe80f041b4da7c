// The show and hide buttons of a credential task's page: each masked field (a password,
// an API key) has a toggle button, hidden until this script runs, that shows what was
// typed and masks it again. It is a real button, so the keyboard reaches and presses
// it; `aria-pressed` tells a screen reader whether the value is shown. Without this
// script the page still works: the fields stay masked and the buttons hidden.
(function () {
  'use strict';
  var buttons = document.querySelectorAll('button[data-toggle-secret]');
  var pairs = [];
  Array.prototype.forEach.call(buttons, function (button) {
    var input = document.getElementById(button.getAttribute('data-toggle-secret'));
    if (!input) return;
    pairs.push([button, input]);
    button.hidden = false;
    button.addEventListener('click', function () {
      var show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      button.setAttribute('aria-pressed', show ? 'true' : 'false');
    });
  });
  // Masked again as the form leaves, so that no browser keeps a shown value in the
  // history it offers for text fields.
  var form = document.querySelector('form.credential');
  if (!form) return;
  form.addEventListener('submit', function () {
    pairs.forEach(function (pair) {
      pair[1].type = 'password';
      pair[0].setAttribute('aria-pressed', 'false');
    });
  });
})();
