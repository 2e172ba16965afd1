"""MediaVault DAV: a WebDAV gateway over the MediaVault media database."""

__version__ = "0.1.0"
