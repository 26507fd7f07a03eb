"""Issue 8 security sweep: CSRF, IDOR, sessions, redirects, injection, uploads, headers, secrets (docs/security.md)."""
