'use strict';
// Source of app.js (minified by hand), referenced by its source map.
(function () {
  var status = document.getElementById('status');
  if (status) {
    status.textContent = 'Script ran: served by assetd at ' + new Date().toISOString();
  }
})();
