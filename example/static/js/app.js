"use strict";(function(){var e=document.getElementById("status");e&&(e.textContent="Script ran: served by assetd at "+new Date().toISOString())})();
//# sourceMappingURL=app.js.map
