"""Offline sync (离线同步): reconcile what phones recorded offline with the server.

The rules live here and know nothing of HTTP; `server/sync_api/` mounts them. The
protocol they keep is `docs/sync.md`.
"""
