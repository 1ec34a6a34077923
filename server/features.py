"""The feature routers the app mounts. A new feature adds its router here."""

from litestar import Router


def routers() -> list[Router]:
    from server.accounts.controllers import router as accounts
    from server.activities.controllers import router as activities
    from server.cards.controllers import router as cards
    from server.field.controllers import router as field
    from server.ledger.controllers import router as ledger
    from server.partners.controllers import router as partners
    from server.sync_api.controllers import router as sync_api
    from server.volunteers.controllers import router as volunteers

    return [accounts, volunteers, activities, cards, partners, ledger, sync_api, field]
