// The signature pad of a signature task's page: draw with a mouse, a pen or a finger
// (pointer events cover all three), and the drawing goes with the form as a PNG. Without
// this script the page still works: the signer types their name instead.
(function () {
  'use strict';
  var form = document.getElementById('sign-form');
  var wrap = document.getElementById('pad-wrap');
  var pad = document.getElementById('pad');
  var field = document.getElementById('drawn_png');
  if (!form || !wrap || !pad || !field) return;
  wrap.hidden = false;
  var ctx = pad.getContext('2d');
  ctx.lineWidth = 2.5;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  ctx.strokeStyle = '#111';
  var drawing = false;
  var drawn = false;
  function at(e) {
    var r = pad.getBoundingClientRect();
    return { x: (e.clientX - r.left) * (pad.width / r.width), y: (e.clientY - r.top) * (pad.height / r.height) };
  }
  pad.addEventListener('pointerdown', function (e) {
    drawing = true;
    pad.setPointerCapture(e.pointerId);
    var p = at(e);
    ctx.beginPath();
    ctx.moveTo(p.x, p.y);
    e.preventDefault();
  });
  pad.addEventListener('pointermove', function (e) {
    if (!drawing) return;
    var p = at(e);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    drawn = true;
    e.preventDefault();
  });
  function stop() { drawing = false; }
  pad.addEventListener('pointerup', stop);
  pad.addEventListener('pointercancel', stop);
  document.getElementById('pad-clear').addEventListener('click', function () {
    ctx.clearRect(0, 0, pad.width, pad.height);
    drawn = false;
  });
  form.addEventListener('submit', function () {
    field.value = drawn ? pad.toDataURL('image/png') : '';
  });
})();
