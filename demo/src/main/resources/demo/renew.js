// StreamGate demo: keeps a playback session alive on short tokens, and explains refusals.
//
//   var r = StreamGateRenewal.start(token, function (state, text) { ... });   // r.stop()
//   StreamGateRenewal.explain(url).then(function (text) { ... });             // "401 revoked"
//
// start(): a little before the current token expires, fetch the next one from the demo's
// token endpoint (GET /demo/token; your application would use its own) and hand both to the
// gateway: POST /_streamgate/renew {"token": next, "previous": current}. The gateway moves the
// session's cap to the new token's exp on every replica, so the player keeps its playlist
// URLs and plays on. Network errors and 5xx are retried every 2 s until the token expires; a
// 4xx denial (401 revoked, 403 forbidden, 404 session_not_found) ends the renewals.
// The callback gets (state, text) with state 'renewing', 'renewed', 'retrying' or 'refused'.
(function (global) {
  'use strict';

  function claims(token) {
    var part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    while (part.length % 4) { part += '='; }
    return JSON.parse(atob(part));
  }

  // "401 revoked" from a gateway denial body, else "HTTP <status>"
  function describe(response) {
    return response.json().then(function (body) {
      return response.status + ' ' + (body.reason || body.error || '');
    }, function () { return 'HTTP ' + response.status; });
  }

  function clock(epochSeconds) {
    return new Date(epochSeconds * 1000).toLocaleTimeString();
  }

  function start(firstToken, onStatus, options) {
    var opts = options || {};
    var tokenUrl = opts.tokenUrl || '/demo/token';
    var renewUrl = opts.renewUrl || '/_streamgate/renew';
    var current = firstToken;
    var timer = null;
    var stopped = false;
    var renewals = 0;

    // Renew when a third of the token's life is left (at most 15 s, at least 3 s before exp),
    // counted from now with the token's own lifetime, so the browser's clock does not matter.
    function schedule(token) {
      var c = claims(token);
      var life = Math.max(1, c.exp - (c.iat || c.nbf || c.exp - 60));
      var margin = Math.min(15, Math.max(3, life / 3));
      later(Math.max(1, life - margin) * 1000);
    }

    function later(ms) {
      if (!stopped) { timer = setTimeout(renew, ms); }
    }

    function expired() {
      return claims(current).exp * 1000 <= Date.now();
    }

    function retry(why) {
      if (expired()) {
        onStatus('refused', 'renewal failed and the token expired: ' + why);
        return;
      }
      onStatus('retrying', 'renewal failed (' + why + '), retrying in 2 s');
      later(2000);
    }

    function renew() {
      if (stopped) { return; }
      onStatus('renewing', 'renewing the token...');
      var next;
      fetch(tokenUrl, { cache: 'no-store' }).then(function (r) {
        if (!r.ok) { throw new Error('token endpoint HTTP ' + r.status); }
        return r.text();
      }).then(function (text) {
        next = text.trim();
        return fetch(renewUrl, {
          method: 'POST', cache: 'no-store', headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ token: next, previous: current })
        });
      }).then(function (r) {
        if (stopped) { return; }
        if (r.ok) {
          return r.json().then(function (body) {
            if (stopped) { return; }
            current = next;
            renewals++;
            onStatus('renewed', 'renewed ' + renewals + (renewals === 1 ? ' time' : ' times')
                + ', session valid until ' + clock(body.expiresAt) + ' (token exp ' + clock(claims(current).exp) + ')');
            schedule(current);
          });
        }
        return describe(r).then(function (why) {
          if (stopped) { return; }
          if (r.status >= 500) { retry(why); } else { onStatus('refused', 'refused: ' + why); }
        });
      }).catch(function (e) {
        if (!stopped) { retry(String(e && e.message || e)); }
      });
    }

    onStatus('waiting', 'token expires at ' + clock(claims(current).exp) + '; renewal scheduled');
    schedule(current);
    return {
      stop: function () { stopped = true; if (timer) { clearTimeout(timer); } },
      token: function () { return current; },
      renewals: function () { return renewals; }
    };
  }

  // Asks the gateway once more for a URL the player failed on, to show why it was refused.
  function explain(url) {
    return fetch(url, { cache: 'no-store' }).then(function (r) {
      return r.ok ? 'HTTP ' + r.status + ' now' : describe(r);
    }, function (e) { return 'network error: ' + e; });
  }

  global.StreamGateRenewal = { start: start, explain: explain, claims: claims };
})(window);
