"""``/s/<token>/…``: share links, served by their own anonymous, read-only mount.

Share requests never reach the signed-in user's namespace: ``ShareMount``
(mount.py) sends every path under ``/s`` to a WsgiDAV application of its own,
with its own middleware and a read-only provider. In the order a request meets
them:

- ``ShareResponses`` (responses.py): security headers on every answer, and one
  ``activity_logs`` row per request once its last byte is sent;
- WsgiDAV's ``ErrorPrinter`` and our ``ErrorMapper`` (dav/errors.py);
- ``ShareGate`` (gate.py): read-only methods only, the token, throttling, the
  password, the download limit — the order of checks in one place;
- ``RequestLimits`` (dav/limits.py), then ``ShareProvider`` (provider.py) with
  its resources (resources.py), the browser page (page.py) and the streamed zip
  (archive.py). What guests may see is decided in vault/share_content.py.

Decisions: docs/shares.md.
"""
