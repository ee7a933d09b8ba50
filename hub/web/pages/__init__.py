"""The web view's pages; each module has ``register(ctx) -> APIRouter`` and adds its menu entry."""
